using System;
using System.IO;
using NetDsl.Tests.Models;
using Xunit;

namespace NetDsl.Tests.EndToEnd;

/// <summary>
/// <see cref="NormalizedMlp"/> (x → dense 6→8 → batch norm → dense 8→3 tanh, MSE) against a float64 reference: the
/// training pass normalizes with the batch statistics, inference with the running ones, and every gradient of the
/// training loss matches finite differences.
/// </summary>
public class BatchNormNetworkTests
{
    private const int W0 = NormalizedMlp.Layer0WeightOffset, B0 = NormalizedMlp.Layer0BiasOffset;
    private const int Gamma = NormalizedMlp.Layer1GammaOffset, Beta = NormalizedMlp.Layer1BetaOffset;
    private const int W2 = NormalizedMlp.Layer2WeightOffset, B2 = NormalizedMlp.Layer2BiasOffset;

    /// <summary>Outputs [B,3]; with <paramref name="runningMean"/> null the batch statistics (training), else the given ones.</summary>
    private static double[] Reference(double[] p, double[] x, int batch, double[]? runningMean = null, double[]? runningVariance = null)
    {
        var z = new double[batch * 8];
        for (int s = 0; s < batch; s++)
            for (int o = 0; o < 8; o++)
            {
                z[s * 8 + o] = p[B0 + o];
                for (int i = 0; i < 6; i++) z[s * 8 + o] += x[s * 6 + i] * p[W0 + o * 6 + i];
            }
        var y = new double[batch * 3];
        for (int c = 0; c < 8; c++)
        {
            double mean = 0, variance = 0;
            if (runningMean is null)
            {
                for (int s = 0; s < batch; s++) mean += z[s * 8 + c];
                mean /= batch;
                for (int s = 0; s < batch; s++) variance += (z[s * 8 + c] - mean) * (z[s * 8 + c] - mean);
                variance /= batch; // biased, as PyTorch normalizes
            }
            else
            {
                mean = runningMean[c];
                variance = runningVariance![c];
            }
            for (int s = 0; s < batch; s++)
                z[s * 8 + c] = p[Gamma + c] * (z[s * 8 + c] - mean) / Math.Sqrt(variance + 1e-5) + p[Beta + c];
        }
        for (int s = 0; s < batch; s++)
            for (int o = 0; o < 3; o++)
            {
                double a = p[B2 + o];
                for (int i = 0; i < 8; i++) a += z[s * 8 + i] * p[W2 + o * 8 + i];
                y[s * 3 + o] = Math.Tanh(a);
            }
        return y;
    }

    private static double Mse(double[] y, float[] t)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += (y[i] - t[i]) * (y[i] - t[i]);
        return sum / y.Length;
    }

    private static (float[] X, float[] T) Batch(int batch, int seed)
    {
        var random = new Random(seed);
        var x = new float[batch * 6];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 4 - 1);
        var t = new float[batch * 3];
        for (int i = 0; i < t.Length; i++) t[i] = (float)(random.NextDouble() * 2 - 1);
        return (x, t);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(17)]
    public void Training_gradients_through_batch_statistics_match_finite_differences(int batch)
    {
        var network = new NormalizedMlp(seed: batch);
        var random = new Random(batch);
        for (int c = 0; c < 8; c++) // γ and β away from their initial 1 and 0
        {
            network.Parameters[Gamma + c] = (float)(0.5 + random.NextDouble());
            network.Parameters[Beta + c] = (float)(random.NextDouble() - 0.5);
        }
        (float[] x, float[] t) = Batch(batch, batch);

        float loss = network.ComputeGradients(x, t, new NormalizedMlp.Workspace(batch));

        double[] p = MlpReference.ToDouble(network.Parameters), xd = MlpReference.ToDouble(x);
        Assert.Equal(Mse(Reference(p, xd, batch), t), loss, 1e-5);
        FiniteDifferences.AssertGradient(network.Gradients, p, () => Mse(Reference(p, xd, batch), t), "dL/dθ");
    }

    [Fact]
    public void Training_updates_the_running_statistics_and_inference_uses_them()
    {
        const int batch = 9;
        var network = new NormalizedMlp(seed: 1);
        var workspace = new NormalizedMlp.Workspace(batch);
        (float[] x, float[] t) = Batch(batch, 1);
        double[] p = MlpReference.ToDouble(network.Parameters);

        network.ComputeGradients(x, t, workspace);

        // The batch statistics of the first layer's outputs, and PyTorch's update with momentum 0.2 (unbiased variance).
        var runningMean = new double[8];
        var runningVariance = new double[8];
        for (int c = 0; c < 8; c++)
        {
            var z = new double[batch];
            double mean = 0;
            for (int s = 0; s < batch; s++)
            {
                z[s] = p[B0 + c];
                for (int i = 0; i < 6; i++) z[s] += x[s * 6 + i] * p[W0 + c * 6 + i];
                mean += z[s] / batch;
            }
            double variance = 0;
            foreach (double v in z) variance += (v - mean) * (v - mean) / (batch - 1);
            runningMean[c] = 0.8 * 0 + 0.2 * mean;
            runningVariance[c] = 0.8 * 1 + 0.2 * variance;
            Assert.Equal(runningMean[c], network.State[NormalizedMlp.Layer1StateOffset + c], 1e-5);
            Assert.Equal(runningVariance[c], network.State[NormalizedMlp.Layer1StateOffset + 8 + c], 1e-5);
        }
        Assert.Equal(1f, network.State[NormalizedMlp.Layer1StateOffset + 16]); // num_batches_tracked

        var outputs = new float[batch * 3];
        network.Forward(x, outputs, workspace);
        double[] expected = Reference(p, MlpReference.ToDouble(x), batch, runningMean, runningVariance);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], outputs[i], 1e-5);
    }

    [Fact]
    public void Backward_after_an_inference_pass_differentiates_through_the_running_statistics()
    {
        const int batch = 3;
        var network = new NormalizedMlp(seed: 4);
        var workspace = new NormalizedMlp.Workspace(batch);
        (float[] x, float[] t) = Batch(batch, 4);
        network.ComputeGradients(x, t, workspace); // moves the running statistics away from 0 and 1
        network.ComputeGradients(x, t, workspace);
        double[] runningMean = MlpReference.ToDouble(network.State.Slice(NormalizedMlp.Layer1StateOffset, 8));
        double[] runningVariance = MlpReference.ToDouble(network.State.Slice(NormalizedMlp.Layer1StateOffset + 8, 8));

        var outputs = new float[batch * 3];
        network.Forward(x, outputs, workspace);
        var dy = new float[outputs.Length];
        LossFunctionsFor(outputs, t, dy);
        var dx = new float[x.Length];
        network.Backward(x, dy, dx, workspace);

        double[] p = MlpReference.ToDouble(network.Parameters), xd = MlpReference.ToDouble(x);
        double LossAt() => Mse(Reference(p, xd, batch, runningMean, runningVariance), t);
        FiniteDifferences.AssertGradient(network.Gradients, p, LossAt, "dL/dθ");
        FiniteDifferences.AssertGradient(dx, xd, LossAt, "dL/dx");
    }

    private static void LossFunctionsFor(float[] y, float[] t, float[] dy) => NetDsl.Kernels.LossFunctions.MeanSquaredError(y, t, dy);

    [Fact]
    public void Weights_and_running_statistics_round_trip_through_one_file()
    {
        var network = new NormalizedMlp(seed: 2);
        (float[] x, float[] t) = Batch(4, 2);
        var workspace = new NormalizedMlp.Workspace(4);
        network.TrainStep(x, t, new Sgd(0.1f), workspace);
        network.TrainStep(x, t, new Sgd(0.1f), workspace);
        string path = Path.Combine(Path.GetTempPath(), $"netdsl-bn-{Guid.NewGuid():N}.safetensors");
        try
        {
            network.SaveParameters(path);
            var reloaded = new NormalizedMlp(seed: 3);
            reloaded.LoadParameters(path);
            Assert.Equal(network.Parameters.ToArray(), reloaded.Parameters.ToArray());
            Assert.Equal(network.State.ToArray(), reloaded.State.ToArray());
            Assert.Equal(2f, reloaded.State[NormalizedMlp.Layer1StateOffset + 16]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
