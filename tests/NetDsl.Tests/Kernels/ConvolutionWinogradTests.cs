using System;
using NetDsl.Kernels;
using Xunit;
using static NetDsl.Tests.Kernels.ConvolutionReference;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// The Winograd F(2×2, 5×5) forward pass (<see cref="ConvolutionWinograd"/>), forced by
/// <see cref="ConvolutionAlgorithm.Winograd"/>, against <see cref="ConvolutionReference"/>'s float64 loops with the
/// bound of <see cref="ConvolutionTests"/> unchanged (<c>(2·C·25 + 4)·2⁻²⁴·Σ|terms|</c>): odd output sizes (the last
/// row or column of tiles partial), paddings 0, 1, 2 and asymmetric, fewer tiles than a chunk of 14, rows of more
/// than 16 tiles (two vectors, the last overlapping), 16, 32 and 48 output channels (one vector of channels left
/// over, or none), batches of 1 and several; shapes it does not take (fewer than 8 input channels, output channels
/// not a multiple of 16, 3x3, stride 2, other widths) fall back and must still be right. Then thread counts 1, 2
/// and 3 give the same bits, and a warm call allocates nothing.
/// </summary>
public class ConvolutionWinogradTests
{
    private const double UnitRoundoff = 1.0 / (1 << 24);
    private const float Sentinel = 12345.5f;

    private static readonly SimdWidth[] AllWidths = [SimdWidth.Scalar, SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512];

    private static readonly Conv2DGeometry CnnLayer2 = new(16, 14, 14, 32, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2);

    /// <summary>Shapes Winograd takes (at Vector512), and whether they are.</summary>
    public static TheoryData<string, Conv2DGeometry, int, bool> Shapes => new()
    {
        { "16→32 5x5 pad 2 on 14x14 (the CNN's second layer)", CnnLayer2, 3, true },
        { "8→16 pad 2 on 9x11 (odd: partial tiles)", new(8, 9, 11, 16, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), 2, true },
        { "12→48 valid on 7x13 (10 tiles, fewer than a chunk)", new(12, 7, 13, 48, 5, 5), 2, true },
        { "40→16 pad 1 on 6x5", new(40, 6, 5, 16, 5, 5, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 1, true },
        { "9→32 asymmetric pad 2,0,1,1 on 8x10", new(9, 8, 10, 32, 5, 5, PadTop: 2, PadLeft: 0, PadBottom: 1, PadRight: 1), 3, true },
        { "20→32 pad 1 on 6x40 (19 tiles a row)", new(20, 6, 40, 32, 5, 5, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 2, true },
        { "16→16 valid on 5x5 (one output)", new(16, 5, 5, 16, 5, 5), 3, true },
        { "1→16 pad 2 on 28x28 (the CNN's first layer: too few channels)", new(1, 28, 28, 16, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), 1, false },
        { "7→32 pad 2 on 9x9 (too few channels)", new(7, 9, 9, 32, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), 2, false },
        { "16→24 pad 2 on 9x9 (24 channels)", new(16, 9, 9, 24, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), 2, false },
        { "16→32 3x3 pad 1 on 9x9", new(16, 9, 9, 32, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1), 2, false },
        { "16→32 5x5 stride 2 on 13x13", new(16, 13, 13, 32, 5, 5, StrideHeight: 2, StrideWidth: 2, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2), 2, false },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void ForwardMatchesReference(string name, Conv2DGeometry g, int batch, bool winograd)
    {
        Assert.Equal(winograd, Convolution.WinogradShape(g));
        var random = new Random(name.Length * 19 + batch);
        CheckForward(random, g, batch, name);
        if (batch > 1)
        {
            CheckForward(random, g, 1, name);
        }
    }

    [Fact]
    public void ReluInputsLikeTheCnnStayFarInsideTheBound()
    {
        // The layer's real operating point: ReLU'd, pooled inputs in [0, 2), He-uniform weights, small biases. The
        // worst error measured over many such cases is ~2.4 % of the bound; 10 % leaves room for chance, not for a bug.
        var random = new Random(5);
        Conv2DGeometry g = CnnLayer2;
        const int batch = 4;
        float[] x = Array.ConvertAll(TestData.Uniform(random, batch * g.InputSize), v => v + 1f);
        float[] w = TestData.Uniform(random, g.WeightSize, MathF.Sqrt(6f / 400));
        float[] bias = TestData.Uniform(random, g.OutChannels, 0.1f);
        double[] z = Conv2D(ToDouble(x), ToDouble(w), ToDouble(bias), g, batch);
        double[] terms = Conv2D(Abs(x), Abs(w), Abs(bias), g, batch);
        float[] y = RunForward(x, w, bias, g, batch, new IdentityActivation(), SimdDispatch.Best);
        TestData.Near(z, y, i => 0.1 * (2.0 * 400 + 4) * UnitRoundoff * terms[i], "CNN layer 2, ReLU'd inputs");
    }

    [Fact]
    public void RuleTakesTheCnnSecondLayerWhereTheCpuHasAvx512()
    {
        bool avx512 = Convolution.WinogradPossible(CnnLayer2, SimdWidth.Vector512);
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, avx512);
        Assert.Equal(avx512, Convolution.Winograd(CnnLayer2, 1, SimdWidth.Vector512));
        Assert.Equal(avx512, Convolution.Winograd(CnnLayer2, 64, SimdWidth.Vector512));
        Assert.False(Convolution.Winograd(CnnLayer2, 64, SimdWidth.Vector256));
        // One output per sample: the filter transform costs more than the products save.
        Assert.False(Convolution.Winograd(new Conv2DGeometry(16, 5, 5, 16, 5, 5), 16, SimdWidth.Vector512));
    }

    [Fact]
    public void OneTwoAndThreeThreadsGiveTheSameBits()
    {
        using var kernelThreads = KernelThreads.Hold();
        var random = new Random(23);
        var odd = new Conv2DGeometry(12, 9, 11, 32, 5, 5, PadTop: 2, PadLeft: 1, PadBottom: 2, PadRight: 2);
        // Rows of 19 tiles: two chunks a row, the second shifted back; at batch 1 threads split a sample's chunks.
        var wide = new Conv2DGeometry(20, 6, 40, 32, 5, 5, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        foreach (Conv2DGeometry g in new[] { CnnLayer2, odd, wide })
        {
            foreach (int batch in new[] { 1, 4, 7 })
            {
                float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
                var scratch = new float[Convolution.Conv2DScratchSize(g, batch)];
                float[] Run(int threads)
                {
                    KernelOptions.MaxThreads = threads;
                    float[] y = new float[batch * g.OutputSize];
                    Convolution.Conv2DForwardAt(x, w, bias, y, g, batch, scratch, new ReLUActivation(), SimdDispatch.Best, ConvolutionAlgorithm.Winograd);
                    return y;
                }
                float[] one = Run(1);
                Assert.Equal(one, Run(2));
                Assert.Equal(one, Run(3));
                // A sample's bits do not depend on the batch around it.
                float[] single = new float[g.OutputSize];
                KernelOptions.MaxThreads = 1;
                Convolution.Conv2DForwardAt(x.AsSpan(0, g.InputSize), w, bias, single, g, 1, scratch, new ReLUActivation(), SimdDispatch.Best, ConvolutionAlgorithm.Winograd);
                Assert.Equal(one.AsSpan(0, g.OutputSize).ToArray(), single);
            }
        }
    }

    [Fact]
    public void WinogradDoesNotAllocate()
    {
        using var kernelThreads = KernelThreads.Hold();
        const int batch = 3;
        Conv2DGeometry g = CnnLayer2;
        var random = new Random(24);
        float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
        float[] y = new float[batch * g.OutputSize];
        var scratch = new float[Convolution.Conv2DScratchSize(g, batch)];
        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void RunAll()
        {
            Convolution.Conv2DForwardAt(x, w, bias, y, g, batch, scratch, new ReLUActivation(), SimdDispatch.Best, ConvolutionAlgorithm.Winograd);
            Convolution.Conv2DForwardAt(x, w, [], y, g, batch, scratch, new TanhActivation(), SimdDispatch.Best, ConvolutionAlgorithm.Winograd);
            Convolution.Conv2DForward(x, w, bias, y, g, batch, scratch, new ReLUActivation());
        }
    }

    /// <summary>Forward with and without bias, with fused (ReLU, leaky ReLU) and unfused (tanh) activations, Winograd forced, at every width.</summary>
    private static void CheckForward(Random random, Conv2DGeometry g, int batch, string name)
    {
        float[] x = TestData.Uniform(random, batch * g.InputSize), w = TestData.Uniform(random, g.WeightSize), bias = TestData.Uniform(random, g.OutChannels);
        int depth = g.InChannels * g.KernelHeight * g.KernelWidth;
        foreach (bool withBias in new[] { true, false })
        {
            double[] z = Conv2D(ToDouble(x), ToDouble(w), withBias ? ToDouble(bias) : null, g, batch);
            double[] terms = Conv2D(Abs(x), Abs(w), withBias ? Abs(bias) : null, g, batch);
            Func<int, double> bound = i => (2.0 * depth + 4) * UnitRoundoff * terms[i] + 1e-30;
            foreach (SimdWidth width in AllWidths)
            {
                string what = $"{name} batch={batch} bias={withBias} {width}";
                float[] b = withBias ? bias : [];
                TestData.Near(z, RunForward(x, w, b, g, batch, new IdentityActivation(), width), bound, $"identity {what}");
                TestData.Near(Array.ConvertAll(z, v => Math.Max(v, 0)), RunForward(x, w, b, g, batch, new ReLUActivation(), width), bound, $"relu {what}");
                TestData.Near(Array.ConvertAll(z, v => v > 0 ? v : 0.25 * v), RunForward(x, w, b, g, batch, new LeakyReLUActivation(0.25f), width), bound, $"leaky relu {what}");
                TestData.Near(Array.ConvertAll(z, Math.Tanh), RunForward(x, w, b, g, batch, new TanhActivation(), width), i => bound(i) + 4e-7, $"tanh {what}");
            }
        }
    }

    /// <summary>Runs the forward pass, Winograd forced, into a buffer guarded by NaNs (unwritten outputs fail) and sentinels (overruns fail).</summary>
    private static float[] RunForward<TActivation>(float[] x, float[] w, float[] bias, Conv2DGeometry g, int batch, TActivation activation, SimdWidth width)
        where TActivation : struct, IActivation
    {
        int length = batch * g.OutputSize;
        var buffer = new float[length + 17];
        buffer.AsSpan(0, length).Fill(float.NaN);
        buffer.AsSpan(length).Fill(Sentinel);
        float[] scratch = TestData.Uniform(new Random(0), Convolution.Conv2DScratchSize(g, batch), 1e6f); // garbage must not leak
        Convolution.Conv2DForwardAt(x, w, bias, buffer.AsSpan(0, length), g, batch, scratch, activation, width, ConvolutionAlgorithm.Winograd);
        for (int i = length; i < buffer.Length; i++) Assert.Equal(Sentinel, buffer[i]);
        return buffer.AsSpan(0, length).ToArray();
    }
}
