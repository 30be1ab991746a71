using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Kernels;
using NetDsl.Serialization;
using Xunit;

namespace NetDsl.Tests.Serialization;

/// <summary>
/// Reads <c>tests/data/safetensors/torch_bn.safetensors</c>, the state_dict of
/// <c>Sequential(Conv2d(1, 2, 3), BatchNorm2d(2))</c> after three training steps, made with real PyTorch by
/// <c>make_bn_fixture.py</c>, with the two-buffer API, and checks it against <c>torch_bn.json</c>: the values, the
/// BatchNorm's eval-mode output and one more training step, computed by <see cref="BatchNormalization"/>. Python is never run here.
/// </summary>
public class TorchBatchNormFixtureTests
{
    private static string DataPath(string file) => Path.Combine(AppContext.BaseDirectory, "data", "safetensors", file);

    /// <summary>Parameters as the generator would lay them out: conv weight [2,1,3,3], conv bias, BN weight (γ), BN bias (β): 24 floats.</summary>
    private static readonly ParameterTensor[] ParameterTensors =
    [
        new("0.weight", 0, [2, 1, 3, 3]),
        new("0.bias", 18, [2]),
        new("1.weight", 20, [2]),
        new("1.bias", 22, [2]),
    ];

    /// <summary>The BatchNorm's state: running_mean, running_var, num_batches_tracked (I64 scalar): 5 floats.</summary>
    private static readonly ParameterTensor[] StateTensors =
    [
        new("1.running_mean", 0, [2]),
        new("1.running_var", 2, [2]),
        new("1.num_batches_tracked", 4, [], TensorDType.I64),
    ];

    private static (float[] Parameters, float[] State) LoadFixture()
    {
        float[] parameters = new float[24], state = new float[5];
        SafeTensors.Load(DataPath("torch_bn.safetensors"), parameters, ParameterTensors, state, StateTensors);
        return (parameters, state);
    }

    private static JsonDocument Expected() => JsonDocument.Parse(File.ReadAllText(DataPath("torch_bn.json")));

    private static double[] Values(JsonElement element) => element.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static float[] Floats(JsonElement element) => Values(element).Select(v => (float)v).ToArray();

    [Fact]
    public void Values_EqualThoseRecordedByPyTorch_Exactly()
    {
        var (parameters, state) = LoadFixture();
        using JsonDocument expected = Expected();
        JsonElement tensors = expected.RootElement.GetProperty("tensors");
        Assert.Equal(7, tensors.EnumerateObject().Count());
        foreach (var (t, buffer) in ParameterTensors.Select(t => (t, parameters)).Concat(StateTensors.Select(t => (t, state))))
        {
            JsonElement entry = tensors.GetProperty(t.Name);
            Assert.Equal(t.DType.ToString(), entry.GetProperty("dtype").GetString());
            Assert.Equal(t.Shape, entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray());
            double[] values = Values(entry);
            Assert.Equal(t.Shape.Aggregate(1, (a, b) => a * b), values.Length);
            for (int i = 0; i < values.Length; i++)
            {
                Assert.Equal((double)(float)values[i], values[i]); // float32 (or small integers) exactly in the JSON
                Assert.Equal(BitConverter.SingleToInt32Bits((float)values[i]), BitConverter.SingleToInt32Bits(buffer[t.Offset + i]));
            }
        }
        Assert.Equal(3f, state[4]); // num_batches_tracked after three training forwards
    }

    [Fact]
    public void ConvOutput_FromTheLoadedWeights_MatchesPyTorch()
    {
        var (p, _) = LoadFixture();
        using JsonDocument expected = Expected();
        double[] x = Values(expected.RootElement.GetProperty("input")); // [2, 1, 5, 5]
        double[] conv = Values(expected.RootElement.GetProperty("conv_output")); // [2, 2, 3, 3]
        for (int b = 0; b < 2; b++)
            for (int o = 0; o < 2; o++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                    {
                        double sum = p[18 + o];
                        for (int ki = 0; ki < 3; ki++)
                            for (int kj = 0; kj < 3; kj++)
                                sum += p[o * 9 + ki * 3 + kj] * x[b * 25 + (i + ki) * 5 + j + kj];
                        double torch = conv[((b * 2 + o) * 3 + i) * 3 + j];
                        Assert.True(Math.Abs(sum - torch) <= 1e-5, $"conv[{b},{o},{i},{j}] = {sum} vs torch {torch}");
                    }
    }

    [Fact]
    public void EvalOutput_OfForwardInference_WithTheLoadedStatistics_MatchesPyTorch()
    {
        var (p, state) = LoadFixture();
        using JsonDocument expected = Expected();
        Assert.Equal(1e-5, expected.RootElement.GetProperty("bn_eps").GetDouble());
        float[] conv = Floats(expected.RootElement.GetProperty("conv_output"));
        double[] torch = Values(expected.RootElement.GetProperty("bn_eval_output"));

        var y = new float[conv.Length];
        BatchNormalization.ForwardInference(conv, p.AsSpan(20, 2), p.AsSpan(22, 2), state.AsSpan(0, 2), state.AsSpan(2, 2), y, channels: 2, spatial: 9, batch: 2);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - torch[i]) <= 1e-5, $"y[{i}] = {y[i]} vs torch {torch[i]}");
    }

    [Fact]
    public void OneMoreTrainingStep_OfForwardTraining_MatchesPyTorch()
    {
        var (p, state) = LoadFixture();
        using JsonDocument expected = Expected();
        JsonElement step = expected.RootElement.GetProperty("bn_train_step");
        float[] conv = Floats(expected.RootElement.GetProperty("conv_output"));
        double[] torch = Values(step.GetProperty("output"));

        float[] y = new float[conv.Length], mean = new float[2], inverseStd = new float[2];
        BatchNormalization.ForwardTraining(conv, p.AsSpan(20, 2), p.AsSpan(22, 2), state.AsSpan(0, 2), state.AsSpan(2, 2), y, mean, inverseStd,
            channels: 2, spatial: 9, batch: 2);
        state[4] += 1; // what the generated training step does with num_batches_tracked

        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - torch[i]) <= 1e-5, $"y[{i}] = {y[i]} vs torch {torch[i]}");
        double[] runningMean = step.GetProperty("running_mean").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double[] runningVar = step.GetProperty("running_var").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int c = 0; c < 2; c++)
        {
            Assert.True(Math.Abs(state[c] - runningMean[c]) <= 1e-6, $"running_mean[{c}] = {state[c]} vs torch {runningMean[c]}");
            Assert.True(Math.Abs(state[2 + c] - runningVar[c]) <= 1e-6 * Math.Abs(runningVar[c]) + 1e-7, $"running_var[{c}] = {state[2 + c]} vs torch {runningVar[c]}");
        }
        Assert.Equal(step.GetProperty("num_batches_tracked").GetInt64(), (long)state[4]);
    }

    [Fact]
    public void ResavedFile_HasExactlyPyTorchsKeysDtypesShapesAndValues()
    {
        var (parameters, state) = LoadFixture();
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, parameters, ParameterTensors, state, StateTensors, new Dictionary<string, string> { ["format"] = "pt" });
        byte[] ours = stream.ToArray();
        byte[] theirs = File.ReadAllBytes(DataPath("torch_bn.safetensors"));

        static Dictionary<string, (string DType, string Shape, byte[] Data)> Entries(byte[] file)
        {
            int headerLength = (int)BitConverter.ToUInt64(file, 0);
            using JsonDocument header = JsonDocument.Parse(file.AsMemory(8, headerLength));
            var result = new Dictionary<string, (string, string, byte[])>();
            foreach (JsonProperty entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                    continue;
                JsonElement offsets = entry.Value.GetProperty("data_offsets");
                int begin = 8 + headerLength + offsets[0].GetInt32(), end = 8 + headerLength + offsets[1].GetInt32();
                result[entry.Name] = (entry.Value.GetProperty("dtype").GetString()!, entry.Value.GetProperty("shape").GetRawText(), file[begin..end]);
            }
            return result;
        }

        var a = Entries(ours);
        var b = Entries(theirs);
        Assert.Equal(b.Keys.Order(StringComparer.Ordinal), a.Keys.Order(StringComparer.Ordinal));
        foreach (string name in b.Keys)
        {
            Assert.Equal(b[name].DType, a[name].DType);
            Assert.Equal(b[name].Shape, a[name].Shape);
            Assert.Equal(b[name].Data, a[name].Data);
        }
        Assert.Equal(theirs.Length, ours.Length);
        Assert.Equal("pt", SafeTensors.ReadMetadata(new MemoryStream(ours))["format"]);
    }

    [Fact]
    public void ParametersAlone_LoadFromTheTorchFile_OnlyWhenItsStateIsIgnored()
    {
        float[] parameters = new float[24];
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(DataPath("torch_bn.safetensors"), parameters, ParameterTensors));
        Assert.Contains("3 tensors the model does not expect", e.Message);
        Assert.All(parameters, v => Assert.Equal(0f, v));

        SafeTensors.Load(DataPath("torch_bn.safetensors"), parameters, ParameterTensors, ignoreUnexpectedTensors: true);
        Assert.Equal(LoadFixture().Parameters, parameters);
    }
}
