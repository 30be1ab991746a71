using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// <see cref="Recurrent"/> reproduces PyTorch's <c>nn.RNN</c>, <c>nn.LSTM</c> and <c>nn.GRU</c> (batch_first, input 3,
/// hidden 4) from the same weights: outputs and the gradients of <c>L = Σ w ⊙ output</c>, unidirectional over full
/// sequences and bidirectional over packed sequences with lengths (the reverse direction starts at each sample's last
/// valid step). The numbers are in <c>tests/data/recurrent/fixture.json</c>, written by <c>make_fixture.py</c> there;
/// no PyTorch is needed to run this.
/// </summary>
public class RecurrentTorchTests
{
    private static readonly Lazy<JsonElement[]> s_cases = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "recurrent", "fixture.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
    });

    public static TheoryData<string> Cases => new() { "rnn", "rnn_bidirectional_packed", "lstm", "lstm_bidirectional_packed", "gru", "gru_bidirectional_packed" };

    private static float[] Floats(JsonElement element) => element.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    private static double[] Doubles(JsonElement element) => element.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    [Theory, MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        JsonElement c = s_cases.Value.Single(e => e.GetProperty("name").GetString() == name);
        var cell = Enum.Parse<RecurrentCell>(c.GetProperty("cell").GetString()!);
        int batch = c.GetProperty("batch").GetInt32(), steps = c.GetProperty("steps").GetInt32();
        int inputs = c.GetProperty("input").GetInt32(), units = c.GetProperty("hidden").GetInt32();
        bool bidirectional = c.GetProperty("bidirectional").GetBoolean();
        int[] lengths = c.GetProperty("lengths").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        float[] x = Floats(c.GetProperty("x")), w = Floats(c.GetProperty("w"));
        JsonElement parameters = c.GetProperty("parameters"), gradients = c.GetProperty("gradients");
        var geometry = new RecurrentGeometry(steps, inputs, units);
        int directions = bidirectional ? 2 : 1;

        // PyTorch's output is [B, T, directions·H]: forward direction first, then reverse. Split w the same way.
        var output = new float[batch * steps * directions * units];
        var dx = new double[x.Length];
        foreach (bool reverse in bidirectional ? new[] { false, true } : new[] { false })
        {
            string suffix = reverse ? "_l0_reverse" : "_l0";
            float[] weightIh = Floats(parameters.GetProperty("weight_ih" + suffix)), weightHh = Floats(parameters.GetProperty("weight_hh" + suffix));
            float[] biasIh = Floats(parameters.GetProperty("bias_ih" + suffix)), biasHh = Floats(parameters.GetProperty("bias_hh" + suffix));
            var hidden = new float[batch * steps * units];
            var cache = new float[Recurrent.CacheSize(cell, geometry, batch)];
            Recurrent.Forward(cell, x, lengths, weightIh, weightHh, biasIh, biasHh, hidden, cache, geometry, batch, reverse);

            var hiddenGradient = new float[hidden.Length];
            int column = reverse ? units : 0;
            for (int row = 0; row < batch * steps; row++)
            {
                Array.Copy(hidden, row * units, output, row * directions * units + column, units);
                Array.Copy(w, row * directions * units + column, hiddenGradient, row * units, units);
            }

            float[] dWih = new float[weightIh.Length], dWhh = new float[weightHh.Length], dbIh = new float[biasIh.Length], dbHh = new float[biasHh.Length];
            float[] dxDirection = new float[x.Length];
            Recurrent.Backward(cell, x, lengths, weightIh, weightHh, hidden, cache, hiddenGradient, dWih, dWhh, dbIh, dbHh, dxDirection,
                new float[Recurrent.ScratchSize(cell, geometry, batch)], geometry, batch, reverse: reverse);
            const double absolute = 1e-5, relative = 1e-4;
            TestData.Near(Doubles(gradients.GetProperty("weight_ih" + suffix)), dWih, absolute, relative, $"{name}: d weight_ih{suffix}");
            TestData.Near(Doubles(gradients.GetProperty("weight_hh" + suffix)), dWhh, absolute, relative, $"{name}: d weight_hh{suffix}");
            TestData.Near(Doubles(gradients.GetProperty("bias_ih" + suffix)), dbIh, absolute, relative, $"{name}: d bias_ih{suffix}");
            TestData.Near(Doubles(gradients.GetProperty("bias_hh" + suffix)), dbHh, absolute, relative, $"{name}: d bias_hh{suffix}");
            for (int i = 0; i < dx.Length; i++) dx[i] += dxDirection[i];
        }

        TestData.Near(Doubles(c.GetProperty("output")), output, 1e-5, 0, $"{name}: output");
        TestData.Near(Doubles(c.GetProperty("dx")), dx.Select(v => (float)v).ToArray(), 1e-5, 1e-4, $"{name}: dx");
    }
}
