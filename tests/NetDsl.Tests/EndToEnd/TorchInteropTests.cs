using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Tests.Models;
using Xunit;

namespace NetDsl.Tests.EndToEnd;

/// <summary>
/// Generated networks take PyTorch's weights as they are: a torch-written safetensors file of a conv + batch norm, and
/// torch's RNN, LSTM and GRU weights, give torch's outputs (fixtures made with torch 1.13 by the scripts beside them).
/// </summary>
public class TorchInteropTests
{
    private static string Data(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "data", .. parts]);

    private static float[] Floats(JsonElement values) => values.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    [Fact]
    public void A_torch_conv_and_batch_norm_file_loads_and_gives_torch_s_eval_output()
    {
        using JsonDocument fixture = JsonDocument.Parse(File.ReadAllText(Data("safetensors", "torch_bn.json")));
        float[] input = Floats(fixture.RootElement.GetProperty("input").GetProperty("values"));
        float[] expected = Floats(fixture.RootElement.GetProperty("bn_eval_output").GetProperty("values"));
        var network = new TorchConvBatchNorm();

        network.LoadParameters(Data("safetensors", "torch_bn.safetensors"));

        Assert.Equal(3f, network.State[TorchConvBatchNorm.Layer1StateOffset + 4]); // num_batches_tracked, read from I64
        var outputs = new float[expected.Length];
        network.Forward(input, outputs, new TorchConvBatchNorm.Workspace(2));
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], outputs[i], 1e-5);
    }

    [Theory]
    [InlineData("rnn")]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void Torch_recurrent_weights_give_torch_s_states(string name)
    {
        using JsonDocument fixture = JsonDocument.Parse(File.ReadAllText(Data("recurrent", "fixture.json")));
        JsonElement testCase = fixture.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        INetwork network = name switch { "rnn" => new TorchRnn(), "lstm" => new TorchLstm(), _ => new TorchGru() };

        // Each tensor by its PyTorch name ("lstm.weight_ih_l0" ← torch's "weight_ih_l0"), where the network says it lives.
        foreach (var tensor in network.ParameterTensors)
        {
            float[] values = Floats(testCase.GetProperty("parameters").GetProperty(tensor.Name[(tensor.Name.IndexOf('.') + 1)..]));
            Assert.Equal(tensor.Shape.Aggregate(1, (a, b) => a * b), values.Length);
            values.CopyTo(network.Parameters[tensor.Offset..]);
        }
        float[] x = Floats(testCase.GetProperty("x"));
        float[] expected = Floats(testCase.GetProperty("output"));
        var outputs = new float[expected.Length];

        network.Forward(x, outputs, network.CreateWorkspace(2));

        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], outputs[i], 1e-5);
    }

    [Fact]
    public void A_torch_two_layer_LSTM_loads_into_two_levels_and_gives_torch_s_output()
    {
        using JsonDocument fixture = JsonDocument.Parse(File.ReadAllText(Data("recurrent", "stacked_lstm.json")));
        var network = new TorchStackedLstm();
        Assert.Equal(["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1"],
            TorchStackedLstm.ParameterTensors.ToArray().Select(t => t.Name));
        foreach (var tensor in TorchStackedLstm.ParameterTensors)
            Floats(fixture.RootElement.GetProperty("parameters").GetProperty(tensor.Name["lstm.".Length..])).CopyTo(network.Parameters[tensor.Offset..]);
        float[] x = Floats(fixture.RootElement.GetProperty("x"));
        float[] expected = Floats(fixture.RootElement.GetProperty("output"));
        var outputs = new float[expected.Length];

        network.Forward(x, outputs, new TorchStackedLstm.Workspace(2));

        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], outputs[i], 1e-5);
    }
}
