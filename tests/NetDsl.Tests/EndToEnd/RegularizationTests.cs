using System;
using NetDsl.Tests.Models;
using Xunit;

namespace NetDsl.Tests.EndToEnd;

/// <summary>
/// Dropout layers, L1/L2 penalties and per-layer initializers, against an independent float64 reference of
/// <see cref="Regularized"/>: x → dropout 0.2 → dense 6→12 ReLU (L2 0.01) → dropout 0.5 → dense 12→4 (L1 0.001, L2 0.002),
/// softmax cross-entropy.
/// </summary>
public class RegularizationTests
{
    private const int W1 = Regularized.Layer1WeightOffset, B1 = Regularized.Layer1BiasOffset;
    private const int W3 = Regularized.Layer3WeightOffset, B3 = Regularized.Layer3BiasOffset;

    /// <summary>The training loss with fixed masks m0 [B,6] and m2 [B,12] (values 0 or 1/(1-p)), penalties included.</summary>
    private static double ReferenceLoss(double[] p, double[] x, double[] t, double[] m0, double[] m2, int batch)
    {
        double loss = 0;
        for (int s = 0; s < batch; s++)
        {
            var a0 = new double[6];
            for (int i = 0; i < 6; i++) a0[i] = x[s * 6 + i] * m0[s * 6 + i];
            var a2 = new double[12];
            for (int o = 0; o < 12; o++)
            {
                double z = p[B1 + o];
                for (int i = 0; i < 6; i++) z += a0[i] * p[W1 + o * 6 + i];
                a2[o] = Math.Max(z, 0) * m2[s * 12 + o];
            }
            var z3 = new double[4];
            double max = double.NegativeInfinity;
            for (int o = 0; o < 4; o++)
            {
                z3[o] = p[B3 + o];
                for (int i = 0; i < 12; i++) z3[o] += a2[i] * p[W3 + o * 12 + i];
                max = Math.Max(max, z3[o]);
            }
            double sum = 0;
            for (int o = 0; o < 4; o++) sum += Math.Exp(z3[o] - max);
            for (int o = 0; o < 4; o++) loss -= t[s * 4 + o] * (z3[o] - max - Math.Log(sum));
        }
        loss /= batch;
        for (int i = 0; i < 12 * 6; i++) loss += 0.01 * p[W1 + i] * p[W1 + i];
        for (int i = 0; i < 4 * 12; i++) loss += 0.001 * Math.Abs(p[W3 + i]) + 0.002 * p[W3 + i] * p[W3 + i];
        return loss;
    }

    private static (float[] X, float[] T) Batch(int batch, int seed)
    {
        var random = new Random(seed);
        var x = new float[batch * 6];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        var t = new float[batch * 4];
        for (int s = 0; s < batch; s++) t[s * 4 + random.Next(4)] = 1;
        return (x, t);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(16)]
    public void Training_gradients_with_dropout_masks_and_penalties_match_finite_differences(int batch)
    {
        var network = new Regularized(seed: batch);
        var workspace = new Regularized.Workspace(batch, seed: batch);
        (float[] x, float[] t) = Batch(batch, batch);

        float loss = network.ComputeGradients(x, t, workspace);

        // The masks this pass drew, then the reference with the same masks.
        double[] m0 = MlpReference.ToDouble(workspace.Layer0Mask.AsSpan(0, batch * 6));
        double[] m2 = MlpReference.ToDouble(workspace.Layer2Mask.AsSpan(0, batch * 12));
        double[] p = MlpReference.ToDouble(network.Parameters), xd = MlpReference.ToDouble(x), td = MlpReference.ToDouble(t);
        Assert.Equal(ReferenceLoss(p, xd, td, m0, m2, batch), loss, 1e-5);

        FiniteDifferences.AssertGradient(network.Gradients, p, () => ReferenceLoss(p, xd, td, m0, m2, batch), "dL/dθ");
    }

    [Fact]
    public void Dropout_masks_drop_the_declared_fraction_scale_the_rest_and_repeat_with_the_seed()
    {
        const int batch = 512;
        var network = new Regularized(seed: 1);
        (float[] x, float[] t) = Batch(batch, 1);
        var first = new Regularized.Workspace(batch, seed: 7);
        var second = new Regularized.Workspace(batch, seed: 7);
        var other = new Regularized.Workspace(batch, seed: 8);
        network.ComputeGradients(x, t, first);
        network.ComputeGradients(x, t, second);
        network.ComputeGradients(x, t, other);

        float[] mask = first.Layer2Mask;
        int dropped = 0;
        foreach (float m in mask)
        {
            Assert.True(m == 0 || m == 2f, $"mask value {m} is neither 0 nor 1/(1 - 0.5)");
            if (m == 0) dropped++;
        }
        double fraction = (double)dropped / mask.Length; // 6144 draws: 3 standard deviations are ±0.019
        Assert.InRange(fraction, 0.5 - 0.02, 0.5 + 0.02);
        Assert.Equal(first.Layer2Mask, second.Layer2Mask);
        Assert.NotEqual(first.Layer2Mask, other.Layer2Mask);
        Assert.All(first.Layer0Mask, m => Assert.True(m == 0 || Math.Abs(m - 1.25f) < 1e-6f));
    }

    [Fact]
    public void Dropout_is_the_identity_at_inference()
    {
        const int batch = 3;
        var network = new Regularized(seed: 2);
        (float[] x, _) = Batch(batch, 2);
        var outputs = new float[batch * 4];
        network.Forward(x, outputs, new Regularized.Workspace(batch));

        // The same network without dropout, by the plain MLP reference on the dense layers' parameters.
        var reference = new MlpReference(new MlpReference.Layer(6, 12, Activation.ReLU), new MlpReference.Layer(12, 4, Activation.Identity));
        double[] expected = reference.Forward(MlpReference.ToDouble(network.Parameters), MlpReference.ToDouble(x), batch);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], outputs[i], 1e-5);
    }

    [Fact]
    public void Backward_after_an_inference_pass_treats_dropout_as_the_identity()
    {
        const int batch = 2;
        var network = new Regularized(seed: 3);
        var workspace = new Regularized.Workspace(batch);
        (float[] x, _) = Batch(batch, 3);
        var outputs = new float[batch * 4];
        network.Forward(x, outputs, workspace);
        var dy = new float[outputs.Length];
        dy[1] = 1; // d(output[0,1])/d·
        var dx = new float[x.Length];
        network.Backward(x, dy, dx, workspace);

        var reference = new MlpReference(new MlpReference.Layer(6, 12, Activation.ReLU), new MlpReference.Layer(12, 4, Activation.Identity));
        double[] p = MlpReference.ToDouble(network.Parameters), xd = MlpReference.ToDouble(x);
        for (int i = 0; i < xd.Length; i++)
        {
            double saved = xd[i];
            xd[i] = saved + 1e-6;
            double plus = reference.Forward(p, xd, batch)[1];
            xd[i] = saved - 1e-6;
            double minus = reference.Forward(p, xd, batch)[1];
            xd[i] = saved;
            Assert.Equal((plus - minus) / 2e-6, dx[i], 1e-4);
        }
    }

    [Fact]
    public void ComputeGradients_leaves_the_parameters_alone()
    {
        var network = new Regularized(seed: 4);
        float[] before = network.Parameters.ToArray();
        (float[] x, float[] t) = Batch(4, 4);
        network.ComputeGradients(x, t, new Regularized.Workspace(4));
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void Declared_initializers_fill_weights_and_biases_with_the_declared_distributions()
    {
        var network = new CustomInitialization(seed: 5);
        ReadOnlySpan<float> p = network.Parameters;

        // Layer 0: W ~ N(0, 0.5²), b = 0.1.
        (double mean, double std) = Moments(p.Slice(CustomInitialization.Layer0WeightOffset, 300 * 200));
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(std, 0.49, 0.51);
        Assert.All(p.Slice(CustomInitialization.Layer0BiasOffset, 300).ToArray(), b => Assert.Equal(0.1f, b));

        // Layer 1: W ~ U(±0.3): std 0.3/√3, bounded by 0.3; b ~ U(±1/√300) (PyTorch's default).
        ReadOnlySpan<float> w1 = p.Slice(CustomInitialization.Layer1WeightOffset, 100 * 300);
        (mean, std) = Moments(w1);
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(std, 0.3 / Math.Sqrt(3) * 0.97, 0.3 / Math.Sqrt(3) * 1.03);
        Assert.All(w1.ToArray(), w => Assert.InRange(w, -0.3f, 0.3f));
        float bound = 1 / MathF.Sqrt(300);
        Assert.All(p.Slice(CustomInitialization.Layer1BiasOffset, 100).ToArray(), b => Assert.InRange(b, -bound, bound));
        Assert.Contains(p.Slice(CustomInitialization.Layer1BiasOffset, 100).ToArray(), b => b != 0);
    }

    private static (double Mean, double Std) Moments(ReadOnlySpan<float> values)
    {
        double sum = 0, squares = 0;
        foreach (float v in values) { sum += v; squares += (double)v * v; }
        double mean = sum / values.Length;
        return (mean, Math.Sqrt(squares / values.Length - mean * mean));
    }
}
