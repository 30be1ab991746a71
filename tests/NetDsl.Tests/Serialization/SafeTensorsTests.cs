using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using NetDsl.Serialization;
using Xunit;

namespace NetDsl.Tests.Serialization;

public class SafeTensorsTests
{
    // ------------------------------------------------------------------ Round trips and layout

    [Fact]
    public void RoundTrip_IsBitExact_ForSpecialValues()
    {
        float[] special =
        [
            0f, -0f, float.Epsilon, -float.Epsilon, 1e-40f, BitConverter.Int32BitsToSingle(0x007FFFFF),
            float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue, 1f, -1f / 3f,
            BitConverter.Int32BitsToSingle(0x7FC00001), // quiet NaN with payload
            BitConverter.Int32BitsToSingle(unchecked((int)0xFFC12345)), // negative quiet NaN with payload
            BitConverter.Int32BitsToSingle(0x7F800001), // signalling NaN
            float.NaN,
        ];
        var parameters = new float[20];
        special.CopyTo(parameters, 2);
        ParameterTensor[] tensors = [new("a", 2, [4, 4]), new("b", 18, [2])];
        parameters[18] = 7f;
        parameters[19] = -8f;

        byte[] file = St.Save(parameters, tensors);
        var loaded = new float[20];
        SafeTensors.Load(new MemoryStream(file), loaded, tensors);

        Assert.Equal(St.Bits(parameters[2..]), St.Bits(loaded[2..]));
        Assert.Equal(0f, loaded[0]); // not covered by any tensor: untouched
    }

    [Fact]
    public void Save_WritesHeaderAndData_ByteByByte()
    {
        byte[] file = St.Save([1f, -2f], [new("a", 0, [2])]);

        // {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} is 54 bytes: 5 + 15 + 12 + 20 + 2; padded to 56.
        var expected = new List<byte> { 56, 0, 0, 0, 0, 0, 0, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  "));
        expected.AddRange([0x00, 0x00, 0x80, 0x3F]); // 1.0f little-endian
        expected.AddRange([0x00, 0x00, 0x00, 0xC0]); // -2.0f little-endian
        Assert.Equal(expected.ToArray(), file);
    }

    [Fact]
    public void Save_WithMetadata_WritesItFirst_AndReadMetadataReturnsIt()
    {
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, [1f, -2f], [new ParameterTensor("a", 0, [2])], new Dictionary<string, string> { ["format"] = "pt" });
        byte[] file = stream.ToArray();

        // 85 bytes of JSON, padded with 3 spaces to 88.
        Assert.Equal(88UL, BinaryPrimitives.ReadUInt64LittleEndian(file));
        Assert.Equal(
            "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}   ",
            Encoding.UTF8.GetString(file, 8, 88));
        Assert.Equal(8 + 88 + 8, file.Length);

        var metadata = SafeTensors.ReadMetadata(new MemoryStream(file));
        Assert.Equal("pt", Assert.Single(metadata).Value);
    }

    [Fact]
    public void Save_WritesTensorsContiguouslyInTheGivenOrder()
    {
        float[] parameters = St.Ramp(St.MlpLength);
        ParameterTensor[] tensors = [.. St.Mlp()];
        Array.Reverse(tensors);
        byte[] file = St.Save(parameters, tensors);

        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0, headerLength % 8);
        using var json = JsonDocument.Parse(file.AsMemory(8, headerLength));
        var names = new List<string>();
        long expectedBegin = 0;
        foreach (JsonProperty p in json.RootElement.EnumerateObject())
        {
            names.Add(p.Name);
            Assert.Equal("F32", p.Value.GetProperty("dtype").GetString());
            Assert.Equal(expectedBegin, p.Value.GetProperty("data_offsets")[0].GetInt64());
            expectedBegin = p.Value.GetProperty("data_offsets")[1].GetInt64();
        }
        Assert.Equal(["2.bias", "2.weight", "0.bias", "0.weight"], names);
        Assert.Equal(8 + headerLength + 4 * St.MlpLength, file.Length);
        // First data bytes are 2.bias = parameters[21].
        Assert.Equal(parameters[21], BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(8 + headerLength)));
    }

    [Fact]
    public void Load_AcceptsTensorsInAnotherOrderAndOtherOffsets()
    {
        float[] parameters = St.Ramp(St.MlpLength);
        byte[] file = St.Save(parameters, St.Mlp());

        // Another model layout: same names, reversed order, different offsets, a larger buffer.
        ParameterTensor[] other = [new("2.bias", 0, [2]), new("2.weight", 2, [2, 3]), new("0.bias", 8, [3]), new("0.weight", 11, [3, 4])];
        var loaded = new float[30];
        SafeTensors.Load(new MemoryStream(file), loaded, other);

        Assert.Equal(parameters[21..23], loaded[0..2]);
        Assert.Equal(parameters[15..21], loaded[2..8]);
        Assert.Equal(parameters[12..15], loaded[8..11]);
        Assert.Equal(parameters[0..12], loaded[11..23]);
    }

    [Fact]
    public void Load_WorksWithNonSeekableStream_ReadingInTinyPieces()
    {
        float[] parameters = St.Ramp(St.MlpLength);
        byte[] file = St.Save(parameters, St.Mlp());
        var loaded = new float[St.MlpLength];
        SafeTensors.Load(new NonSeekableStream(file), loaded, St.Mlp());
        Assert.Equal(parameters, loaded);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RoundTrip_WithAHeaderAndATensorLargerThanTheReadChunks(bool seekable)
    {
        // 3000 small tensors make a header of about 200 KB; one tensor of 40,000 floats spans several 64 KB chunks.
        var tensors = new List<ParameterTensor>();
        int offset = 0;
        for (int i = 0; i < 3000; i++, offset += 2)
            tensors.Add(new ParameterTensor($"layers.{i}.bias", offset, [2]));
        tensors.Add(new ParameterTensor("big.weight", offset, [200, 200]));
        float[] parameters = St.Ramp(offset + 40_000, start: -3f);

        byte[] file = St.Save(parameters, [.. tensors]);
        Assert.True(BinaryPrimitives.ReadUInt64LittleEndian(file) > 150_000);
        var loaded = new float[parameters.Length];
        Stream stream = seekable ? new MemoryStream(file) : new NonSeekableStream(file, maxRead: 4096);
        SafeTensors.Load(stream, loaded, [.. tensors]);
        Assert.Equal(parameters, loaded);
    }

    [Fact]
    public void Load_AcceptsAnyKeyOrderInsideEntries_MetadataAnywhere_AndZeroSizedTensors()
    {
        string header = "{\"b\":{\"data_offsets\":[8,8],\"shape\":[0,3],\"dtype\":\"F32\"}," +
                        "\"__metadata__\":{\"format\":\"pt\",\"x\":\"y\"}," +
                        "\"a\":{\"shape\":[2],\"data_offsets\":[0,8],\"dtype\":\"F32\"}}";
        byte[] file = St.File(header, St.Floats(3f, 4f));
        var loaded = new float[2];
        SafeTensors.Load(new MemoryStream(file), loaded, [new ParameterTensor("a", 0, [2]), new ParameterTensor("b", 2, [0, 3])]);
        Assert.Equal([3f, 4f], loaded);
    }

    [Fact]
    public void Load_IgnoreUnexpectedTensors_SkipsThemWhateverTheirDtype()
    {
        string header = "{\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}," +
                        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}," +
                        "\"head.weight\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]}}";
        var data = new List<byte>(St.Zeros(8));
        data.AddRange(St.Floats(5f, 6f));
        data.AddRange(St.Zeros(6));
        byte[] file = St.File(header, [.. data]);

        var loaded = new float[2];
        SafeTensors.Load(new MemoryStream(file), loaded, [new ParameterTensor("a", 0, [2])], ignoreUnexpectedTensors: true);
        Assert.Equal([5f, 6f], loaded);

        loaded = new float[2];
        SafeTensors.Load(new NonSeekableStream(file), loaded, [new ParameterTensor("a", 0, [2])], ignoreUnexpectedTensors: true);
        Assert.Equal([5f, 6f], loaded);
    }

    [Fact]
    public void LittleEndianConversion_PortablePathMatchesFastPathAndExplicitBytes()
    {
        float[] values = [1f, -2f, float.NaN, -0f, float.Epsilon, BitConverter.Int32BitsToSingle(0x7FC0BEEF)];
        var fast = new byte[values.Length * 4];
        var portable = new byte[values.Length * 4];
        SafeTensors.EncodeLittleEndian(values, fast, allowFastPath: true);
        SafeTensors.EncodeLittleEndian(values, portable, allowFastPath: false);
        Assert.Equal(St.Floats(values), fast);
        Assert.Equal(fast, portable);
        Assert.Equal(new byte[] { 0xEF, 0xBE, 0xC0, 0x7F }, portable[20..24]);

        var back1 = new float[values.Length];
        var back2 = new float[values.Length];
        SafeTensors.DecodeLittleEndian(portable, back1, allowFastPath: true);
        SafeTensors.DecodeLittleEndian(portable, back2, allowFastPath: false);
        Assert.Equal(St.Bits(values), St.Bits(back1));
        Assert.Equal(St.Bits(values), St.Bits(back2));
    }

    // ------------------------------------------------------------------ Paths

    [Fact]
    public void PathOverloads_RoundTrip_AndReplaceAnExistingFile()
    {
        string dir = Path.Combine(Path.GetTempPath(), "netdsl-st-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "mlp.safetensors");
            File.WriteAllText(path, "old content");
            float[] parameters = St.Ramp(St.MlpLength);
            SafeTensors.Save(path, parameters, St.Mlp(), new Dictionary<string, string> { ["format"] = "pt" });

            var loaded = new float[St.MlpLength];
            SafeTensors.Load(path, loaded, St.Mlp());
            Assert.Equal(parameters, loaded);
            Assert.Equal("pt", SafeTensors.ReadMetadata(path)["format"]);
            Assert.Single(Directory.GetFiles(dir)); // no temporary file left
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Load_MissingFile_GivesFileNotFound_WithFullPath()
    {
        string path = Path.Combine(Path.GetTempPath(), "netdsl-no-such-dir-" + Guid.NewGuid().ToString("N"), "w.safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(path, new float[St.MlpLength], St.Mlp()));
        Assert.Equal(path, e.FileName);
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("Check the path", e.Message);

        var relative = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load("nope.safetensors", new float[St.MlpLength], St.Mlp()));
        Assert.Contains(Path.GetFullPath("nope.safetensors"), relative.Message);
        Assert.Contains("current directory", relative.Message);
    }

    [Fact]
    public void Save_ToMissingFolder_GivesDirectoryNotFound()
    {
        string path = Path.Combine(Path.GetTempPath(), "netdsl-no-such-dir-" + Guid.NewGuid().ToString("N"), "w.safetensors");
        var e = Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(path, new float[St.MlpLength], St.Mlp()));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Load_FromPath_ErrorsCarryThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), "netdsl-st-" + Guid.NewGuid().ToString("N") + ".safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        try
        {
            var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(path, new float[St.MlpLength], St.Mlp()));
            Assert.Equal(path, e.FilePath);
            Assert.StartsWith($"Cannot load weight file '{path}': The file is truncated", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // ------------------------------------------------------------------ Programmer errors

    [Fact]
    public void TensorOutsideTheBuffer_IsAnArgumentError()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SafeTensors.Save(new MemoryStream(), new float[22], St.Mlp()));
        Assert.Contains("'2.bias'", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SafeTensors.Load(new MemoryStream(St.Save(St.Ramp(23), St.Mlp())), new float[22], St.Mlp()));
    }

    [Fact]
    public void DuplicateOrReservedNames_AreArgumentErrors()
    {
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(new MemoryStream(), new float[4], [new ParameterTensor("a", 0, [2]), new ParameterTensor("a", 2, [2])]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(new MemoryStream(), new float[4], [new ParameterTensor("__metadata__", 0, [2])]));
    }
}
