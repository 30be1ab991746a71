using System;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// The batch-1 product that reads the weights input by input and skips zero inputs (<c>Gemm.ColumnProducts</c>, from
/// <see cref="PackedWeights"/> made with <c>inputsOftenZero</c>) must give the bits of the dot products it replaces
/// (<see cref="Gemm.MultiplyTransposedBAt{TActivation}"/> at <see cref="SimdWidth.Vector256"/>, what a network without
/// packed weights runs), whatever share of the inputs is zero. The dot products are themselves checked against the
/// float64 reference in <see cref="GemmTests"/>.
/// </summary>
public class GemmColumnsTests
{
    public static TheoryData<string> GroupWidths => new() { nameof(SimdWidth.Vector256), nameof(SimdWidth.Vector512) };

    // Depths with and without whole chunks of 16, a vector of 8 after them, and leftover terms; outputs of one to three groups.
    private static readonly int[] Depths = [1, 5, 8, 9, 15, 16, 17, 24, 25, 31, 32, 40, 100, 512, 784];

    [Theory, MemberData(nameof(GroupWidths))]
    public void Gives_the_bits_of_the_dot_products_at_any_share_of_zero_inputs(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        if (!Supported(width))
            return;
        int g = Gemm.ColumnGroupRows(width);
        var random = new Random(23);
        foreach (int n in new[] { g, 2 * g, 3 * g })
            foreach (int k in Depths)
            {
                float[] w = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n);
                var packed = new PackedWeights(w, bias, n, k, SimdWidth.Vector256, SimdWidth.Vector256, width);
                Assert.Equal(width, packed.ColumnWidth);
                foreach (int m in new[] { 1, 2, 3 })
                    foreach (double zeroShare in new[] { 0.0, 0.1, 0.5, 0.9, 1.0 })
                    {
                        float[] x = TestData.Uniform(random, m * k);
                        for (int i = 0; i < x.Length; i++)
                        {
                            if (random.NextDouble() < zeroShare)
                                x[i] = random.Next(2) == 0 ? 0f : -0f;
                        }
                        AssertSameBits(x, w, bias, m, n, k, packed, $"{width} m={m} n={n} k={k} zeros={zeroShare:P0}");
                        AssertSameBits(x, w, [], m, n, k, new PackedWeights(w, [], n, k, SimdWidth.Vector256, SimdWidth.Vector256, width), $"{width} m={m} n={n} k={k} no bias");
                    }
            }
    }

    [Theory, MemberData(nameof(GroupWidths))]
    public void Gives_the_same_bits_on_one_and_two_threads(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        if (!Supported(width))
            return;
        var random = new Random(24);
        int n = 4 * Gemm.ColumnGroupRows(width), k = 300;
        float[] w = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n), x = HalfZero(random, k);
        var packed = new PackedWeights(w, bias, n, k, SimdWidth.Vector256, SimdWidth.Vector256, width);
        Assert.True((long)n * k >= Gemm.ParallelDotWeights);
        float[] Run(int threads) => KernelThreads.With(threads, () =>
        {
            var c = new float[n];
            Gemm.MultiplyTransposedB(x, w, bias, c, 1, n, k, new ReLUActivation(), packed);
            return c;
        });
        float[] one = Run(1), two = Run(2);
        AssertSameBits(x, w, bias, 1, n, k, packed, $"{width} one thread");
        Assert.True(one.AsSpan().SequenceEqual(two), "one and two threads differ");
    }

    [Theory, MemberData(nameof(GroupWidths))]
    public void Skips_the_weights_of_zero_inputs_and_reads_every_column_otherwise(string widthName)
    {
        // Poison the packed column of one input: the product must not read it while that input is zero (the skip
        // happens), and must read it once it is not (the poison is where the column is).
        SimdWidth width = TestData.Width(widthName);
        if (!Supported(width))
            return;
        var random = new Random(25);
        int n = Gemm.ColumnGroupRows(width), k = 100, poisoned = 37;
        float[] w = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n), x = HalfZero(random, k);
        x[poisoned] = 0;
        var packed = new PackedWeights(w, bias, n, k, SimdWidth.Vector256, SimdWidth.Vector256, width);
        Poison(packed, n, poisoned);

        AssertSameBits(x, w, bias, 1, n, k, packed, "with the poisoned input at zero");
        x[poisoned] = 0.5f;
        var c = new float[n];
        Gemm.MultiplyTransposedB(x, w, bias, c, 1, n, k, new IdentityActivation(), packed);
        Assert.All(c, value => Assert.True(float.IsNaN(value), $"{value} should have read the poisoned column"));
        // With hardly any zero input, every column is read (no list is made) and the poisoned one shows.
        float[] dense = TestData.Uniform(random, k);
        dense[poisoned] = 0;
        Gemm.MultiplyTransposedB(dense, w, bias, c, 1, n, k, new IdentityActivation(), packed);
        Assert.All(c, value => Assert.True(float.IsNaN(value), $"{value} should have read every column"));
    }

    [Theory, MemberData(nameof(GroupWidths))]
    public void Never_skips_when_a_weight_is_not_finite(string widthName)
    {
        // 0 · ∞ is NaN in the dot products: skipping the zero input would hide it.
        SimdWidth width = TestData.Width(widthName);
        if (!Supported(width))
            return;
        var random = new Random(26);
        int n = Gemm.ColumnGroupRows(width), k = 64;
        float[] w = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n), x = HalfZero(random, k);
        w[3 * k + 10] = float.PositiveInfinity;
        w[5 * k + 20] = float.NaN;
        var packed = new PackedWeights(w, bias, n, k, SimdWidth.Vector256, SimdWidth.Vector256, width);
        float[] expected = new float[n], actual = new float[n];
        Gemm.MultiplyTransposedBAt(x, w, bias, expected, 1, n, k, new IdentityActivation(), SimdWidth.Vector256);
        Gemm.MultiplyTransposedB(x, w, bias, actual, 1, n, k, new IdentityActivation(), packed);
        Assert.True(float.IsNaN(expected[3]) && float.IsNaN(expected[5]));
        for (int j = 0; j < n; j++)
            Assert.True(float.IsNaN(expected[j]) ? float.IsNaN(actual[j]) : expected[j] == actual[j], $"output {j}: {actual[j]:R}, expected {expected[j]:R}");
    }

    [Fact]
    public unsafe void Lists_the_same_nonzero_inputs_with_and_without_AVX_512()
    {
        var random = new Random(29);
        foreach (int k in new[] { 1, 7, 8, 9, 16, 23, 40, 100, 784 })
        {
            var order = new int[k];
            var segmentEnds = new int[Gemm.ColumnSegments];
            Gemm.ColumnOrder(k, order, segmentEnds);
            float[] x = TestData.Uniform(random, k);
            for (int i = 0; i < k; i++)
            {
                if (random.Next(3) == 0)
                    x[i] = random.Next(2) == 0 ? 0f : -0f;
            }
            x[random.Next(k)] = float.NaN; // not zero: listed
            (float[] Values, int[] Positions, int[] Ends) List(bool vectorized)
            {
                float[] values = new float[k + 8];
                int[] positions = new int[k + 8], ends = new int[Gemm.ColumnSegments];
                fixed (float* px = x, pv = values)
                fixed (int* po = order, ps = segmentEnds, pp = positions, pe = ends)
                    Gemm.ListNonzeroInputs(px, po, ps, pv, pp, pe, vectorized);
                return (values.AsSpan(0, ends[^1]).ToArray(), positions.AsSpan(0, ends[^1]).ToArray(), ends);
            }
            var scalar = List(vectorized: false);
            var vector = List(vectorized: true);
            Assert.Equal(k - Array.FindAll(x, v => v == 0).Length, scalar.Ends[^1]);
            Assert.Equal(scalar.Ends, vector.Ends);
            Assert.Equal(scalar.Positions, vector.Positions);
            Assert.True(scalar.Values.AsSpan().SequenceEqual(vector.Values), $"k={k}: the listed values differ");
            for (int e = 0; e < scalar.Positions.Length; e++)
                Assert.Equal(BitConverter.SingleToInt32Bits(x[order[scalar.Positions[e]]]), BitConverter.SingleToInt32Bits(scalar.Values[e]));
        }
    }

    [Fact]
    public void Public_packing_uses_column_groups_only_when_asked_and_the_shape_allows()
    {
        var random = new Random(27);
        float[] w = TestData.Uniform(random, 256 * 40), bias = TestData.Uniform(random, 256);
        bool columns = Vector256Streaming() && SimdDispatch.Best is SimdWidth.Vector512 or SimdWidth.Vector256;
        Assert.Equal(columns ? SimdDispatch.Best : SimdWidth.Scalar, new PackedWeights(w, bias, 256, 40, inputsOftenZero: true).ColumnWidth);
        Assert.Equal(SimdWidth.Scalar, new PackedWeights(w, bias, 256, 40).ColumnWidth);
        Assert.Equal(SimdWidth.Scalar, new PackedWeights(w.AsSpan(0, 200 * 40), bias.AsSpan(0, 200), 200, 40, inputsOftenZero: true).ColumnWidth);
    }

    [Fact]
    public void Allocates_nothing_once_warm()
    {
        using var kernelThreads = KernelThreads.Hold();
        if (!Supported(SimdDispatch.Best))
            return;
        var random = new Random(28);
        int n = 256, k = 512;
        float[] w = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n), x = HalfZero(random, k), c = new float[n];
        var packed = new PackedWeights(w, bias, n, k, inputsOftenZero: true);
        Gemm.MultiplyTransposedB(x, w, bias, c, 1, n, k, new ReLUActivation(), packed);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
            Gemm.MultiplyTransposedB(x, w, bias, c, 1, n, k, new ReLUActivation(), packed);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>Uniform inputs with every other one zero, as a ReLU's outputs are about half zero.</summary>
    private static float[] HalfZero(Random random, int k)
    {
        float[] x = TestData.Uniform(random, k);
        for (int i = 0; i < k; i += 2)
            x[i] = 0;
        return x;
    }

    private static bool Vector256Streaming() => SimdDispatch.BestForStreaming == SimdWidth.Vector256;

    /// <summary>Column groups of <paramref name="width"/> run on this machine (the tests that need them pass vacuously where they do not).</summary>
    private static bool Supported(SimdWidth width) => width switch
    {
        SimdWidth.Vector512 => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
        SimdWidth.Vector256 => System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>Writes NaN over the packed column of input <paramref name="input"/> in every group.</summary>
    private static unsafe void Poison(PackedWeights packed, int n, int input)
    {
        int g = Gemm.ColumnGroupRows(packed.ColumnWidth), position = Array.IndexOf(packed.ColumnOrder!, input);
        for (int group = 0; group < n / g; group++)
        {
            float* column = packed.ColumnGroups + (nint)group * g * packed.Inputs + (nint)position * g;
            new Span<float>(column, g).Fill(float.NaN);
        }
    }

    private static void AssertSameBits(float[] x, float[] w, float[] bias, int m, int n, int k, PackedWeights packed, string what)
    {
        float[] expected = new float[m * n], actual = new float[m * n];
        Gemm.MultiplyTransposedBAt(x.AsSpan(0, m * k), w, bias, expected, m, n, k, new LeakyReLUActivation(0.25f), SimdWidth.Vector256);
        Gemm.MultiplyTransposedB(x.AsSpan(0, m * k), w, bias, actual, m, n, k, new LeakyReLUActivation(0.25f), packed);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} bit for bit");
    }
}
