using System;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>A float64 transcription of PyTorch's batch normalization over <c>x[B, C, S]</c>, straight from the formulas.</summary>
internal static class BatchNormReference
{
    /// <summary>Training forward: batch mean, biased variance; returns y, the batch mean and the unbiased variance per channel.</summary>
    public static (double[] Y, double[] Mean, double[] UnbiasedVariance) Train(double[] x, double[] gamma, double[] beta, int c, int s, int b, double epsilon = 1e-5)
    {
        var y = new double[x.Length];
        var mean = new double[c];
        var unbiased = new double[c];
        int n = b * s;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < b; i++)
                for (int j = 0; j < s; j++)
                    sum += x[(i * c + ch) * s + j];
            double mu = sum / n;
            double squares = 0;
            for (int i = 0; i < b; i++)
                for (int j = 0; j < s; j++)
                {
                    double d = x[(i * c + ch) * s + j] - mu;
                    squares += d * d;
                }
            double variance = squares / n;
            for (int i = 0; i < b; i++)
                for (int j = 0; j < s; j++)
                {
                    int k = (i * c + ch) * s + j;
                    y[k] = gamma[ch] * (x[k] - mu) / Math.Sqrt(variance + epsilon) + beta[ch];
                }
            mean[ch] = mu;
            unbiased[ch] = squares / (n - 1);
        }
        return (y, mean, unbiased);
    }

    public static double[] Infer(double[] x, double[] gamma, double[] beta, double[] runningMean, double[] runningVariance, int c, int s, int b, double epsilon = 1e-5)
    {
        var y = new double[x.Length];
        for (int i = 0; i < b; i++)
            for (int ch = 0; ch < c; ch++)
                for (int j = 0; j < s; j++)
                {
                    int k = (i * c + ch) * s + j;
                    y[k] = gamma[ch] * (x[k] - runningMean[ch]) / Math.Sqrt(runningVariance[ch] + epsilon) + beta[ch];
                }
        return y;
    }

    /// <summary>Σ y·w of the training forward: a scalar whose gradient with respect to y is w.</summary>
    public static double Loss(double[] x, double[] gamma, double[] beta, double[] w, int c, int s, int b)
    {
        double[] y = Train(x, gamma, beta, c, s, b).Y;
        double loss = 0;
        for (int i = 0; i < y.Length; i++)
            loss += y[i] * w[i];
        return loss;
    }

    public static double[] Widen(float[] values) => Array.ConvertAll(values, v => (double)v);
}

public class BatchNormTests
{
    /// <summary>(B, C, S): odd sizes, S = 1 (dense: vectors across channels, more than one channel block at C = 300), vector remainders along S, B = 1 with S &gt; 1.</summary>
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 3, 5, 7 },
        { 5, 3, 1 },
        { 7, 13, 1 },
        { 3, 300, 1 },
        { 2, 1, 1 },
        { 1, 2, 13 },
        { 3, 3, 33 },
        { 2, 4, 49 },
    };

    private sealed class Case
    {
        public required float[] X, Gamma, Beta, RunningMean, RunningVariance;
        public required int C, S, B;

        public static Case Make(int b, int c, int s, int seed)
        {
            var random = new Random(seed);
            float[] x = TestData.Uniform(random, b * c * s, 2f);
            for (int i = 0; i < b; i++) // give each channel its own offset and spread
                for (int ch = 0; ch < c; ch++)
                    for (int j = 0; j < s; j++)
                        x[(i * c + ch) * s + j] = x[(i * c + ch) * s + j] * (0.5f + ch % 3) + (ch % 5 - 2);
            float[] gamma = TestData.Uniform(random, c, 1.5f), beta = TestData.Uniform(random, c), runningMean = TestData.Uniform(random, c);
            float[] runningVariance = new float[c];
            for (int ch = 0; ch < c; ch++)
                runningVariance[ch] = 0.25f + (float)random.NextDouble() * 2f;
            return new Case { X = x, Gamma = gamma, Beta = beta, RunningMean = runningMean, RunningVariance = runningVariance, C = c, S = s, B = b };
        }

        public (float[] Y, float[] Mean, float[] InverseStd) Train(float momentum = 0.1f)
        {
            var y = new float[X.Length];
            float[] mean = new float[C], inverseStd = new float[C];
            BatchNormalization.ForwardTraining(X, Gamma, Beta, RunningMean, RunningVariance, y, mean, inverseStd, C, S, B, momentum);
            return (y, mean, inverseStd);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardTraining_MatchesReference_AndUpdatesRunningStats(int b, int c, int s)
    {
        var t = Case.Make(b, c, s, seed: b * 1000 + c * 10 + s);
        double[] rm0 = BatchNormReference.Widen(t.RunningMean), rv0 = BatchNormReference.Widen(t.RunningVariance);
        var (y, mean, inverseStd) = t.Train();

        var (ey, emean, eunbiased) = BatchNormReference.Train(BatchNormReference.Widen(t.X), BatchNormReference.Widen(t.Gamma), BatchNormReference.Widen(t.Beta), c, s, b);
        TestData.Near(ey, y, 2e-6, 2e-6, "y");
        TestData.Near(emean, mean, 1e-6, 1e-6, "saved mean");
        var einv = new double[c];
        var erm = new double[c];
        var erv = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double biased = eunbiased[ch] * (b * s - 1) / (b * s);
            einv[ch] = 1 / Math.Sqrt(biased + 1e-5);
            erm[ch] = 0.9 * rm0[ch] + 0.1 * emean[ch];
            erv[ch] = 0.9 * rv0[ch] + 0.1 * eunbiased[ch];
        }
        TestData.Near(einv, inverseStd, 0, 1e-6, "saved inverse std");
        TestData.Near(erm, t.RunningMean, 1e-7, 1e-6, "running mean");
        TestData.Near(erv, t.RunningVariance, 1e-7, 1e-6, "running variance (unbiased)");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardInference_MatchesReference(int b, int c, int s)
    {
        var t = Case.Make(b, c, s, seed: 7 + b + c + s);
        var y = new float[t.X.Length];
        BatchNormalization.ForwardInference(t.X, t.Gamma, t.Beta, t.RunningMean, t.RunningVariance, y, c, s, b);
        double[] expected = BatchNormReference.Infer(BatchNormReference.Widen(t.X), BatchNormReference.Widen(t.Gamma), BatchNormReference.Widen(t.Beta),
            BatchNormReference.Widen(t.RunningMean), BatchNormReference.Widen(t.RunningVariance), c, s, b);
        TestData.Near(expected, y, 2e-6, 2e-6, "y");

        // In place gives the same bits.
        float[] inPlace = (float[])t.X.Clone();
        BatchNormalization.ForwardInference(inPlace, t.Gamma, t.Beta, t.RunningMean, t.RunningVariance, inPlace, c, s, b);
        Assert.Equal(y, inPlace);
    }

    [Fact]
    public void ForwardInference_AcceptsASingleSample()
    {
        var t = Case.Make(1, 6, 1, seed: 3);
        var y = new float[6];
        BatchNormalization.ForwardInference(t.X, t.Gamma, t.Beta, t.RunningMean, t.RunningVariance, y, 6, 1, 1);
        double[] expected = BatchNormReference.Infer(BatchNormReference.Widen(t.X), BatchNormReference.Widen(t.Gamma), BatchNormReference.Widen(t.Beta),
            BatchNormReference.Widen(t.RunningMean), BatchNormReference.Widen(t.RunningVariance), 6, 1, 1);
        TestData.Near(expected, y, 2e-6, 2e-6, "y");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_MatchesCentralFiniteDifferencesOfTheReference(int b, int c, int s)
    {
        var t = Case.Make(b, c, s, seed: 31 * b + 7 * c + s);
        float[] dy = TestData.Uniform(new Random(b + c + s), t.X.Length);
        var (_, mean, inverseStd) = t.Train();
        float[] dGamma = new float[c], dBeta = new float[c], dx = new float[t.X.Length];
        BatchNormalization.Backward(t.X, dy, t.Gamma, mean, inverseStd, dGamma, dBeta, dx, c, s, b);

        double[] x = BatchNormReference.Widen(t.X), gamma = BatchNormReference.Widen(t.Gamma), beta = BatchNormReference.Widen(t.Beta), w = BatchNormReference.Widen(dy);
        const double h = 1e-5;
        double[] Numeric(double[] v)
        {
            var g = new double[v.Length];
            for (int i = 0; i < v.Length; i++)
            {
                double saved = v[i];
                v[i] = saved + h;
                double plus = BatchNormReference.Loss(x, gamma, beta, w, c, s, b);
                v[i] = saved - h;
                double minus = BatchNormReference.Loss(x, gamma, beta, w, c, s, b);
                v[i] = saved;
                g[i] = (plus - minus) / (2 * h);
            }
            return g;
        }

        TestData.Near(Numeric(beta), dBeta, 1e-5, 1e-5, "dβ");
        TestData.Near(Numeric(gamma), dGamma, 1e-5, 1e-5, "dγ");
        if (b * c * s <= 1200) // keeps the test fast: the reference forward is O(B·C·S) per perturbation
            TestData.Near(Numeric(x), dx, 2e-5, 2e-4, "dx");

        // dx may overwrite dy, and the parameter gradients are overwritten, not accumulated.
        float[] inPlace = (float[])dy.Clone();
        BatchNormalization.Backward(t.X, inPlace, t.Gamma, mean, inverseStd, dGamma, dBeta, inPlace, c, s, b);
        Assert.Equal(dx, inPlace);
        TestData.Near(Numeric(beta), dBeta, 1e-5, 1e-5, "dβ after a second call");

        // Without dx the parameter gradients are the same.
        float[] dGamma2 = new float[c], dBeta2 = new float[c];
        BatchNormalization.Backward(t.X, dy, t.Gamma, mean, inverseStd, dGamma2, dBeta2, [], c, s, b);
        Assert.Equal(dGamma, dGamma2);
        Assert.Equal(dBeta, dBeta2);
    }

    [Theory]
    [InlineData(4, 3, 5)]
    [InlineData(6, 17, 1)]
    public void RunningStats_OverSeveralSteps_FollowTheReferenceFormula(int b, int c, int s)
    {
        var t = Case.Make(b, c, s, seed: 99);
        double[] rm = BatchNormReference.Widen(t.RunningMean), rv = BatchNormReference.Widen(t.RunningVariance);
        var random = new Random(5);
        const float momentum = 0.25f;
        for (int step = 0; step < 6; step++)
        {
            float[] x = TestData.Uniform(random, b * c * s, 1f + step);
            for (int i = 0; i < x.Length; i++)
                x[i] += step - 2;
            t.X = x;
            t.Train(momentum);
            var (_, mean, unbiased) = BatchNormReference.Train(BatchNormReference.Widen(x), BatchNormReference.Widen(t.Gamma), BatchNormReference.Widen(t.Beta), c, s, b);
            for (int ch = 0; ch < c; ch++)
            {
                rm[ch] = (1 - (double)momentum) * rm[ch] + momentum * mean[ch];
                rv[ch] = (1 - (double)momentum) * rv[ch] + momentum * unbiased[ch];
            }
            TestData.Near(rm, t.RunningMean, 1e-6, 2e-6, $"running mean after step {step + 1}");
            TestData.Near(rv, t.RunningVariance, 1e-6, 2e-6, $"running variance after step {step + 1}");
        }
    }

    [Fact]
    public void ForwardTraining_KeepsPrecision_ForALargeMeanAndSmallSpread()
    {
        const int b = 16, c = 2, s = 9;
        var random = new Random(11);
        var x = new float[b * c * s];
        for (int i = 0; i < x.Length; i++)
            x[i] = 1000f + (float)(random.NextDouble() - 0.5); // E[x²] − E[x]² in float would lose the variance (0.08 next to 1e6)
        float[] gamma = [1f, 2f], beta = [0f, 0.5f], rm = new float[c], rv = [1f, 1f];
        float[] y = new float[x.Length], mean = new float[c], inverseStd = new float[c];
        BatchNormalization.ForwardTraining(x, gamma, beta, rm, rv, y, mean, inverseStd, c, s, b);
        var (ey, _, eunbiased) = BatchNormReference.Train(BatchNormReference.Widen(x), BatchNormReference.Widen(gamma), BatchNormReference.Widen(beta), c, s, b);
        TestData.Near(ey, y, 1e-3, 1e-3, "y");
        for (int ch = 0; ch < c; ch++)
            Assert.InRange(rv[ch], 0.9 + 0.1 * eunbiased[ch] * 0.999, 0.9 + 0.1 * eunbiased[ch] * 1.001);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 4)]
    public void ForwardTraining_WithOneValuePerChannel_Throws(int b, int c)
    {
        var t = Case.Make(b, c, 1, seed: 1);
        float[] rm = (float[])t.RunningMean.Clone(), rv = (float[])t.RunningVariance.Clone();
        var e = Assert.Throws<ArgumentException>(() => t.Train());
        Assert.Contains("needs more than one value per channel in training", e.Message);
        Assert.Equal(rm, t.RunningMean);
        Assert.Equal(rv, t.RunningVariance);
    }

    [Fact]
    public void WrongLengths_Throw()
    {
        var t = Case.Make(2, 3, 4, seed: 2);
        float[] y = new float[24], mean = new float[3], inv = new float[3];
        Assert.Throws<ArgumentException>(() => BatchNormalization.ForwardTraining(t.X, t.Gamma, t.Beta, t.RunningMean, t.RunningVariance, new float[23], mean, inv, 3, 4, 2));
        Assert.Throws<ArgumentException>(() => BatchNormalization.ForwardTraining(t.X, t.Gamma, t.Beta, t.RunningMean, t.RunningVariance, y, new float[2], inv, 3, 4, 2));
        Assert.Throws<ArgumentException>(() => BatchNormalization.ForwardInference(t.X, t.Gamma, new float[4], t.RunningMean, t.RunningVariance, y, 3, 4, 2));
        Assert.Throws<ArgumentException>(() => BatchNormalization.Backward(t.X, y, t.Gamma, mean, inv, new float[3], new float[3], new float[25], 3, 4, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormalization.ForwardInference(t.X, t.Gamma, t.Beta, t.RunningMean, t.RunningVariance, y, 3, 0, 2));
    }

    [Fact]
    public void NoKernelAllocates()
    {
        using var kernelThreads = KernelThreads.Hold();
        var dense = Case.Make(8, 300, 1, seed: 4);
        var conv = Case.Make(4, 5, 49, seed: 5);
        float[] dyDense = TestData.Uniform(new Random(1), dense.X.Length), dyConv = TestData.Uniform(new Random(2), conv.X.Length);
        float[] yDense = new float[dense.X.Length], yConv = new float[conv.X.Length];
        float[] m1 = new float[300], i1 = new float[300], g1 = new float[300], b1 = new float[300];
        float[] m2 = new float[5], i2 = new float[5], g2 = new float[5], b2 = new float[5];

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Run()
        {
            BatchNormalization.ForwardTraining(dense.X, dense.Gamma, dense.Beta, dense.RunningMean, dense.RunningVariance, yDense, m1, i1, 300, 1, 8);
            BatchNormalization.Backward(dense.X, dyDense, dense.Gamma, m1, i1, g1, b1, yDense, 300, 1, 8);
            BatchNormalization.ForwardInference(dense.X, dense.Gamma, dense.Beta, dense.RunningMean, dense.RunningVariance, yDense, 300, 1, 8);
            BatchNormalization.ForwardTraining(conv.X, conv.Gamma, conv.Beta, conv.RunningMean, conv.RunningVariance, yConv, m2, i2, 5, 49, 4);
            BatchNormalization.Backward(conv.X, dyConv, conv.Gamma, m2, i2, g2, b2, yConv, 5, 49, 4);
            BatchNormalization.ForwardInference(conv.X, conv.Gamma, conv.Beta, conv.RunningMean, conv.RunningVariance, yConv, 5, 49, 4);
        }
    }
}
