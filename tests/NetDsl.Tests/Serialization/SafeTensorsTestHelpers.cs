using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using NetDsl.Serialization;

namespace NetDsl.Tests.Serialization;

/// <summary>Builders for hand-made safetensors files and a stream that cannot seek.</summary>
internal static class St
{
    /// <summary>The tensors of <c>Sequential(Linear(4,3), ReLU(), Linear(3,2))</c> in state_dict order, 23 floats.</summary>
    public static ParameterTensor[] Mlp() =>
    [
        new("0.weight", 0, [3, 4]),
        new("0.bias", 12, [3]),
        new("2.weight", 15, [2, 3]),
        new("2.bias", 21, [2]),
    ];

    public const int MlpLength = 23;

    public static float[] Ramp(int n, float start = 1f)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++)
            values[i] = start + i * 0.5f;
        return values;
    }

    public static byte[] Save(float[] parameters, ParameterTensor[] tensors)
    {
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, parameters, tensors);
        return stream.ToArray();
    }

    /// <summary>A file with the given header text (padded to 8 bytes) and raw data.</summary>
    public static byte[] File(string headerJson, byte[] data)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        int padded = (header.Length + 7) / 8 * 8;
        var file = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        header.CopyTo(file, 8);
        file.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        data.CopyTo(file, 8 + padded);
        return file;
    }

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    public static byte[] Zeros(int count) => new byte[count];

    /// <summary>Loads from a seekable stream and from a non-seekable one; both must give the same exception message kind.</summary>
    public static WeightFileException LoadFails(byte[] file, float[] destination, ParameterTensor[] tensors, bool seekable = true, bool ignoreUnexpected = false)
    {
        float[] before = (float[])destination.Clone();
        Stream stream = seekable ? new MemoryStream(file) : new NonSeekableStream(file);
        var e = Xunit.Assert.Throws<WeightFileException>(() => SafeTensors.Load(stream, destination, tensors, ignoreUnexpected));
        Xunit.Assert.Equal(Bits(before), Bits(destination));
        return e;
    }

    public static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);
}

/// <summary>A read-only stream that cannot seek or tell its length and returns at most <paramref name="maxRead"/> (default 3) bytes per read.</summary>
internal sealed class NonSeekableStream(byte[] data, int maxRead = 3) : Stream
{
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(Math.Min(buffer.Length, maxRead), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }
}
