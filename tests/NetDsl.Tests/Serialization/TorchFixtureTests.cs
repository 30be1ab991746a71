using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Serialization;
using Xunit;

namespace NetDsl.Tests.Serialization;

/// <summary>
/// Reads <c>tests/data/safetensors/torch_mlp.safetensors</c>, the state_dict of
/// <c>Sequential(Linear(4,3), ReLU(), Linear(3,2))</c> made with real PyTorch by <c>make_fixture.py</c>, and checks it
/// against the values and the forward pass that PyTorch recorded in <c>torch_mlp.json</c>. Python is never run here.
/// </summary>
public class TorchFixtureTests
{
    private static string DataPath(string file) => Path.Combine(AppContext.BaseDirectory, "data", "safetensors", file);

    private static JsonDocument Expected() => JsonDocument.Parse(File.ReadAllText(DataPath("torch_mlp.json")));

    private static float[] LoadMlp()
    {
        var parameters = new float[St.MlpLength];
        SafeTensors.Load(DataPath("torch_mlp.safetensors"), parameters, St.Mlp());
        return parameters;
    }

    [Fact]
    public void Values_EqualThoseRecordedByPyTorch_Exactly()
    {
        float[] parameters = LoadMlp();
        using JsonDocument expected = Expected();
        JsonElement tensors = expected.RootElement.GetProperty("tensors");
        Assert.Equal(4, tensors.EnumerateObject().Count());
        foreach (ParameterTensor t in St.Mlp())
        {
            JsonElement entry = tensors.GetProperty(t.Name);
            Assert.Equal(t.Shape, entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray());
            double[] values = entry.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(t.Shape.Aggregate(1, (a, b) => a * b), values.Length);
            for (int i = 0; i < values.Length; i++)
            {
                Assert.Equal((double)(float)values[i], values[i]); // the JSON holds float32 values exactly
                Assert.Equal(BitConverter.SingleToInt32Bits((float)values[i]), BitConverter.SingleToInt32Bits(parameters[t.Offset + i]));
            }
        }
    }

    [Fact]
    public void ForwardPass_WithLoadedWeights_MatchesPyTorchOutput()
    {
        float[] p = LoadMlp();
        using JsonDocument expected = Expected();
        double[] x = expected.RootElement.GetProperty("input").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double[] y = expected.RootElement.GetProperty("output").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(8, x.Length);
        Assert.Equal(4, y.Length);

        for (int row = 0; row < 2; row++)
        {
            var hidden = new double[3];
            for (int o = 0; o < 3; o++)
            {
                double sum = p[12 + o]; // 0.bias
                for (int i = 0; i < 4; i++)
                    sum += p[o * 4 + i] * x[row * 4 + i]; // 0.weight [out=3, in=4]
                hidden[o] = Math.Max(0, sum);
            }
            for (int o = 0; o < 2; o++)
            {
                double sum = p[21 + o]; // 2.bias
                for (int i = 0; i < 3; i++)
                    sum += p[15 + o * 3 + i] * hidden[i]; // 2.weight [out=2, in=3]
                Assert.True(Math.Abs(sum - y[row * 2 + o]) <= 1e-6, $"row {row} output {o}: {sum} vs torch {y[row * 2 + o]}");
            }
        }
    }

    [Fact]
    public void FileOrderDiffersFromModelOrder_AndMetadataIsRead()
    {
        // The reference writer sorts tensors by name: 0.bias comes first in the file, while the model lists 0.weight first.
        byte[] file = File.ReadAllBytes(DataPath("torch_mlp.safetensors"));
        int headerLength = (int)BitConverter.ToUInt64(file, 0);
        using JsonDocument header = JsonDocument.Parse(file.AsMemory(8, headerLength));
        Assert.Equal(["__metadata__", "0.bias", "0.weight", "2.bias", "2.weight"], header.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("pt", SafeTensors.ReadMetadata(DataPath("torch_mlp.safetensors"))["format"]);
    }

    [Fact]
    public void ResavingTheLoadedWeights_InFileOrder_ReproducesTheTorchFileByteForByte()
    {
        float[] parameters = LoadMlp();
        ParameterTensor[] mlp = St.Mlp();
        ParameterTensor[] fileOrder = [mlp[1], mlp[0], mlp[3], mlp[2]];
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, parameters, fileOrder, new System.Collections.Generic.Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(File.ReadAllBytes(DataPath("torch_mlp.safetensors")), stream.ToArray());
    }

    [Fact]
    public void TheFixtureIsStrict_ANetworkWithOtherSizesIsRejected()
    {
        ParameterTensor[] wider = [new("0.weight", 0, [5, 4]), new("0.bias", 20, [5]), new("2.weight", 25, [2, 5]), new("2.bias", 35, [2])];
        float[] destination = new float[37];
        var e = Assert.Throws<WeightFileException>(() => SafeTensors.Load(DataPath("torch_mlp.safetensors"), destination, wider));
        Assert.Equal("0.weight", e.TensorName);
        Assert.Contains("has shape [3, 4] in the file but the model expects [5, 4]", e.Message);
        Assert.Equal(DataPath("torch_mlp.safetensors"), e.FilePath);
        Assert.All(destination, v => Assert.Equal(0f, v));
    }
}
