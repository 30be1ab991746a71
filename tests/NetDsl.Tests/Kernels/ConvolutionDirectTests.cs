using System;
using NetDsl.Kernels;
using Xunit;
using static NetDsl.Tests.Kernels.ConvolutionReference;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// Every convolution algorithm, forced (<see cref="ConvolutionAlgorithm.Direct"/>,
/// <see cref="ConvolutionAlgorithm.DirectPositionLanes"/>, <see cref="ConvolutionAlgorithm.DirectFlatLanes"/> and
/// <see cref="ConvolutionAlgorithm.Im2Col"/>), at every SIMD width against <see cref="ConvolutionReference"/>: on the
/// small geometries of <see cref="ConvolutionTests"/> with finite differences, and on rows wide enough for the direct
/// kernel's full 14-position tiles (the last one overlapping) with channel counts that fill one vector, two, or leave
/// a partial block, against the analytic float64 backward. Positions in lanes runs the forward pass and the input
/// gradient, on rows wider and narrower than a vector (the masked stores); flat lanes the same at stride 1, over planes
/// that end on a whole vector or not (the last vector overlapping) and in tiles of 3, 2 or 1 vectors. Tolerances as in
/// <see cref="ConvolutionTests"/>.
/// </summary>
public class ConvolutionDirectTests
{
    private const double UnitRoundoff = 1.0 / (1 << 24);
    private const float Sentinel = 12345.5f;

    private static readonly SimdWidth[] AllWidths = [SimdWidth.Scalar, SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512];
    private static readonly ConvolutionAlgorithm[] Algorithms =
        [ConvolutionAlgorithm.Direct, ConvolutionAlgorithm.DirectPositionLanes, ConvolutionAlgorithm.DirectFlatLanes, ConvolutionAlgorithm.Im2Col];

    /// <summary>
    /// Rows of 14 or more output positions (full tiles, an overlapping last tile; for positions in lanes, rows of one
    /// to four vectors, the last overlapping, tiles of 3 vectors across rows), strides 1/2/3, same/asymmetric
    /// padding, dilation, 1, 8, 9, 16, 17, 32, 33 and 40 output channels, batches 1 to 3.
    /// </summary>
    public static TheoryData<string, Conv2DGeometry, int> Wide => new()
    {
        { "3x3 same, 3→17 on 9x31", new(3, 9, 31, 17, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 2 },
        { "5x5 same, 16→32 on 11x15", new(16, 11, 15, 32, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), 3 },
        { "5x5 same, 1→16 on 28x28 (the CNN's first layer)", new(1, 28, 28, 16, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), 1 },
        { "3x3 stride 2 asymmetric, 4→40", new(4, 13, 33, 40, 3, 3, StrideHeight: 2, StrideWidth: 2, PadTop: 1, PadLeft: 0, PadBottom: 2, PadRight: 1), 2 },
        { "3x3 stride 3 dilation 2 asymmetric, 2→9", new(2, 11, 50, 9, 3, 3, StrideHeight: 3, StrideWidth: 3, PadTop: 2, PadLeft: 1, PadBottom: 0, PadRight: 2, DilationHeight: 2, DilationWidth: 2), 1 },
        { "2x3 dilation 1,2 asymmetric, 17→8", new(17, 6, 19, 8, 2, 3, PadTop: 1, PadLeft: 2, PadBottom: 0, PadRight: 1, DilationWidth: 2), 2 },
        { "1x1, 5→33", new(5, 4, 20, 33, 1, 1), 3 },
        { "3x3 valid, 16→1", new(16, 5, 17, 1, 3, 3), 2 },
        { "conv1d k5 same, 24→24", new(24, 1, 40, 24, 1, 5, PadLeft: 2, PadRight: 2), 2 },
        { "3x3 dilation 2 asymmetric, 3→12 on 7x9 (flat: 45 positions)", new(3, 7, 9, 12, 3, 3, PadTop: 2, PadLeft: 1, PadBottom: 0, PadRight: 3, DilationHeight: 2, DilationWidth: 2), 2 },
    };

    [Theory, MemberData(nameof(ConvolutionTests.Small), MemberType = typeof(ConvolutionTests))]
    public void SmallForwardMatchesReference(string name, Conv2DGeometry g, int batch)
        => CheckForward(new Random(name.Length * 7 + batch), g, batch, name);

    [Theory, MemberData(nameof(Wide))]
    public void WideForwardMatchesReference(string name, Conv2DGeometry g, int batch)
    {
        CheckForward(new Random(name.Length * 5 + batch), g, batch, name);
        if (batch > 1)
        {
            CheckForward(new Random(name.Length * 3), g, 1, name);
        }
    }

    [Theory, MemberData(nameof(ConvolutionTests.Small), MemberType = typeof(ConvolutionTests))]
    public void SmallBackwardMatchesFiniteDifferences(string name, Conv2DGeometry g, int batch)
    {
        var random = new Random(name.Length * 13 + batch);
        float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
        float[] dz = TestData.Uniform(random, batch * g.OutputSize);
        double[] xd = ToDouble(x), wd = ToDouble(w), bd = ToDouble(bias), r = ToDouble(dz);
        const double epsilon = 1e-3;
        double[] expectedDx = FiniteDifferences(xd, v => Conv2D(v, wd, bd, g, batch), r, epsilon);
        double[] expectedDw = FiniteDifferences(wd, v => Conv2D(xd, v, bd, g, batch), r, epsilon);
        double[] expectedDb = FiniteDifferences(bd, v => Conv2D(xd, wd, v, g, batch), r, epsilon);
        CheckBackward(x, w, dz, g, batch, name, expectedDx, expectedDw, expectedDb, 1e-9);
    }

    [Theory, MemberData(nameof(Wide))]
    public void WideBackwardMatchesReference(string name, Conv2DGeometry g, int batch)
    {
        var random = new Random(name.Length * 11 + batch);
        float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize);
        float[] dz = TestData.Uniform(random, batch * g.OutputSize);
        var (expectedDx, expectedDw, expectedDb) = Conv2DBackward(ToDouble(x), ToDouble(w), ToDouble(dz), g, batch);
        CheckBackward(x, w, dz, g, batch, name, expectedDx, expectedDw, expectedDb, 0);
    }

    [Fact]
    public void InputGradientGeometryIsTheTransposedConvolution()
    {
        var g = new Conv2DGeometry(16, 14, 15, 32, 5, 3, PadTop: 2, PadLeft: 0, PadBottom: 1, PadRight: 2, DilationWidth: 2);
        Assert.True(Convolution.DirectInputGradientPossible(g));
        Conv2DGeometry t = Convolution.InputGradientGeometry(g);
        Assert.Equal((32, g.OutHeight, g.OutWidth, 16), (t.InChannels, t.InHeight, t.InWidth, t.OutChannels));
        Assert.Equal((g.InHeight, g.InWidth), (t.OutHeight, t.OutWidth));
        Assert.False(Convolution.DirectInputGradientPossible(g with { StrideWidth = 2 }));
        Assert.False(Convolution.DirectInputGradientPossible(g with { PadTop = 5 }));
    }

    [Fact]
    public void DirectRunsTheCnnAndOneToTwoThreadsGiveTheSameBits()
    {
        using var kernelThreads = KernelThreads.Hold();
        // Both layers of the Fashion-MNIST CNN run direct; at batch 1 two threads split the rows of the second layer's
        // one sample (the first layer's 0.6 MFLOP stay on one thread), at batch 4 the samples (2 each); every output
        // element is still summed the same way.
        var layer1 = new Conv2DGeometry(1, 28, 28, 16, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2);
        var layer2 = new Conv2DGeometry(16, 14, 14, 32, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2);
        Assert.True(Convolution.DirectForward(layer1) && Convolution.DirectForward(layer2));
        Assert.True(Convolution.DirectPositionLanes(layer1) && !Convolution.DirectPositionLanes(layer2));
        Assert.True(Convolution.DirectFlatLanes(layer1));
        Assert.True(Convolution.DirectInputGradient(layer2) && Convolution.DirectInputGradientPossible(layer2));
        var random = new Random(21);
        int saved = KernelOptions.MaxThreads;
        try
        {
            foreach (Conv2DGeometry g in new[] { layer1, layer2 })
            {
                foreach (int batch in new[] { 1, 4 })
                {
                    Assert.Equal(g == layer2 || batch == 4, 2L * g.OutputSize * g.InChannels * 25 * batch >= KernelPool.MinParallelFlops);
                    float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
                    float[] dz = TestData.Uniform(random, batch * g.OutputSize);
                    var scratch = new float[Convolution.Conv2DScratchSize(g, batch)];
                    float[][] Run()
                    {
                        float[] y = new float[batch * g.OutputSize], dx = new float[x.Length], dw = new float[w.Length], db = new float[g.OutChannels];
                        Convolution.Conv2DForward(x, w, bias, y, g, batch, scratch, new LeakyReLUActivation(0.1f));
                        Convolution.Conv2DBackward(x, w, dz, dw, db, dx, g, batch, scratch);
                        // Flat lanes forced: at batch 1 of the second layer, two threads split the plane's vectors.
                        float[] flatY = new float[y.Length], flatDx = new float[x.Length];
                        Convolution.Conv2DForwardAt(x, w, bias, flatY, g, batch, scratch, new LeakyReLUActivation(0.1f), SimdDispatch.Best, ConvolutionAlgorithm.DirectFlatLanes);
                        Convolution.Conv2DBackwardAt(x, w, dz, new float[w.Length], [], flatDx, g, batch, scratch, SimdDispatch.Best, ConvolutionAlgorithm.DirectFlatLanes);
                        return [y, dx, dw, db, flatY, flatDx];
                    }
                    KernelOptions.MaxThreads = 1;
                    float[][] one = Run();
                    KernelOptions.MaxThreads = 2;
                    float[][] two = Run();
                    for (int i = 0; i < one.Length; i++)
                    {
                        Assert.Equal(one[i], two[i]);
                    }
                }
            }
        }
        finally
        {
            KernelOptions.MaxThreads = saved;
        }
    }

    [Fact]
    public void DirectDoesNotAllocate()
    {
        using var kernelThreads = KernelThreads.Hold();
        var g = new Conv2DGeometry(16, 10, 20, 24, 3, 3, StrideWidth: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        var s1 = g with { StrideWidth = 1 };
        const int batch = 3;
        var random = new Random(22);
        float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
        float[] y = new float[batch * s1.OutputSize], dx = new float[x.Length], dw = new float[w.Length], db = new float[g.OutChannels];
        var scratch = new float[Math.Max(Convolution.Conv2DScratchSize(g, batch), Convolution.Conv2DScratchSize(s1, batch))];
        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void RunAll()
        {
            Span<float> ys = y.AsSpan(0, batch * g.OutputSize);
            Convolution.Conv2DForwardAt(x, w, bias, ys, g, batch, scratch, new ReLUActivation(), SimdDispatch.Best, ConvolutionAlgorithm.Direct);
            Convolution.Conv2DForwardAt(x, w, [], ys, g, batch, scratch, new TanhActivation(), SimdDispatch.Best, ConvolutionAlgorithm.Direct);
            Convolution.Conv2DForwardAt(x, w, bias, y, s1, batch, scratch, new ReLUActivation(), SimdDispatch.Best, ConvolutionAlgorithm.Direct);
            Convolution.Conv2DBackwardAt(x, w, y, dw, db, dx, s1, batch, scratch, SimdDispatch.Best, ConvolutionAlgorithm.Direct);
            Convolution.Conv2DForwardAt(x, w, bias, y, s1, batch, scratch, new ReLUActivation(), SimdDispatch.Best, ConvolutionAlgorithm.DirectPositionLanes);
            Convolution.Conv2DBackwardAt(x, w, y, dw, db, dx, s1, batch, scratch, SimdDispatch.Best, ConvolutionAlgorithm.DirectPositionLanes);
            Convolution.Conv2DForwardAt(x, w, bias, y, s1, batch, scratch, new ReLUActivation(), SimdDispatch.Best, ConvolutionAlgorithm.DirectFlatLanes);
            Convolution.Conv2DBackwardAt(x, w, y, dw, db, dx, s1, batch, scratch, SimdDispatch.Best, ConvolutionAlgorithm.DirectFlatLanes);
        }
    }

    /// <summary>Forward with and without bias, with fused (ReLU, leaky ReLU) and unfused (tanh) activations, by both algorithms at every width.</summary>
    private static void CheckForward(Random random, Conv2DGeometry g, int batch, string name)
    {
        float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
        int depth = g.InChannels * g.KernelHeight * g.KernelWidth;
        foreach (bool withBias in new[] { true, false })
        {
            double[] z = Conv2D(ToDouble(x), ToDouble(w), withBias ? ToDouble(bias) : null, g, batch);
            double[] terms = Conv2D(Abs(x), Abs(w), withBias ? Abs(bias) : null, g, batch);
            Func<int, double> bound = i => (2.0 * depth + 4) * UnitRoundoff * terms[i] + 1e-30;
            foreach (ConvolutionAlgorithm algorithm in Algorithms)
            {
                foreach (SimdWidth width in AllWidths)
                {
                    string what = $"{name} batch={batch} bias={withBias} {algorithm} {width}";
                    float[] b = withBias ? bias : [];
                    TestData.Near(z, RunForward(x, w, b, g, batch, new IdentityActivation(), width, algorithm), bound, $"identity {what}");
                    TestData.Near(Array.ConvertAll(z, v => Math.Max(v, 0)), RunForward(x, w, b, g, batch, new ReLUActivation(), width, algorithm), bound, $"relu {what}");
                    TestData.Near(Array.ConvertAll(z, v => v > 0 ? v : 0.25 * v), RunForward(x, w, b, g, batch, new LeakyReLUActivation(0.25f), width, algorithm), bound, $"leaky relu {what}");
                    TestData.Near(Array.ConvertAll(z, Math.Tanh), RunForward(x, w, b, g, batch, new TanhActivation(), width, algorithm), i => bound(i) + 4e-7, $"tanh {what}");
                }
            }
        }
    }

    private static void CheckBackward(float[] x, float[] w, float[] dz, Conv2DGeometry g, int batch, string name,
        double[] expectedDx, double[] expectedDw, double[] expectedDb, double slack)
    {
        var (absDx, absDw, absDb) = Conv2DBackward(Abs(x), Abs(w), Abs(dz), g, batch);
        int positions = g.OutHeight * g.OutWidth;
        foreach (ConvolutionAlgorithm algorithm in Algorithms)
        {
            foreach (SimdWidth width in AllWidths)
            {
                float[] dx = new float[x.Length], dw = new float[w.Length], db = new float[g.OutChannels];
                Array.Fill(dx, float.NaN);
                Array.Fill(dw, float.NaN);
                Array.Fill(db, float.NaN);
                float[] scratch = TestData.Uniform(new Random(0), Convolution.Conv2DScratchSize(g, batch), 1e6f);
                Convolution.Conv2DBackwardAt(x, w, dz, dw, db, dx, g, batch, scratch, width, algorithm);
                string what = $"{name} batch={batch} {algorithm} {width}";
                TestData.Near(expectedDw, dw, i => (2.0 * batch * positions + batch + 4) * UnitRoundoff * absDw[i] + slack, $"dW {what}");
                TestData.Near(expectedDb, db, i => (2.0 * batch * positions + batch + 4) * UnitRoundoff * absDb[i] + slack, $"db {what}");
                TestData.Near(expectedDx, dx, i => (2.0 * g.OutChannels + g.KernelHeight * g.KernelWidth + 4) * UnitRoundoff * absDx[i] + slack, $"dx {what}");
            }
        }
    }

    /// <summary>Runs the forward pass into a buffer guarded by NaNs (unwritten outputs fail) and sentinels (overruns fail).</summary>
    private static float[] RunForward<TActivation>(float[] x, float[] w, float[] bias, Conv2DGeometry g, int batch, TActivation activation, SimdWidth width, ConvolutionAlgorithm algorithm)
        where TActivation : struct, IActivation
    {
        int length = batch * g.OutputSize;
        var buffer = new float[length + 17];
        buffer.AsSpan(0, length).Fill(float.NaN);
        buffer.AsSpan(length).Fill(Sentinel);
        float[] scratch = TestData.Uniform(new Random(0), Convolution.Conv2DScratchSize(g, batch), 1e6f);
        Convolution.Conv2DForwardAt(x, w, bias, buffer.AsSpan(0, length), g, batch, scratch, activation, width, algorithm);
        for (int i = length; i < buffer.Length; i++) Assert.Equal(Sentinel, buffer[i]);
        return buffer.AsSpan(0, length).ToArray();
    }
}
