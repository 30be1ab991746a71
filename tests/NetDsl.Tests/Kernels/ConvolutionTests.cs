using System;
using NetDsl.Kernels;
using Xunit;
using static NetDsl.Tests.Kernels.ConvolutionReference;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// <see cref="Convolution"/> at every SIMD width against <see cref="ConvolutionReference"/>: the forward pass against
/// the float64 loops, the backward pass against central finite differences of them. Tolerances are the float
/// summation bound <c>γ·Σ|terms|</c>, <c>γ = (2·length + extra)·2⁻²⁴</c>, with <c>Σ|terms|</c> the reference run on
/// absolute values and <c>length</c> the longest chain of additions behind the element: any summation order passes,
/// any indexing mistake fails by orders of magnitude.
/// </summary>
public class ConvolutionTests
{
    private const double UnitRoundoff = 1.0 / (1 << 24);
    private const float Sentinel = 12345.5f;

    private static readonly SimdWidth[] AllWidths = [SimdWidth.Scalar, SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512];

    /// <summary>
    /// Small geometries (finite differences stay cheap) covering strides 1/2/3, valid/same/asymmetric padding,
    /// dilation 1/2, channels 1/3/5, kernels 1x1/3x3/5x5/2x3, one output channel and fewer than a tile's rows, and a
    /// 1-D convolution (H = KH = 1); each with a batch of 1 or 3.
    /// </summary>
    public static TheoryData<string, Conv2DGeometry, int> Small => new()
    {
        { "3x3 same, 1 channel", new(1, 5, 7, 2, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 1 },
        { "3x3 stride 2 valid", new(3, 7, 6, 4, 3, 3, StrideHeight: 2, StrideWidth: 2), 3 },
        { "5x5 same, 5 channels", new(5, 9, 8, 3, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), 3 },
        { "2x3 strides 2,3 asymmetric", new(3, 8, 9, 5, 2, 3, StrideHeight: 2, StrideWidth: 3, PadTop: 1, PadLeft: 0, PadBottom: 2, PadRight: 1), 3 },
        { "3x3 dilation 2 same", new(2, 9, 9, 6, 3, 3, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, DilationHeight: 2, DilationWidth: 2), 1 },
        { "1x1", new(3, 6, 5, 4, 1, 1), 3 },
        { "3x3 stride 3 dilation 2,1 asymmetric", new(1, 10, 11, 7, 3, 3, StrideHeight: 3, StrideWidth: 3, PadTop: 0, PadLeft: 2, PadBottom: 1, PadRight: 0, DilationHeight: 2), 3 },
        { "5x5 valid to 1x1", new(5, 5, 5, 7, 5, 5), 3 },
        { "one filter", new(3, 6, 6, 1, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 3 },
        { "conv1d k3 stride 2 pad 1", new(3, 1, 13, 4, 1, 3, StrideWidth: 2, PadLeft: 1, PadRight: 1), 3 },
        { "conv1d k5 dilation 2", new(5, 1, 17, 3, 1, 5, DilationWidth: 2, PadLeft: 3, PadRight: 1), 1 },
    };

    [Theory, MemberData(nameof(Small))]
    public void ForwardMatchesReference(string name, Conv2DGeometry g, int batch)
    {
        var random = new Random(name.Length * 31 + batch);
        CheckForward(random, g, batch, name, AllWidths);
    }

    [Theory, MemberData(nameof(Small))]
    public void BackwardMatchesFiniteDifferences(string name, Conv2DGeometry g, int batch)
    {
        var random = new Random(name.Length * 17 + batch);
        float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
        float[] dz = TestData.Uniform(random, batch * g.OutputSize);
        double[] xd = ToDouble(x), wd = ToDouble(w), bd = ToDouble(bias), r = ToDouble(dz);

        // L = Σ dz ⊙ conv(x, w, b): its gradients are what the backward pass computes from dz.
        const double epsilon = 1e-3;
        double[] expectedDx = FiniteDifferences(xd, v => Conv2D(v, wd, bd, g, batch), r, epsilon);
        double[] expectedDw = FiniteDifferences(wd, v => Conv2D(xd, v, bd, g, batch), r, epsilon);
        double[] expectedDb = FiniteDifferences(bd, v => Conv2D(xd, wd, v, g, batch), r, epsilon);
        var (absDx, absDw, absDb) = Conv2DBackward(Abs(x), Abs(w), Abs(dz), g, batch);

        int positions = g.OutHeight * g.OutWidth;
        foreach (SimdWidth width in AllWidths)
        {
            var (dx, dw, db) = RunBackward(x, w, dz, g, batch, width);
            string what = $"{name} batch={batch} {width}";
            // Linear in each parameter, so the differences are exact up to double rounding (~1e-12 here).
            TestData.Near(expectedDw, dw, i => (2.0 * batch * positions + batch + 4) * UnitRoundoff * absDw[i] + 1e-9, $"dW {what}");
            TestData.Near(expectedDb, db, i => (2.0 * batch * positions + batch + 4) * UnitRoundoff * absDb[i] + 1e-9, $"db {what}");
            TestData.Near(expectedDx, dx, i => (2.0 * g.OutChannels + g.KernelHeight * g.KernelWidth + 4) * UnitRoundoff * absDx[i] + 1e-9, $"dx {what}");
        }
    }

    [Fact]
    public void LayerSizesMatchReference()
    {
        // The Fashion-MNIST CNN's two layers (the first runs 3 samples per im2col group), and a layer whose groups
        // hold 2 samples so a batch of 3 ends on a group of one and sums dW over two groups.
        var layer1 = new Conv2DGeometry(1, 28, 28, 16, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2);
        var layer2 = new Conv2DGeometry(16, 14, 14, 32, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2);
        var pairs = new Conv2DGeometry(1, 60, 60, 5, 3, 3);
        Assert.Equal(3, Convolution.GroupSize(layer1, 64));
        Assert.Equal(1, Convolution.GroupSize(layer2, 64));
        Assert.Equal(2, Convolution.GroupSize(pairs, 3));
        var random = new Random(11);
        foreach (var (g, batch) in new[] { (layer1, 3), (layer1, 4), (layer2, 2), (pairs, 3) })
        {
            string what = $"{g} batch={batch}";
            CheckForward(random, g, batch, what, [SimdDispatch.Best]);

            float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize);
            float[] dz = TestData.Uniform(random, batch * g.OutputSize);
            var (expectedDx, expectedDw, expectedDb) = Conv2DBackward(ToDouble(x), ToDouble(w), ToDouble(dz), g, batch);
            var (absDx, absDw, absDb) = Conv2DBackward(Abs(x), Abs(w), Abs(dz), g, batch);
            var (dx, dw, db) = RunBackward(x, w, dz, g, batch, SimdDispatch.Best);
            int positions = g.OutHeight * g.OutWidth;
            TestData.Near(expectedDw, dw, i => (2.0 * batch * positions + batch + 4) * UnitRoundoff * absDw[i], $"dW {what}");
            TestData.Near(expectedDb, db, i => (2.0 * batch * positions + batch + 4) * UnitRoundoff * absDb[i], $"db {what}");
            TestData.Near(expectedDx, dx, i => (2.0 * g.OutChannels + g.KernelHeight * g.KernelWidth + 4) * UnitRoundoff * absDx[i], $"dx {what}");
        }
    }

    [Fact]
    public void ReferenceBackwardMatchesFiniteDifferences()
    {
        // The analytic reference backward (used above at sizes too large for finite differences) is itself right.
        var g = new Conv2DGeometry(2, 6, 7, 3, 3, 2, StrideHeight: 2, PadTop: 1, PadLeft: 0, PadBottom: 0, PadRight: 1, DilationWidth: 2);
        const int batch = 2;
        var random = new Random(12);
        double[] x = ToDouble(TestData.Uniform(random, batch * g.InputSize)), w = ToDouble(TestData.Uniform(random, g.WeightSize));
        double[] b = ToDouble(TestData.Uniform(random, g.OutChannels)), r = ToDouble(TestData.Uniform(random, batch * g.OutputSize));
        var (dx, dw, db) = Conv2DBackward(x, w, r, g, batch);
        TestData.Near(FiniteDifferences(x, v => Conv2D(v, w, b, g, batch), r, 1e-3), dx, 1e-9, 1e-9, "reference dx");
        TestData.Near(FiniteDifferences(w, v => Conv2D(x, v, b, g, batch), r, 1e-3), dw, 1e-9, 1e-9, "reference dW");
        TestData.Near(FiniteDifferences(b, v => Conv2D(x, w, v, g, batch), r, 1e-3), db, 1e-9, 1e-9, "reference db");
    }

    [Fact]
    public void ThreadsGiveBitIdenticalResults()
    {
        using var kernelThreads = KernelThreads.Hold();
        // The CNN's layers (whose backward products split across threads at batch 4), and a layer whose forward
        // product (channel rows, 2 samples per group: 24 × 800 × 72) splits too.
        var layer1 = new Conv2DGeometry(1, 28, 28, 16, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2);
        var layer2 = new Conv2DGeometry(16, 14, 14, 32, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2);
        var wide = new Conv2DGeometry(8, 20, 20, 24, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        Assert.Equal(2, Convolution.GroupSize(wide, 4));
        Assert.False(Convolution.PositionMajor(24, 800, SimdDispatch.Best));
        Assert.True(2L * 24 * 800 * 72 >= KernelPool.MinParallelFlops);
        const int batch = 4;
        var random = new Random(13);
        int saved = KernelOptions.MaxThreads;
        try
        {
            foreach (Conv2DGeometry g in new[] { layer1, layer2, wide })
            {
                float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
                float[] dz = TestData.Uniform(random, batch * g.OutputSize);
                var scratch = new float[Convolution.Conv2DScratchSize(g, batch)];
                float[][] Run()
                {
                    float[] y = new float[batch * g.OutputSize], y1 = new float[g.OutputSize];
                    float[] dx = new float[x.Length], dw = new float[w.Length], db = new float[g.OutChannels];
                    Convolution.Conv2DForward(x, w, bias, y, g, batch, scratch, new ReLUActivation());
                    Convolution.Conv2DForward(x.AsSpan(0, g.InputSize), w, bias, y1, g, 1, scratch, new ReLUActivation());
                    Convolution.Conv2DBackward(x, w, dz, dw, db, dx, g, batch, scratch);
                    return [y, y1, dx, dw, db];
                }
                KernelOptions.MaxThreads = 1;
                float[][] one = Run();
                KernelOptions.MaxThreads = 2;
                float[][] two = Run();
                for (int i = 0; i < one.Length; i++)
                {
                    Assert.Equal(one[i], two[i]);
                }
                // The forward pass gives the same bits for a sample whatever the batch around it.
                Assert.Equal(one[1], one[0].AsSpan(0, g.OutputSize).ToArray());
            }
        }
        finally
        {
            KernelOptions.MaxThreads = saved;
        }
    }

    [Fact]
    public void ForwardAndBackwardDoNotAllocate()
    {
        using var kernelThreads = KernelThreads.Hold();
        var g = new Conv2DGeometry(3, 12, 12, 8, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        const int batch = 5;
        var random = new Random(14);
        float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
        float[] y = new float[batch * g.OutputSize], dx = new float[x.Length], dw = new float[w.Length], db = new float[g.OutChannels];
        var scratch = new float[Convolution.Conv2DScratchSize(g, batch)];
        Assert.True(Convolution.GroupSize(g, batch) > 1);
        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void RunAll()
        {
            Convolution.Conv2DForward(x, w, bias, y, g, batch, scratch, new ReLUActivation());
            Convolution.Conv2DForward(x, w, [], y, g, batch, scratch, new TanhActivation());
            Convolution.Conv2DForward(x.AsSpan(0, g.InputSize), w, bias, y.AsSpan(0, g.OutputSize), g, 1, scratch, new IdentityActivation());
            Convolution.Conv2DBackward(x, w, y, dw, db, dx, g, batch, scratch);
            Convolution.Conv2DBackward(x, w, y, dw, [], [], g, batch, scratch);
        }
    }

    [Fact]
    public void EmptyBatchZeroesGradients()
    {
        var g = new Conv2DGeometry(2, 4, 4, 3, 3, 3);
        float[] dw = new float[g.WeightSize], db = new float[3];
        Array.Fill(dw, float.NaN);
        Array.Fill(db, float.NaN);
        var scratch = new float[Convolution.Conv2DScratchSize(g, 0)];
        Convolution.Conv2DForward([], new float[g.WeightSize], [], [], g, 0, scratch, new ReLUActivation());
        Convolution.Conv2DBackward([], new float[g.WeightSize], [], dw, db, [], g, 0, scratch);
        Assert.All(dw, v => Assert.Equal(0f, v));
        Assert.All(db, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void BadArgumentsAreReported()
    {
        var g = new Conv2DGeometry(2, 5, 5, 3, 3, 3);
        float[] x = new float[2 * g.InputSize], w = new float[g.WeightSize], y = new float[2 * g.OutputSize];
        float[] scratch = new float[Convolution.Conv2DScratchSize(g, 2)];
        var error = Assert.Throws<ArgumentException>(() => Convolution.Conv2DForward(x, w, [], y, g, 2, scratch.AsSpan(1), new IdentityActivation()));
        Assert.Equal("scratch", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Convolution.Conv2DForward(x.AsSpan(1), w, [], y, g, 2, scratch, new IdentityActivation()));
        Assert.Equal("x", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Convolution.Conv2DForward(x, w, new float[2], y, g, 2, scratch, new IdentityActivation()));
        Assert.Equal("bias", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Convolution.Conv2DBackward(x, w, y, w, [], new float[3], g, 2, scratch));
        Assert.Equal("inputGradient", error.ParamName);
        Assert.Throws<ArgumentException>(() => Convolution.Conv2DScratchSize(g with { KernelHeight = 6 }, 1));
        Assert.Throws<ArgumentException>(() => Convolution.Conv2DScratchSize(g with { StrideWidth = 0 }, 1));
        Assert.Throws<ArgumentException>(() => Convolution.Conv2DScratchSize(g with { PadLeft = -1 }, 1));
    }

    /// <summary>Forward with and without bias, with a fused (ReLU) and an unfused (tanh) activation, against the reference.</summary>
    private static void CheckForward(Random random, Conv2DGeometry g, int batch, string name, SimdWidth[] widths)
    {
        float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
        int depth = g.InChannels * g.KernelHeight * g.KernelWidth;
        foreach (bool withBias in new[] { true, false })
        {
            double[] z = Conv2D(ToDouble(x), ToDouble(w), withBias ? ToDouble(bias) : null, g, batch);
            double[] terms = Conv2D(Abs(x), Abs(w), withBias ? Abs(bias) : null, g, batch);
            Func<int, double> bound = i => (2.0 * depth + 4) * UnitRoundoff * terms[i] + 1e-30;
            foreach (SimdWidth width in widths)
            {
                string what = $"{name} batch={batch} bias={withBias} {width}";
                float[] y = RunForward(x, w, withBias ? bias : [], g, batch, new IdentityActivation(), width);
                TestData.Near(z, y, bound, $"identity {what}");
                y = RunForward(x, w, withBias ? bias : [], g, batch, new ReLUActivation(), width);
                TestData.Near(Array.ConvertAll(z, v => Math.Max(v, 0)), y, bound, $"relu {what}");
                // tanh is 1-Lipschitz; allow its own few ulps on top.
                y = RunForward(x, w, withBias ? bias : [], g, batch, new TanhActivation(), width);
                TestData.Near(Array.ConvertAll(z, Math.Tanh), y, i => bound(i) + 4e-7, $"tanh {what}");
            }
        }
    }

    /// <summary>Runs the forward pass into a buffer guarded by NaNs (unwritten outputs fail) and sentinels (overruns fail).</summary>
    private static float[] RunForward<TActivation>(float[] x, float[] w, float[] bias, Conv2DGeometry g, int batch, TActivation activation, SimdWidth width)
        where TActivation : struct, IActivation
    {
        int length = batch * g.OutputSize;
        var buffer = new float[length + 17];
        buffer.AsSpan(0, length).Fill(float.NaN);
        buffer.AsSpan(length).Fill(Sentinel);
        float[] scratch = TestData.Uniform(new Random(0), Convolution.Conv2DScratchSize(g, batch), 1e6f); // garbage must not leak
        Convolution.Conv2DForwardAt(x, w, bias, buffer.AsSpan(0, length), g, batch, scratch, activation, width);
        for (int i = length; i < buffer.Length; i++) Assert.Equal(Sentinel, buffer[i]);
        return buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>The backward pass into buffers full of NaN, so anything left unwritten fails.</summary>
    private static (float[] dx, float[] dw, float[] db) RunBackward(float[] x, float[] w, float[] dz, Conv2DGeometry g, int batch, SimdWidth width)
    {
        float[] dx = new float[x.Length], dw = new float[w.Length], db = new float[g.OutChannels];
        Array.Fill(dx, float.NaN);
        Array.Fill(dw, float.NaN);
        Array.Fill(db, float.NaN);
        float[] scratch = TestData.Uniform(new Random(0), Convolution.Conv2DScratchSize(g, batch), 1e6f);
        Convolution.Conv2DBackwardAt(x, w, dz, dw, db, dx, g, batch, scratch, width);
        return (dx, dw, db);
    }
}
