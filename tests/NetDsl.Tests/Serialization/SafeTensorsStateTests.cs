using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Serialization;
using Xunit;

namespace NetDsl.Tests.Serialization;

/// <summary>
/// A network's parameter buffer and state buffer (BatchNorm's running statistics and its I64 num_batches_tracked
/// counter) saved to and loaded from one file: round trips, dtype checks, counter ranges, and all-or-nothing loading.
/// </summary>
public class SafeTensorsStateTests
{
    /// <summary>Parameters of <c>Sequential(Linear(3, 2), BatchNorm1d(2))</c>: 0.weight, 0.bias, 1.weight, 1.bias (10 floats).</summary>
    private static ParameterTensor[] Parameters() =>
    [
        new("0.weight", 0, [2, 3]),
        new("0.bias", 6, [2]),
        new("1.weight", 8, [2]),
        new("1.bias", 10, [2]),
    ];

    private const int ParameterLength = 12;

    /// <summary>Its state: running_mean, running_var, num_batches_tracked (5 floats).</summary>
    private static ParameterTensor[] State() =>
    [
        new("1.running_mean", 0, [2]),
        new("1.running_var", 2, [2]),
        new("1.num_batches_tracked", 4, [], TensorDType.I64),
    ];

    private const int StateLength = 5;

    private static float[] StateValues(float count) => [0.25f, -1.5f, 0.75f, 2f, count];

    private static byte[] SaveBoth(float[] parameters, float[] state)
    {
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, parameters, Parameters(), state, State());
        return stream.ToArray();
    }

    private static byte[] Longs(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }

    private static float[] Sentinel(int n) => Enumerable.Repeat(42.5f, n).ToArray();

    /// <summary>Loads from a seekable and a non-seekable stream; each must fail and leave both buffers unchanged.</summary>
    private static WeightFileException LoadFails(byte[] file, ParameterTensor[]? parameterTensors = null, ParameterTensor[]? stateTensors = null, bool ignoreUnexpected = false)
    {
        WeightFileException? last = null;
        foreach (bool seekable in new[] { true, false })
        {
            float[] parameters = Sentinel(ParameterLength), state = Sentinel(StateLength);
            Stream stream = seekable ? new MemoryStream(file) : new NonSeekableStream(file);
            last = Assert.Throws<WeightFileException>(() =>
                SafeTensors.Load(stream, parameters, parameterTensors ?? Parameters(), state, stateTensors ?? State(), ignoreUnexpected));
            Assert.All(parameters, v => Assert.Equal(42.5f, v));
            Assert.All(state, v => Assert.Equal(42.5f, v));
        }
        return last!;
    }

    // ------------------------------------------------------------------ Round trips

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(3f)]
    [InlineData(16_777_215f)]
    [InlineData(16_777_216f)]
    public void RoundTrip_BothBuffers_IsBitExact_WithTheCounterAsI64(float count)
    {
        float[] parameters = St.Ramp(ParameterLength, -2f);
        parameters[1] = BitConverter.Int32BitsToSingle(0x7FC00001); // a NaN payload survives
        parameters[2] = -0f;
        float[] state = StateValues(count);
        byte[] file = SaveBoth(parameters, state);

        foreach (bool seekable in new[] { true, false })
        {
            float[] p = new float[ParameterLength], s = new float[StateLength];
            SafeTensors.Load(seekable ? new MemoryStream(file) : new NonSeekableStream(file), p, Parameters(), s, State());
            Assert.Equal(St.Bits(parameters), St.Bits(p));
            Assert.Equal(St.Bits(state), St.Bits(s));
        }

        // The counter is an int64 scalar in the file: dtype I64, shape [], 8 bytes holding the integer.
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using JsonDocument header = JsonDocument.Parse(file.AsMemory(8, headerLength));
        JsonElement counter = header.RootElement.GetProperty("1.num_batches_tracked");
        Assert.Equal("I64", counter.GetProperty("dtype").GetString());
        Assert.Equal(0, counter.GetProperty("shape").GetArrayLength());
        long begin = counter.GetProperty("data_offsets")[0].GetInt64(), end = counter.GetProperty("data_offsets")[1].GetInt64();
        Assert.Equal(8, end - begin);
        Assert.Equal((long)count, BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(8 + headerLength + (int)begin)));
        Assert.Equal(file.Length, 8 + headerLength + (int)header.RootElement.EnumerateObject().Max(e => e.Value.GetProperty("data_offsets")[1].GetInt64()));
    }

    [Fact]
    public void Save_WritesParametersThenState_InListOrder_WithTheirDtypes()
    {
        byte[] file = SaveBoth(St.Ramp(ParameterLength), StateValues(7));
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using JsonDocument header = JsonDocument.Parse(file.AsMemory(8, headerLength));
        Assert.Equal(
            ["0.weight:F32", "0.bias:F32", "1.weight:F32", "1.bias:F32", "1.running_mean:F32", "1.running_var:F32", "1.num_batches_tracked:I64"],
            header.RootElement.EnumerateObject().Select(e => e.Name + ":" + e.Value.GetProperty("dtype").GetString()).ToArray());
        Assert.Equal(12 * 4 + 4 * 4 + 8, file.Length - 8 - headerLength);
    }

    [Fact]
    public void RoundTrip_ThroughAFile_AndEmptyStateIsTheParameterOnlyFormat()
    {
        string path = Path.Combine(Path.GetTempPath(), $"netdsl-state-{Guid.NewGuid():N}.safetensors");
        try
        {
            float[] parameters = St.Ramp(ParameterLength), state = StateValues(12);
            SafeTensors.Save(path, parameters, Parameters(), state, State());
            float[] p = new float[ParameterLength], s = new float[StateLength];
            SafeTensors.Load(path, p, Parameters(), s, State());
            Assert.Equal(St.Bits(parameters), St.Bits(p));
            Assert.Equal(St.Bits(state), St.Bits(s));

            // With no state tensors the two-buffer overloads write exactly what the parameter-only ones write.
            using var withEmptyState = new MemoryStream();
            SafeTensors.Save(withEmptyState, parameters, Parameters(), [], []);
            Assert.Equal(St.Save(parameters, Parameters()), withEmptyState.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ParameterOnlyLoad_OfAFileWithState_NeedsIgnoreUnexpectedTensors()
    {
        float[] parameters = St.Ramp(ParameterLength);
        byte[] file = SaveBoth(parameters, StateValues(5));

        var e = St.LoadFails(file, Sentinel(ParameterLength), Parameters());
        Assert.Contains("3 tensors the model does not expect: '1.running_mean', '1.running_var', '1.num_batches_tracked'", e.Message);

        float[] p = new float[ParameterLength];
        SafeTensors.Load(new MemoryStream(file), p, Parameters(), ignoreUnexpectedTensors: true);
        Assert.Equal(St.Bits(parameters), St.Bits(p));
    }

    [Fact]
    public void AnI64CounterMayAlsoLiveInTheParameterBuffer_ThroughTheOldOverloads()
    {
        ParameterTensor[] tensors = [new("w", 0, [2]), new("steps", 2, [], TensorDType.I64)];
        float[] values = [1.5f, -2f, 9f];
        byte[] file = St.Save(values, tensors);
        var loaded = new float[3];
        SafeTensors.Load(new MemoryStream(file), loaded, tensors);
        Assert.Equal(values, loaded);
    }

    // ------------------------------------------------------------------ Saving errors

    [Theory]
    [InlineData(-1f)]
    [InlineData(2.5f)]
    [InlineData(16_777_218f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Save_CounterNotAWholeNumberInRange_Throws_AndWritesNothing(float count)
    {
        using var stream = new MemoryStream();
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Save(stream, St.Ramp(ParameterLength), Parameters(), StateValues(count), State()));
        Assert.Equal("state", e.ParamName);
        Assert.Contains("Tensor '1.num_batches_tracked' is an I64 counter", e.Message);
        Assert.Contains("whole number in [0, 16777216]", e.Message);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void I64TensorWithANonScalarShape_IsRejected_BySaveAndLoad()
    {
        ParameterTensor[] state = [new("1.running_mean", 0, [2]), new("1.counts", 2, [2], TensorDType.I64)];
        float[] values = [0f, 0f, 1f, 2f];
        using var stream = new MemoryStream();
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Save(stream, St.Ramp(ParameterLength), Parameters(), values, state));
        Assert.Contains("Tensor '1.counts' is declared I64 with shape [2], but only I64 scalars (shape []", e.Message);
        Assert.Equal(0, stream.Length);

        byte[] file = SaveBoth(St.Ramp(ParameterLength), StateValues(1));
        Assert.Throws<ArgumentException>(() => SafeTensors.Load(new MemoryStream(file), new float[ParameterLength], Parameters(), values, state));
    }

    [Fact]
    public void DuplicateNamesAcrossTheTwoLists_AndStateOutOfRange_AreArgumentErrors()
    {
        ParameterTensor[] clash = [new("1.weight", 0, [2])];
        using var stream = new MemoryStream();
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Save(stream, St.Ramp(ParameterLength), Parameters(), new float[2], clash));
        Assert.Contains("Two tensors are named '1.weight'", e.Message);

        var range = Assert.Throws<ArgumentOutOfRangeException>(() => SafeTensors.Save(stream, St.Ramp(ParameterLength), Parameters(), new float[4], State()));
        Assert.Equal("state", range.ParamName);
        Assert.Contains("of the state buffer, which has 4 elements", range.Message);
    }

    // ------------------------------------------------------------------ Loading errors: dtype, range, all or nothing

    [Fact]
    public void Load_F32InTheFileWhereAnI64CounterIsExpected_SaysSo()
    {
        ParameterTensor[] asFloat = [State()[0], State()[1], new("1.num_batches_tracked", 4, [])];
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, St.Ramp(ParameterLength), Parameters(), StateValues(3), asFloat);

        var e = LoadFails(stream.ToArray());
        Assert.Equal("1.num_batches_tracked", e.TensorName);
        Assert.StartsWith("Tensor '1.num_batches_tracked' has dtype F32 in the file, but the model expects an I64 (int64) counter there", e.Message);
        Assert.Contains("v.is_floating_point()", e.Message);
    }

    [Fact]
    public void Load_I64InTheFileWhereF32IsExpected_SaysSoAndPointsToTensorDType()
    {
        ParameterTensor[] asFloat = [State()[0], State()[1], new("1.num_batches_tracked", 4, [])];
        var e = LoadFails(SaveBoth(St.Ramp(ParameterLength), StateValues(3)), stateTensors: asFloat);
        Assert.Equal("1.num_batches_tracked", e.TensorName);
        Assert.StartsWith("Tensor '1.num_batches_tracked' has dtype I64 in the file, but NetDsl models hold F32 (float32) parameters.", e.Message);
        Assert.Contains("declare it with TensorDType.I64", e.Message);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(16_777_217L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void Load_CounterOutOfRange_Fails_AndLoadsNeitherBuffer(long count)
    {
        // Parameters first in the file, the counter last: the parameters were read when the counter fails.
        string header =
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        byte[] file = St.File(header, [.. St.Floats(1f, 2f), .. Longs(count)]);
        var e = LoadFails(file, [new("a", 0, [2])], [new("n", 0, [], TensorDType.I64)]);
        Assert.Equal("n", e.TensorName);
        Assert.Contains($"Tensor 'n' is an I64 counter holding {count} in the file", e.Message);
        Assert.Contains("accepts values in [0, 16777216]", e.Message);
    }

    [Fact]
    public void Load_CounterAtTheLimit_Loads()
    {
        string header = "{\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}";
        float[] state = [0f];
        SafeTensors.Load(new MemoryStream(St.File(header, Longs(16_777_216))), [], [], state, [new ParameterTensor("n", 0, [], TensorDType.I64)]);
        Assert.Equal(16_777_216f, state[0]);
    }

    [Fact]
    public void Load_CounterStoredWithShapeOne_IsAShapeMismatch()
    {
        string header = "{\"n\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        float[] state = [42.5f];
        var e = Assert.Throws<WeightFileException>(() =>
            SafeTensors.Load(new MemoryStream(St.File(header, Longs(3))), [], [], state, [new ParameterTensor("n", 0, [], TensorDType.I64)]));
        Assert.Contains("Tensor 'n' has shape [1] in the file but the model expects []", e.Message);
        Assert.Equal(42.5f, state[0]);
    }

    [Fact]
    public void Load_StateTensorMissing_LoadsNeitherBuffer()
    {
        var e = LoadFails(St.Save(St.Ramp(ParameterLength), Parameters()));
        Assert.Contains("3 tensors the model expects are missing from the file: '1.running_mean', '1.running_var', '1.num_batches_tracked'", e.Message);
    }

    [Fact]
    public void Load_TruncatedInTheStateSection_LoadsNeitherBuffer()
    {
        byte[] whole = SaveBoth(St.Ramp(ParameterLength), StateValues(3));
        var e = LoadFails(whole[..^3]);
        Assert.Equal("1.num_batches_tracked", e.TensorName);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Load_StateTensorWithTheWrongShape_LoadsNeitherBuffer()
    {
        ParameterTensor[] wider = [new("1.running_mean", 0, [3]), new("1.running_var", 3, [3]), new("1.num_batches_tracked", 6, [], TensorDType.I64)];
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, St.Ramp(ParameterLength), Parameters(), new float[7], wider);
        var e = LoadFails(stream.ToArray());
        Assert.Contains("Tensor '1.running_mean' has shape [3] in the file but the model expects [2]", e.Message);
    }

    [Fact]
    public void Load_UnexpectedTensor_IsRejected_UnlessIgnored()
    {
        ParameterTensor[] moreState = [.. State(), new("1.extra", 5, [1])];
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, St.Ramp(ParameterLength), Parameters(), [.. StateValues(2), 9f], moreState);
        byte[] file = stream.ToArray();
        var e = LoadFails(file);
        Assert.Contains("The file has a tensor the model does not expect: '1.extra'", e.Message);

        float[] p = new float[ParameterLength], s = new float[StateLength];
        SafeTensors.Load(new MemoryStream(file), p, Parameters(), s, State(), ignoreUnexpectedTensors: true);
        Assert.Equal(StateValues(2), s);
    }
}
