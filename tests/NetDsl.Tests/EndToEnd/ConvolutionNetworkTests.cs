using System;
using NetDsl.Kernels;
using NetDsl.Tests.Kernels;
using NetDsl.Tests.Models;
using Xunit;

namespace NetDsl.Tests.EndToEnd;

/// <summary>
/// Generated CNNs against float64 references composed from <see cref="ConvolutionReference"/>: forward outputs, and
/// every parameter's and input's gradient of the loss against finite differences.
/// </summary>
public class ConvolutionNetworkTests
{
    private static readonly Conv2DGeometry s_conv0 = new(2, 9, 8, 3, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
    private static readonly Pool2DGeometry s_pool1 = new(3, 9, 8, 2, 2, 2, 2);
    private static readonly Conv2DGeometry s_conv2 = new(3, 4, 4, 4, 2, 2, StrideHeight: 2, StrideWidth: 2);

    private static double[] Slice(double[] p, int offset, int count) => p.AsSpan(offset, count).ToArray();

    /// <summary>TinyCnn's logits in float64.</summary>
    private static double[] TinyCnnReference(double[] p, double[] x, int batch)
    {
        double[] a = ConvolutionReference.Conv2D(x, Slice(p, TinyCnn.Layer0WeightOffset, 3 * 2 * 9), Slice(p, TinyCnn.Layer0BiasOffset, 3), s_conv0, batch);
        for (int i = 0; i < a.Length; i++) a[i] = Math.Tanh(a[i]);
        (double[] pooled, _) = ConvolutionReference.MaxPool2D(a, s_pool1, batch);
        double[] b = ConvolutionReference.Conv2D(pooled, Slice(p, TinyCnn.Layer2WeightOffset, 4 * 3 * 4), Slice(p, TinyCnn.Layer2BiasOffset, 4), s_conv2, batch);
        for (int i = 0; i < b.Length; i++) b[i] = Math.Tanh(b[i]);
        var logits = new double[batch * 3];
        for (int s = 0; s < batch; s++)
            for (int o = 0; o < 3; o++)
            {
                double z = p[TinyCnn.Layer4BiasOffset + o];
                for (int i = 0; i < 16; i++) z += b[s * 16 + i] * p[TinyCnn.Layer4WeightOffset + o * 16 + i];
                logits[s * 3 + o] = z;
            }
        return logits;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void TinyCnn_forward_and_every_gradient_match_the_float64_reference(int batch)
    {
        var random = new Random(batch);
        var network = new TinyCnn(seed: batch);
        var x = new float[batch * TinyCnn.InputSize];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        var t = new float[batch * 3];
        for (int s = 0; s < batch; s++) t[s * 3 + random.Next(3)] = 1;
        var workspace = new TinyCnn.Workspace(batch);

        var outputs = new float[batch * 3];
        network.Forward(x, outputs, workspace);
        double[] p = MlpReference.ToDouble(network.Parameters), xd = MlpReference.ToDouble(x), td = MlpReference.ToDouble(t);
        double[] expected = TinyCnnReference(p, xd, batch);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], outputs[i], 1e-5);

        float loss = network.ComputeGradients(x, t, workspace);
        Assert.Equal(MlpReference.Loss(Loss.SoftmaxCrossEntropy, expected, td, batch), loss, 1e-5);
        float[] parameterGradients = network.Gradients.ToArray();
        var dy = new float[outputs.Length];
        LossFunctions.SoftmaxCrossEntropy(outputs, t, dy, 3);
        var dx = new float[x.Length];
        network.Forward(x, outputs, workspace);
        network.Backward(x, dy, dx, workspace);

        double LossAt() => MlpReference.Loss(Loss.SoftmaxCrossEntropy, TinyCnnReference(p, xd, batch), td, batch);
        FiniteDifferences.AssertGradient(parameterGradients, p, LossAt, "dL/dθ");
        FiniteDifferences.AssertGradient(dx, xd, LossAt, "dL/dx");
    }

    [Fact]
    public void Conv1D_network_with_same_padding_and_dilation_matches_the_reference()
    {
        const int batch = 2;
        var random = new Random(5);
        var network = new TinyConv1D(seed: 5);
        var x = new float[batch * 33];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        // "same" with kernel 3, dilation 2: 4 padding in all, 2 on each side.
        var geometry = new Conv2DGeometry(3, 1, 11, 4, 1, 3, PadLeft: 2, PadRight: 2, DilationWidth: 2);
        double[] p = MlpReference.ToDouble(network.Parameters);
        double[] a = ConvolutionReference.Conv2D(MlpReference.ToDouble(x), Slice(p, TinyConv1D.Layer0WeightOffset, 4 * 3 * 3), Slice(p, TinyConv1D.Layer0BiasOffset, 4), geometry, batch);
        for (int i = 0; i < a.Length; i++) a[i] = 1 / (1 + Math.Exp(-a[i]));
        var outputs = new float[batch * 2];

        network.Forward(x, outputs, new TinyConv1D.Workspace(batch));

        for (int s = 0; s < batch; s++)
            for (int o = 0; o < 2; o++)
            {
                double z = p[TinyConv1D.Layer2BiasOffset + o];
                for (int i = 0; i < 44; i++) z += a[s * 44 + i] * p[TinyConv1D.Layer2WeightOffset + o * 44 + i];
                Assert.Equal(z, outputs[s * 2 + o], 1e-5);
            }
    }

    [Fact]
    public void Cnn_training_steps_allocate_nothing_after_warm_up()
    {
        using var kernelThreads = KernelThreads.Hold();
        var network = new TinyCnn(seed: 1);
        var x = new float[8 * TinyCnn.InputSize];
        var t = new float[8 * 3];
        for (int s = 0; s < 8; s++) t[s * 3 + s % 3] = 1;
        var workspace = new TinyCnn.Workspace(8);
        var adam = new Adam(1e-3f);
        network.TrainStep(x, t, adam, workspace);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
            network.TrainStep(x, t, adam, workspace);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
