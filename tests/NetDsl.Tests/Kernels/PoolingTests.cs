using System;
using NetDsl.Kernels;
using Xunit;
using static NetDsl.Tests.Kernels.ConvolutionReference;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// <see cref="Pooling"/> against <see cref="ConvolutionReference"/>: max pooling exactly (a maximum has no rounding),
/// averages within the summation bound, and every backward pass against central finite differences of the float64
/// forward.
/// </summary>
public class PoolingTests
{
    private const double UnitRoundoff = 1.0 / (1 << 24);

    /// <summary>The common 2x2/2 (even and odd sizes), overlapping 3x3/2 with padding, asymmetric padding, 2x3/3, and 1-D.</summary>
    public static TheoryData<string, Pool2DGeometry, int> Geometries => new()
    {
        { "2x2/2", new(3, 8, 6, 2, 2, 2, 2), 3 },
        { "2x2/2 odd", new(2, 7, 9, 2, 2, 2, 2), 1 },
        { "2x2/2 14x14", new(3, 14, 14, 2, 2, 2, 2), 3 },
        { "2x2/2 16 wide (rows of 8, two a vector)", new(2, 6, 16, 2, 2, 2, 2), 2 },
        { "2x2/2 wide", new(2, 5, 27, 2, 2, 2, 2), 1 },
        { "2x2/2 28 wide", new(3, 6, 28, 2, 2, 2, 2), 2 },
        { "2x2/2 41 wide", new(2, 5, 41, 2, 2, 2, 2), 2 },
        { "3x3/2 pad 1", new(3, 9, 7, 3, 3, 2, 2, 1, 1, 1, 1), 3 },
        { "3x3/1 asymmetric", new(1, 6, 5, 3, 3, 1, 1, 2, 0, 1, 2), 3 },
        { "2x3/3 pad", new(5, 7, 11, 2, 3, 3, 3, 1, 0, 0, 2), 1 },
        { "1-D 3/2", new(4, 1, 13, 1, 3, 1, 2, 0, 1, 0, 1), 3 },
        { "window = input", new(2, 4, 5, 4, 5, 1, 1), 3 },
    };

    [Theory, MemberData(nameof(Geometries))]
    public void MaxPoolMatchesReference(string name, Pool2DGeometry g, int batch)
    {
        var random = new Random(name.Length + 100 * batch);
        float[] x = TestData.Uniform(random, batch * g.InputSize);
        var (expected, expectedArgmax) = MaxPool2D(ToDouble(x), g, batch);
        float[] y = new float[expected.Length];
        int[] argmax = new int[expected.Length];
        Pooling.MaxPool2DForward(x, y, argmax, g, batch);
        Assert.Equal(Array.ConvertAll(expected, v => (float)v), y);
        Assert.Equal(expectedArgmax, argmax);

        // dL/dx of L = Σ r ⊙ maxpool(x): inputs are distinct, so ε = 1e-6 keeps every window's winner.
        float[] dy = TestData.Uniform(random, y.Length);
        double[] fd = FiniteDifferences(ToDouble(x), v => MaxPool2D(v, g, batch).y, ToDouble(dy), 1e-6);
        float[] dx = Filled(x.Length);
        Pooling.MaxPool2DBackward(dy, argmax, dx, g, batch);
        // An input that wins several overlapping windows sums their dy in float.
        double[] absDx = MaxPool2DBackward(Abs(dy), argmax, g, batch);
        TestData.Near(fd, dx, i => (g.KernelHeight * g.KernelWidth + 2) * UnitRoundoff * absDx[i] + 1e-9, $"max pool dx {name}");
    }

    [Theory, MemberData(nameof(Geometries))]
    public void AvgPoolMatchesReference(string name, Pool2DGeometry g, int batch)
    {
        var random = new Random(name.Length + 200 * batch);
        float[] x = TestData.Uniform(random, batch * g.InputSize);
        int window = g.KernelHeight * g.KernelWidth;
        double[] expected = AvgPool2D(ToDouble(x), g, batch), terms = AvgPool2D(Abs(x), g, batch);
        float[] y = Filled(expected.Length);
        Pooling.AvgPool2DForward(x, y, g, batch);
        TestData.Near(expected, y, i => (window + 2) * UnitRoundoff * terms[i] + 1e-30, $"avg pool y {name}");

        float[] dy = TestData.Uniform(random, y.Length);
        double[] fd = FiniteDifferences(ToDouble(x), v => AvgPool2D(v, g, batch), ToDouble(dy), 1e-3);
        double[] absDx = AvgPool2DBackward(Abs(dy), g, batch);
        float[] dx = Filled(x.Length);
        Pooling.AvgPool2DBackward(dy, dx, g, batch);
        // Each input sums at most KH·KW shares (overlapping windows), each rounded once.
        TestData.Near(fd, dx, i => (2.0 * window + 2) * UnitRoundoff * absDx[i] + 1e-10, $"avg pool dx {name}");
    }

    [Fact]
    public void TiesGoToTheFirstInputAndPaddingNeverWins()
    {
        // All equal: the first input of each window (row-major) wins, as in PyTorch.
        var g = new Pool2DGeometry(1, 4, 4, 2, 2, 2, 2);
        float[] y = new float[4];
        int[] argmax = new int[4];
        Pooling.MaxPool2DForward(new float[16], y, argmax, g, 1);
        Assert.Equal([0, 2, 8, 10], argmax);
        var wide = new Pool2DGeometry(1, 2, 14, 2, 2, 2, 2); // the vectorized paths, 7 outputs: half a vector of row pairs (AVX-512), else 4 + an overlapping 4
        y = new float[7];
        argmax = new int[7];
        Pooling.MaxPool2DForward(new float[28], y, argmax, wide, 1);
        Assert.Equal([0, 2, 4, 6, 8, 10, 12], argmax);
        var avx512 = new Pool2DGeometry(1, 2, 28, 2, 2, 2, 2); // 14 outputs: the 16-wide path's masked block
        y = new float[14];
        argmax = new int[14];
        Pooling.MaxPool2DForward(new float[56], y, argmax, avx512, 1);
        Assert.Equal([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26], argmax);
        var overlapping = new Pool2DGeometry(1, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1);
        float[] ones = [1, 1, 1, 1, 1, 1, 1, 1, 1];
        y = new float[9];
        argmax = new int[9];
        Pooling.MaxPool2DForward(ones, y, argmax, overlapping, 1);
        Assert.Equal([0, 0, 1, 0, 0, 1, 3, 3, 4], argmax);

        // All negative with padding: the padded zeros must not win.
        float[] negative = Array.ConvertAll(ones, v => -v - 1);
        Pooling.MaxPool2DForward(negative, y, argmax, overlapping, 1);
        Assert.All(y, v => Assert.Equal(-2f, v));
        Pooling.AvgPool2DForward(negative, y, overlapping, 1);
        Assert.Equal(-2f * 4 / 9, y[0], 6); // corner: 4 inputs, divided by 9
    }

    [Fact]
    public void NaNWinsAndPropagatesAsInPyTorch()
    {
        // PyTorch takes a candidate if it is greater or NaN: the last NaN of a window wins. The vectorized 2x2
        // paths (row pairs or 8 windows, and 16) and the general path (3x3) see windows with no, one and two NaNs.
        foreach (var g in new[] { new Pool2DGeometry(1, 2, 16, 2, 2, 2, 2), new Pool2DGeometry(1, 2, 32, 2, 2, 2, 2), new Pool2DGeometry(1, 3, 24, 3, 3, 1, 3) })
        {
            float[] x = TestData.Uniform(new Random(7), g.InputSize);
            x[1] = float.NaN;                                          // window 0: one NaN
            x[g.InWidth + 2 * g.StrideWidth] = float.NaN;              // window 2: two NaNs, the second one wins
            x[2 * g.StrideWidth + 1] = float.NaN;
            float[] y = new float[g.OutputSize];
            int[] argmax = new int[g.OutputSize];
            Pooling.MaxPool2DForward(x, y, argmax, g, 1);
            Assert.True(float.IsNaN(y[0]) && argmax[0] == 1, $"{g}: window 0 gave {y[0]} at {argmax[0]}");
            Assert.True(float.IsNaN(y[2]) && argmax[2] == g.InWidth + 2 * g.StrideWidth, $"{g}: window 2 gave {y[2]} at {argmax[2]}");
            Assert.False(float.IsNaN(y[1]));
        }
    }

    [Fact]
    public void GlobalAveragePoolMatchesReference()
    {
        var random = new Random(300);
        foreach (var (channels, spatial, batch) in new[] { (1, 1, 1), (3, 7, 2), (5, 49, 3), (16, 196, 2) })
        {
            float[] x = TestData.Uniform(random, batch * channels * spatial);
            double[] expected = GlobalAveragePool(ToDouble(x), channels, spatial, batch), terms = GlobalAveragePool(Abs(x), channels, spatial, batch);
            float[] y = Filled(batch * channels);
            Pooling.GlobalAveragePoolForward(x, y, channels, spatial, batch);
            TestData.Near(expected, y, i => (spatial + 2) * UnitRoundoff * terms[i] + 1e-30, $"gap y C={channels} S={spatial}");

            float[] dy = TestData.Uniform(random, y.Length);
            double[] fd = FiniteDifferences(ToDouble(x), v => GlobalAveragePool(v, channels, spatial, batch), ToDouble(dy), 1e-3);
            float[] dx = Filled(x.Length);
            Pooling.GlobalAveragePoolBackward(dy, dx, channels, spatial, batch);
            TestData.Near(fd, dx, i => 2 * UnitRoundoff * Math.Abs(fd[i]) + 1e-10, $"gap dx C={channels} S={spatial}");
            TestData.Near(GlobalAveragePoolBackward(ToDouble(dy), channels, spatial, batch), dx, i => 2 * UnitRoundoff * Math.Abs(fd[i]) + 1e-12, $"gap dx C={channels} S={spatial}");
        }
    }

    [Fact]
    public void PoolingDoesNotAllocate()
    {
        using var kernelThreads = KernelThreads.Hold();
        var g = new Pool2DGeometry(4, 10, 10, 2, 2, 2, 2);
        var h = new Pool2DGeometry(4, 10, 10, 3, 3, 2, 2, 1, 1, 1, 1);
        const int batch = 3;
        float[] x = TestData.Uniform(new Random(301), batch * g.InputSize), dx = new float[x.Length];
        float[] y = new float[batch * g.OutputSize], y2 = new float[batch * h.OutputSize], gap = new float[batch * 4];
        int[] argmax = new int[y.Length], argmax2 = new int[y2.Length];
        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void RunAll()
        {
            Pooling.MaxPool2DForward(x, y, argmax, g, batch);
            Pooling.MaxPool2DBackward(y, argmax, dx, g, batch);
            Pooling.MaxPool2DForward(x, y2, argmax2, h, batch);
            Pooling.MaxPool2DBackward(y2, argmax2, dx, h, batch);
            Pooling.AvgPool2DForward(x, y2, h, batch);
            Pooling.AvgPool2DBackward(y2, dx, h, batch);
            Pooling.GlobalAveragePoolForward(x, gap, 4, 100, batch);
            Pooling.GlobalAveragePoolBackward(gap, dx, 4, 100, batch);
        }
    }

    [Fact]
    public void BadArgumentsAreReported()
    {
        var g = new Pool2DGeometry(2, 4, 4, 2, 2, 2, 2);
        float[] x = new float[g.InputSize], y = new float[g.OutputSize];
        int[] argmax = new int[g.OutputSize];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Pooling.MaxPool2DForward(x, y.AsSpan(1), argmax, g, 1)).ParamName);
        Assert.Equal("argmax", Assert.Throws<ArgumentException>(() => Pooling.MaxPool2DForward(x, y, argmax.AsSpan(1), g, 1)).ParamName);
        Assert.Throws<ArgumentException>(() => Pooling.AvgPool2DForward(x, y, g with { PadLeft = 2 }, 1)); // padding as large as the kernel
        Assert.Throws<ArgumentException>(() => Pooling.AvgPool2DForward(x, y, g with { StrideHeight = 0 }, 1));
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Pooling.GlobalAveragePoolForward(x, new float[3], 2, 16, 1)).ParamName);
    }

    private static float[] Filled(int length)
    {
        var values = new float[length];
        Array.Fill(values, float.NaN);
        return values;
    }
}
