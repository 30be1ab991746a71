using System;
using NetDsl.Kernels;
using NetDsl.Tests.Kernels;
using NetDsl.Tests.Models;
using Xunit;

namespace NetDsl.Tests.EndToEnd;

/// <summary>
/// Generated recurrent networks against float64 references built from <see cref="RecurrentReference"/>: outputs and
/// every gradient of the loss against finite differences, through embeddings with padding (lengths), both
/// directions, stacked layers and sequence outputs.
/// </summary>
public class RecurrentNetworkTests
{
    private static double[] Slice(double[] p, int offset, int count) => p.AsSpan(offset, count).ToArray();

    private static RecurrentReference.Layer Layer(double[] p, RecurrentCell cell, int offset, int inputs, int hidden)
    {
        int gates = Recurrent.Gates(cell);
        int ih = gates * hidden * inputs, hh = gates * hidden * hidden, b = gates * hidden;
        return new RecurrentReference.Layer(cell, inputs, hidden, Slice(p, offset, ih), Slice(p, offset + ih, hh), Slice(p, offset + ih + hh, b), Slice(p, offset + ih + hh + b, b));
    }

    /// <summary>TinyTextClassifier's logits: embed, run the LSTM both ways over each sequence's length, last states, dense.</summary>
    private static double[] TextReference(double[] p, float[] indices, int batch)
    {
        const int steps = 5, dimension = 3, hidden = 4;
        var x = new double[batch * steps * dimension];
        var lengths = new int[batch];
        for (int s = 0; s < batch; s++)
        {
            for (int t = 0; t < steps; t++)
            {
                int index = (int)indices[s * steps + t];
                for (int d = 0; d < dimension; d++) x[(s * steps + t) * dimension + d] = p[TinyTextClassifier.Layer0WeightOffset + index * dimension + d];
                if (index != 0) lengths[s] = t + 1;
            }
        }
        int forward = TinyTextClassifier.Layer1WeightIhOffset, backward = TinyTextClassifier.Layer1ReverseWeightIhOffset;
        double[] hf = RecurrentReference.Forward(Layer(p, RecurrentCell.Lstm, forward, dimension, hidden), x, lengths, batch, steps, reverse: false);
        double[] hb = RecurrentReference.Forward(Layer(p, RecurrentCell.Lstm, backward, dimension, hidden), x, lengths, batch, steps, reverse: true);
        var logits = new double[batch * 2];
        for (int s = 0; s < batch; s++)
        {
            var last = new double[2 * hidden];
            for (int h = 0; h < hidden; h++)
            {
                last[h] = lengths[s] > 0 ? hf[(s * steps + lengths[s] - 1) * hidden + h] : 0;
                last[hidden + h] = hb[(s * steps) * hidden + h];
            }
            for (int o = 0; o < 2; o++)
            {
                double z = p[TinyTextClassifier.Layer2BiasOffset + o];
                for (int i = 0; i < 2 * hidden; i++) z += last[i] * p[TinyTextClassifier.Layer2WeightOffset + o * 2 * hidden + i];
                logits[s * 2 + o] = z;
            }
        }
        return logits;
    }

    [Fact]
    public void Embedding_and_bidirectional_LSTM_match_the_reference_with_padded_sequences()
    {
        const int batch = 3;
        // Sequences of length 5, 3 and 1 (trailing padding 0), with repeated indices.
        float[] indices = [1, 2, 3, 2, 6, 4, 4, 5, 0, 0, 3, 0, 0, 0, 0];
        var t = new float[] { 1, 0, 0, 1, 1, 0 };
        var network = new TinyTextClassifier(seed: 3);
        var workspace = new TinyTextClassifier.Workspace(batch);

        var outputs = new float[batch * 2];
        network.Forward(indices, outputs, workspace);
        double[] p = MlpReference.ToDouble(network.Parameters);
        double[] expected = TextReference(p, indices, batch);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], outputs[i], 1e-5);

        float loss = network.ComputeGradients(indices, t, workspace);
        double[] td = MlpReference.ToDouble(t);
        Assert.Equal(MlpReference.Loss(Loss.SoftmaxCrossEntropy, expected, td, batch), loss, 1e-5);
        FiniteDifferences.AssertGradient(network.Gradients, p, () => MlpReference.Loss(Loss.SoftmaxCrossEntropy, TextReference(p, indices, batch), td, batch), "dL/dθ");
        // The padding row gets no gradient; index 6 is used once, so its row does.
        for (int d = 0; d < 3; d++)
            Assert.Equal(0f, network.Gradients[TinyTextClassifier.Layer0WeightOffset + d]);
    }

    /// <summary>TinyForecaster's outputs: GRU over the whole sequence, a simple RNN over the GRU's states, dense on its last state.</summary>
    private static double[] ForecastReference(double[] p, double[] x, int batch)
    {
        const int steps = 6;
        double[] gru = RecurrentReference.Forward(Layer(p, RecurrentCell.Gru, TinyForecaster.Layer0WeightIhOffset, 2, 3), x, [], batch, steps, reverse: false);
        double[] rnn = RecurrentReference.Forward(Layer(p, RecurrentCell.SimpleRnn, TinyForecaster.Layer1WeightIhOffset, 3, 4), gru, [], batch, steps, reverse: false);
        var y = new double[batch];
        for (int s = 0; s < batch; s++)
        {
            y[s] = p[TinyForecaster.Layer2BiasOffset];
            for (int h = 0; h < 4; h++) y[s] += rnn[(s * steps + steps - 1) * 4 + h] * p[TinyForecaster.Layer2WeightOffset + h];
        }
        return y;
    }

    [Fact]
    public void Stacked_GRU_and_simple_RNN_match_the_reference_in_every_gradient_and_the_input_gradient()
    {
        const int batch = 2;
        var random = new Random(8);
        var x = new float[batch * 12];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        float[] t = [0.3f, -0.5f];
        var network = new TinyForecaster(seed: 8);
        var workspace = new TinyForecaster.Workspace(batch);

        float loss = network.ComputeGradients(x, t, workspace);
        double[] p = MlpReference.ToDouble(network.Parameters), xd = MlpReference.ToDouble(x), td = MlpReference.ToDouble(t);
        double LossAt() => MlpReference.Loss(Loss.MeanSquaredError, ForecastReference(p, xd, batch), td, batch);
        Assert.Equal(LossAt(), loss, 1e-5);
        FiniteDifferences.AssertGradient(network.Gradients, p, LossAt, "dL/dθ");

        // The input gradient through both layers, from dL/dy of the same loss.
        var y = new float[batch];
        network.Forward(x, y, workspace);
        var dy = new float[batch];
        LossFunctions.MeanSquaredError(y, t, dy);
        var dx = new float[x.Length];
        network.Backward(x, dy, dx, workspace);
        FiniteDifferences.AssertGradient(dx, xd, LossAt, "dL/dx");
    }

    [Fact]
    public void Recurrent_training_steps_allocate_nothing_after_warm_up()
    {
        using var kernelThreads = KernelThreads.Hold();
        var network = new TinyTextClassifier(seed: 1);
        float[] indices = [1, 2, 3, 0, 0, 4, 5, 6, 1, 0];
        float[] t = [1, 0, 0, 1];
        var workspace = new TinyTextClassifier.Workspace(2);
        var adam = new Adam(1e-2f);
        network.TrainStep(indices, t, adam, workspace);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
            network.TrainStep(indices, t, adam, workspace);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
