using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.IO.Compression;

namespace NetDsl.Data;

/// <summary>Opening, decompressing and checking data files; number parsing shared by the loaders.</summary>
internal static class DataFile
{
    /// <summary>
    /// Reads the whole content of <paramref name="path"/>, decompressed when the name ends with <c>.gz</c>.
    /// A gzip file is checked against its trailer (uncompressed size and CRC-32), because
    /// <see cref="GZipStream"/> returns a truncated file's partial content without error.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist; the message gives the full path and <paramref name="hint"/>.</exception>
    /// <exception cref="InvalidDataException">The gzip data is corrupt or truncated.</exception>
    internal static byte[] ReadAllBytes(string path, string hint)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Data file not found: '{fullPath}'. {hint}", fullPath);
        }

        byte[] raw = File.ReadAllBytes(fullPath);
        return fullPath.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? Gunzip(raw, fullPath) : raw;
    }

    private static byte[] Gunzip(byte[] compressed, string fullPath)
    {
        // Smallest gzip file: 10-byte header, 2-byte empty deflate block, 8-byte trailer.
        if (compressed.Length < 20 || compressed[0] != 0x1F || compressed[1] != 0x8B)
        {
            throw new InvalidDataException($"'{fullPath}' is not a gzip file (the name ends with .gz but the gzip signature 1F 8B is missing or the file is shorter than 20 bytes).");
        }

        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(compressed.AsSpan(compressed.Length - 8));
        uint expectedSizeModulo = BinaryPrimitives.ReadUInt32LittleEndian(compressed.AsSpan(compressed.Length - 4));

        // The trailer of a truncated file is arbitrary: use it only as a bounded capacity hint.
        using var output = new MemoryStream(capacity: (int)Math.Min(expectedSizeModulo, compressed.Length * 32L));
        try
        {
            using var gzip = new GZipStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
            gzip.CopyTo(output);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{fullPath}': corrupt gzip data: {e.Message}", e);
        }

        byte[] content = output.ToArray();
        if ((uint)content.Length != expectedSizeModulo || Crc32(content) != expectedCrc)
        {
            throw new InvalidDataException(
                $"'{fullPath}': truncated or corrupt gzip file: {content.Length} bytes were decompressed but the gzip trailer " +
                $"(last 8 bytes) does not match their size and CRC-32 (expected size {expectedSizeModulo} modulo 2^32). " +
                "Files made of several concatenated gzip members are not supported.");
        }

        return content;
    }

    private static readonly uint[] s_crcTable = CreateCrcTable();

    private static uint[] CreateCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }

    /// <summary>The CRC-32 (ISO-HDLC, as used by gzip) of <paramref name="data"/>.</summary>
    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint[] table = s_crcTable;
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    /// <summary>A reader over the text content of <paramref name="path"/> (UTF-8, decompressed when <c>.gz</c>).</summary>
    internal static StreamReader OpenText(string path, string hint)
        => new(new MemoryStream(ReadAllBytes(path, hint), writable: false));

    /// <summary>Parses a finite number written with the invariant culture (such as <c>-1.5e+02</c>).</summary>
    internal static bool TryParseFinite(ReadOnlySpan<char> text, out float value)
        => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);

    /// <summary>Text shown for a field in an error message: quoted and cut to 40 characters.</summary>
    internal static string Quote(ReadOnlySpan<char> field)
        => field.Length <= 40 ? $"'{field}'" : $"'{field[..40]}...' ({field.Length} characters)";
}
