using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace NetDsl.Tests.Data;

/// <summary>Paths of the real datasets copied to the test output, and a temporary folder for malformed inputs.</summary>
public sealed class DataTestFiles : IDisposable
{
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    public static string Tabular(string name) => Path.Combine(AppContext.BaseDirectory, "data", "tabular", name);

    public DataTestFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "netdsl-data-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string WriteText(string name, string content)
    {
        string path = Path.Combine(Directory, name);
        byte[] bytes = Encoding.UTF8.GetBytes(content);
        File.WriteAllBytes(path, name.EndsWith(".gz", StringComparison.Ordinal) ? Gzip(bytes) : bytes);
        return path;
    }

    public string WriteBytes(string name, byte[] content)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    /// <summary>An IDX file: magic 00 00 08 nd, big-endian sizes, then the bytes.</summary>
    public static byte[] Idx(int[] sizes, byte[] data)
    {
        var bytes = new byte[4 + (4 * sizes.Length) + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)sizes.Length;
        for (int d = 0; d < sizes.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * d)), sizes[d]);
        }

        data.CopyTo(bytes, 4 + (4 * sizes.Length));
        return bytes;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
