using System;
using System.Buffers.Binary;
using NetDsl.Serialization;
using Xunit;

namespace NetDsl.Tests.Serialization;

/// <summary>
/// Each malformed or mismatched file fails with a <see cref="WeightFileException"/> that says what is wrong and what to do,
/// and leaves the destination buffer unchanged (checked by <see cref="St.LoadFails"/>), for seekable and non-seekable streams.
/// </summary>
public class SafeTensorsErrorTests
{
    private static readonly ParameterTensor[] A2 = [new("a", 0, [2])];

    private static float[] Sentinel(int n)
    {
        var values = new float[n];
        Array.Fill(values, 42.5f);
        return values;
    }

    private static byte[] MlpFile() => St.Save(St.Ramp(St.MlpLength), St.Mlp());

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ShorterThan8Bytes(bool seekable)
    {
        var e = St.LoadFails([1, 2, 3], Sentinel(St.MlpLength), St.Mlp(), seekable);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("3 bytes long, shorter than the 8-byte header length", e.Message);
        Assert.Contains("save or download it again", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HeaderTruncated(bool seekable)
    {
        byte[] file = MlpFile()[..50];
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var e = St.LoadFails(file, Sentinel(St.MlpLength), St.Mlp(), seekable);
        Assert.Contains("truncated", e.Message);
        Assert.Contains($"header is declared as {headerLength:N0} bytes", e.Message);
        Assert.Contains($"at least {8 + headerLength:N0} bytes", e.Message);
        Assert.Contains(seekable ? "it has only 50" : "the stream ended after 50", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DataTruncated_InTheLastTensor(bool seekable)
    {
        byte[] whole = MlpFile();
        byte[] file = whole[..^4];
        var e = St.LoadFails(file, Sentinel(St.MlpLength), St.Mlp(), seekable);
        Assert.Equal("2.bias", e.TensorName);
        Assert.Contains("truncated", e.Message);
        Assert.Contains($"declares {whole.Length:N0}", e.Message);
        if (seekable)
            Assert.Contains($"it has {file.Length:N0} bytes", e.Message);
        else
            Assert.Contains($"ends 4 bytes into the 8 bytes of tensor '2.bias'", e.Message);
    }

    [Fact]
    public void HeaderLengthAbsurd()
    {
        var file = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 1_000_000_000_000UL);
        var e = St.LoadFails(file, Sentinel(St.MlpLength), St.Mlp());
        Assert.Contains("1,000,000,000,000 bytes", e.Message);
        Assert.Contains("100,000,000-byte limit", e.Message);
        Assert.Contains("not a safetensors file", e.Message);
    }

    [Fact]
    public void PyTorchZipFile_IsRecognized()
    {
        byte[] file = [.. "PK\u0003\u0004"u8, 0x14, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0];
        var e = St.LoadFails(file, Sentinel(St.MlpLength), St.Mlp());
        Assert.Contains("torch.save", e.Message);
        Assert.Contains("safetensors.torch.save_file(torch.load(path)", e.Message);
    }

    [Theory]
    [InlineData("{\"a\": ")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",}}")]
    [InlineData("{\"a\" 1}")]
    public void HeaderNotValidJson(string header)
    {
        var e = St.LoadFails(St.File(header, St.Floats(1f, 2f)), Sentinel(2), A2);
        Assert.Contains("header is not valid JSON", e.Message);
        Assert.Contains("corrupt or not a safetensors file", e.Message);
        Assert.NotNull(e.InnerException);
    }

    [Fact]
    public void HeaderNotUtf8()
    {
        byte[] file = St.File("{\"aX\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", St.Floats(1f, 2f));
        file[8 + 3] = 0xFF;
        var e = St.LoadFails(file, Sentinel(2), A2);
        Assert.Contains("not valid UTF-8 (bad byte at header offset 3)", e.Message);
    }

    [Fact]
    public void HeaderNotAnObject()
    {
        var e = St.LoadFails(St.File("[1, 2]", St.Floats(1f, 2f)), Sentinel(2), A2);
        Assert.Contains("does not start with '{'", e.Message);
    }

    [Fact]
    public void TensorMissing_ListsTheFilesNames()
    {
        ParameterTensor[] three = St.Mlp()[..3];
        byte[] file = St.Save(St.Ramp(St.MlpLength), three);
        var e = St.LoadFails(file, Sentinel(St.MlpLength), St.Mlp());
        Assert.Equal("2.bias", e.TensorName);
        Assert.StartsWith("Tensor '2.bias' is missing from the file. The file has 3 tensors: '0.weight', '0.bias', '2.weight'.", e.Message);
        Assert.Contains("same architecture", e.Message);
    }

    [Fact]
    public void SeveralTensorsMissing_AreAllNamed()
    {
        byte[] file = St.File("{}", []);
        var e = St.LoadFails(file, Sentinel(St.MlpLength), St.Mlp());
        Assert.StartsWith("4 tensors the model expects are missing from the file: '0.weight', '0.bias', '2.weight', '2.bias'. The file holds no tensors.", e.Message);
    }

    [Fact]
    public void TensorMissing_BecauseOfAPrefix_SuggestsStrippingIt()
    {
        byte[] file = St.Save(St.Ramp(2), [new ParameterTensor("module.a", 0, [2])]);
        var e = St.LoadFails(file, Sentinel(2), A2);
        Assert.Contains("prefix 'module.'", e.Message);
        Assert.Contains("k.removeprefix('module.')", e.Message);
    }

    [Theory]
    [InlineData("F64", 8)]
    [InlineData("F16", 2)]
    [InlineData("BF16", 2)]
    [InlineData("I64", 8)]
    public void WrongDtype_SaysF32IsNeededAndHowToConvert(string dtype, int size)
    {
        string header = $"{{\"a\":{{\"dtype\":\"{dtype}\",\"shape\":[2],\"data_offsets\":[0,{2 * size}]}}}}";
        var e = St.LoadFails(St.File(header, St.Zeros(2 * size)), Sentinel(2), A2);
        Assert.Equal("a", e.TensorName);
        Assert.StartsWith($"Tensor 'a' has dtype {dtype} in the file, but NetDsl models hold F32 (float32) parameters.", e.Message);
        Assert.Contains("model.float()", e.Message);
    }

    [Fact]
    public void WrongShape_NamesTensorAndBothShapes()
    {
        ParameterTensor[] fileLayout = [new("0.weight", 0, [10, 32])];
        byte[] file = St.Save(new float[320], fileLayout);
        ParameterTensor[] model = [new("0.weight", 0, [32, 64])];
        var e = St.LoadFails(file, Sentinel(32 * 64), model);
        Assert.Equal("0.weight", e.TensorName);
        Assert.Equal([32, 64], e.ExpectedShape);
        Assert.Equal([10L, 32L], e.ActualShape);
        Assert.Equal(
            "Tensor '0.weight' has shape [10, 32] in the file but the model expects [32, 64] (PyTorch nn.Linear layout [out, in]). " +
            "Check that the file was saved from the same architecture (same layer sizes in the same order).",
            e.Message);
    }

    [Fact]
    public void TransposedShape_GetsATransposeHint()
    {
        byte[] file = St.Save(new float[12], [new ParameterTensor("0.weight", 0, [4, 3])]);
        var e = St.LoadFails(file, Sentinel(12), [new ParameterTensor("0.weight", 0, [3, 4])]);
        Assert.Contains("shape [4, 3] in the file but the model expects [3, 4]", e.Message);
        Assert.Contains("transpose", e.Message);
    }

    [Fact]
    public void WrongRank_IsAShapeError()
    {
        byte[] file = St.Save(new float[12], [new ParameterTensor("w", 0, [12])]);
        var e = St.LoadFails(file, Sentinel(12), [new ParameterTensor("w", 0, [3, 4])]);
        Assert.Contains("Tensor 'w' has shape [12] in the file but the model expects [3, 4]", e.Message);
    }

    [Fact]
    public void DataOffsetsInconsistentWithShape()
    {
        var e = St.LoadFails(St.File("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", St.Zeros(8)), Sentinel(3), [new ParameterTensor("a", 0, [3])]);
        Assert.Equal("a", e.TensorName);
        Assert.StartsWith("Tensor 'a' has data_offsets [0, 8] (8 bytes), but its shape [3] of F32 needs 12 bytes (4 per element). The header is inconsistent.", e.Message);
    }

    [Fact]
    public void DataOffsetsOverlapping()
    {
        string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        var e = St.LoadFails(St.File(header, St.Zeros(12)), Sentinel(4), [new ParameterTensor("a", 0, [2]), new ParameterTensor("b", 2, [2])]);
        Assert.Equal("b", e.TensorName);
        Assert.Contains("Tensor 'b' has data_offsets [4, 12], which overlap those of tensor 'a' [0, 8]", e.Message);
    }

    [Fact]
    public void DataOffsetsWithAGap()
    {
        string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
        var e = St.LoadFails(St.File(header, St.Zeros(20)), Sentinel(4), [new ParameterTensor("a", 0, [2]), new ParameterTensor("b", 2, [2])]);
        Assert.Contains("Bytes 8..12 of the data section belong to no tensor", e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DataOffsetsOutOfRange(bool seekable)
    {
        var e = St.LoadFails(St.File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", St.Zeros(4)), Sentinel(2), A2, seekable);
        Assert.Equal("a", e.TensorName);
        Assert.Contains(seekable ? "Tensor 'a' has data_offsets [0, 8], beyond the 4 bytes of data" : "ends 4 bytes into the 8 bytes of tensor 'a'", e.Message);
    }

    [Theory]
    [InlineData("[8,0]", "end before they begin")]
    [InlineData("[0]", "two non-negative integers")]
    [InlineData("[-8,0]", "two non-negative integers")]
    [InlineData("\"0,8\"", "two non-negative integers")]
    public void DataOffsetsMalformed(string offsets, string expected)
    {
        var e = St.LoadFails(St.File($"{{\"a\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{offsets}}}}}", St.Zeros(8)), Sentinel(2), A2);
        Assert.Equal("a", e.TensorName);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "dimensions must be non-negative integers")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", "dimensions must be non-negative integers")]
    [InlineData("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "no string \"dtype\"")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "no \"shape\" array")]
    [InlineData("{\"a\":[1,2]}", "not an object")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "lists tensor 'a' twice")]
    [InlineData("{\"__metadata__\":{\"format\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "metadata values must be strings")]
    [InlineData("{\"__metadata__\":[],\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "must be an object of strings")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", "overflows 64 bits")]
    public void HeaderEntryMalformed(string header, string expected)
    {
        var e = St.LoadFails(St.File(header, St.Zeros(8)), Sentinel(2), A2);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void UnexpectedTensors_AreRejectedByDefault(bool seekable)
    {
        byte[] file = MlpFile();
        var e = St.LoadFails(file, Sentinel(15), St.Mlp()[..2], seekable);
        Assert.Equal("2.weight", e.TensorName);
        Assert.StartsWith("The file has 2 tensors the model does not expect: '2.weight', '2.bias'. Loading is strict, like PyTorch's load_state_dict(strict=True).", e.Message);
        Assert.Contains("ignoreUnexpectedTensors: true", e.Message);

        var loaded = new float[15];
        SafeTensors.Load(new System.IO.MemoryStream(file), loaded, St.Mlp()[..2], ignoreUnexpectedTensors: true);
        Assert.Equal(St.Ramp(St.MlpLength)[..15], loaded);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TrailingBytes_AreRejected(bool seekable)
    {
        byte[] file = [.. MlpFile(), 0, 0, 0];
        var e = St.LoadFails(file, Sentinel(St.MlpLength), St.Mlp(), seekable);
        Assert.StartsWith("The file has 3 bytes after the end of the last tensor's data", e.Message);
    }

    [Fact]
    public void NothingIsWritten_WhenTheErrorIsFoundAfterReadingEarlierTensors()
    {
        // The last tensor is cut short: the first three were already read into the staging buffer when this is found.
        byte[] file = MlpFile()[..^1];
        float[] destination = Sentinel(St.MlpLength);
        St.LoadFails(file, destination, St.Mlp(), seekable: false);
        Assert.All(destination, v => Assert.Equal(42.5f, v));
    }

    [Fact]
    public void ErrorMessagesUseShapesInPyTorchStyle_AndHeaderPropertiesForDtypeErrors()
    {
        string header = "{\"a\":{\"dtype\":\"F64\",\"shape\":[1,2],\"data_offsets\":[0,16]}}";
        var e = St.LoadFails(St.File(header, St.Zeros(16)), Sentinel(2), [new ParameterTensor("a", 0, [1, 2])]);
        Assert.Equal([1, 2], e.ExpectedShape);
        Assert.Equal([1L, 2L], e.ActualShape);
        Assert.Null(e.FilePath);
        Assert.IsAssignableFrom<System.IO.IOException>(e);
    }
}
