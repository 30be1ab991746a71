using System;
using NetDsl.Kernels;
using NetDsl.Tests.Reference;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// Every product at every SIMD width against <see cref="ScalarReference"/>, over a grid of sizes that hits every tile and
/// vector remainder. The tolerance is the classic bound for a float dot product of <c>k</c> terms,
/// <c>|ĉ - c| ≤ γ·Σ|a·b|</c> with <c>γ = (2k + 4)·2⁻²⁴</c> (one or two roundings per term, plus the bias): any correct
/// summation order passes, and any indexing mistake fails by orders of magnitude.
/// </summary>
public class GemmTests
{
    private static readonly int[] Sizes = [1, 2, 3, 5, 8, 17, 33, 64, 100];
    private static readonly (int m, int n, int k)[] LayerSizes = [(128, 10, 784), (128, 784, 10), (1, 128, 784), (7, 130, 300)];
    private const double UnitRoundoff = 1.0 / (1 << 24);
    private const float Sentinel = 12345.5f;

    public static TheoryData<string> Widths => TestData.Widths;

    [Theory, MemberData(nameof(Widths))]
    public void ProductsMatchReferenceOverSizeGrid(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(1);
        foreach (int m in Sizes)
            foreach (int n in Sizes)
                foreach (int k in Sizes)
                {
                    CheckAll(random, m, n, k, withBias: (m + n + k) % 2 == 0, width);
                }
    }

    [Theory, MemberData(nameof(Widths))]
    public void ProductsMatchReferenceAtLayerSizes(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(2);
        foreach (var (m, n, k) in LayerSizes)
        {
            CheckAll(random, m, n, k, withBias: true, width);
        }
    }

    [Theory, MemberData(nameof(Widths))]
    public void ProductsMatchReferenceAroundPanelEdges(string widthName)
    {
        // Panels are 2 vectors wide and tiles 8 rows high: sizes just below, at and above several multiples of both,
        // and depths that are not a multiple of the 4×4 transposing pack.
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(5);
        foreach (var (m, n, k) in new[] { (4, 32, 16), (6, 33, 7), (11, 31, 13), (12, 64, 4), (13, 65, 130), (3, 129, 96), (40, 96, 257), (7, 16, 64), (15, 10, 48), (16, 17, 33), (25, 48, 80) })
        {
            CheckAll(random, m, n, k, withBias: true, width);
        }
    }

    [Theory, MemberData(nameof(Widths))]
    public void MatrixVectorLoadsAtEveryAlignment(string widthName)
    {
        // The batch-1 path peels leading terms so its loads of b start on a cache line; shifting b through every
        // float offset of a 64-byte line runs every peel length.
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(6);
        const int m = 1, n = 19, k = 64;
        float[] a = TestData.Uniform(random, m * k), bias = TestData.Uniform(random, n);
        float[] buffer = TestData.Uniform(random, n * k + 16);
        for (int offset = 0; offset < 16; offset++)
        {
            ReadOnlySpan<float> b = buffer.AsSpan(offset, n * k);
            double[] bd = ScalarReference.ToDouble(b.ToArray());
            double[] expected = ScalarReference.DenseForward(ScalarReference.ToDouble(a), bd, ScalarReference.ToDouble(bias), m, k, n);
            double[] terms = ScalarReference.DenseForward(Abs(a), Abs(b.ToArray()), Abs(bias), m, k, n);
            var c = new float[m * n];
            Gemm.MultiplyTransposedBAt(a, b, bias, c, m, n, k, new IdentityActivation(), width);
            TestData.Near(expected, c, i => Bound(k, terms[i]), $"a·bᵀ offset={offset} {width}");
        }
    }

    [Theory, MemberData(nameof(Widths))]
    public void ThreadsGiveBitIdenticalResults(string widthName)
    {
        using var kernelThreads = KernelThreads.Hold();
        // Large enough to be split across threads; each element is computed by one thread in one order, so the
        // results must not depend on the thread count, and must match the reference.
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(7);
        const int m = 70, n = 250, k = 300;
        Assert.True(2L * m * n * k >= KernelPool.MinParallelFlops);
        float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n);
        float[] bNN = TestData.Uniform(random, k * n), aTN = TestData.Uniform(random, k * m);
        Assert.True((long)n * k >= Gemm.ParallelDotWeights); // the batch-1 path splits too
        float[][] Run()
        {
            float[] forward = new float[m * n], leaky = new float[m * n], product = new float[m * n], transposedA = new float[m * n];
            float[] single = new float[n];
            Gemm.MultiplyTransposedBAt(a.AsSpan(0, k), b, bias, single, 1, n, k, new ReLUActivation(), width);
            Gemm.MultiplyTransposedBAt(a, b, bias, forward, m, n, k, new IdentityActivation(), width);
            Gemm.MultiplyTransposedBAt(a, b, bias, leaky, m, n, k, new LeakyReLUActivation(0.1f), width);
            Gemm.MultiplyAt(a, bNN, product, m, n, k, width);
            Gemm.MultiplyTransposedAAt(aTN, bNN, transposedA, m, n, k, width);
            return [forward, leaky, product, transposedA, single];
        }

        float[][] one = KernelThreads.With(1, Run), two = KernelThreads.With(2, Run), three = KernelThreads.With(3, Run);
        for (int r = 0; r < one.Length; r++)
        {
            Assert.Equal(one[r], two[r]);
            Assert.Equal(one[r], three[r]);
        }

        double[] expected = ScalarReference.DenseForward(ScalarReference.ToDouble(a), ScalarReference.ToDouble(b), ScalarReference.ToDouble(bias), m, k, n);
        double[] terms = ScalarReference.DenseForward(Abs(a), Abs(b), Abs(bias), m, k, n);
        TestData.Near(expected, two[0], i => Bound(k, terms[i]), $"a·bᵀ on 2 threads {width}");
        double[] leakyExpected = ScalarReference.Activate(Activation.LeakyReLU, expected, n, leakySlope: 0.1f);
        TestData.Near(leakyExpected, two[1], i => Bound(k, terms[i]), $"leaky a·bᵀ on 2 threads {width}");
        double[] singleExpected = ScalarReference.Activate(Activation.ReLU, expected.AsSpan(0, n).ToArray(), n);
        TestData.Near(singleExpected, two[4], i => Bound(k, terms[i]), $"batch-1 relu a·bᵀ on 2 threads {width}");
        expected = ScalarReference.MatMul(ScalarReference.ToDouble(a), ScalarReference.ToDouble(bNN), m, n, k);
        terms = ScalarReference.MatMul(Abs(a), Abs(bNN), m, n, k);
        TestData.Near(expected, two[2], i => Bound(k, terms[i]), $"a·b on 2 threads {width}");
        expected = ScalarReference.MatMulTransposedA(ScalarReference.ToDouble(aTN), ScalarReference.ToDouble(bNN), m, n, k);
        terms = ScalarReference.MatMulTransposedA(Abs(aTN), Abs(bNN), m, n, k);
        TestData.Near(expected, two[3], i => Bound(k, terms[i]), $"aᵀ·b on 2 threads {width}");
    }

    [Theory, MemberData(nameof(Widths))]
    public void WeightsAsRowsMatchReferenceAndPackedWeightsBits(string widthName)
    {
        // Small batches of wide layers run as cᵀ = b · aᵀ with the batch packed and the result transposed as it is
        // stored: batches that are not a whole number of panels (the transposing store's scalar columns) and outputs
        // that are not a whole number of row tiles (its scalar rows), with and without bias, fused and unfused
        // activations. Each element is the same sum in the same order as with the weights packed, so the bits must be
        // those of the product with PackedWeights, which always packs the weights.
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(9);
        (int m, int n, int k)[] shapes = width switch
        {
            SimdWidth.Vector512 => [(30, 203, 128), (62, 141, 200), (32, 200, 100), (28, 77, 300), (64, 10, 256)],
            SimdWidth.Scalar => [(30, 203, 128), (8, 200, 64)],
            _ => [(30, 203, 128), (12, 203, 128), (14, 101, 77), (28, 77, 300), (8, 200, 64)],
        };
        foreach (var (m, n, k) in shapes)
        {
            bool weightRows = width != SimdWidth.Scalar && (width == SimdWidth.Vector128 || (m, n, k) != (8, 200, 64));
            Assert.Equal(weightRows, Gemm.PrefersWeightRows(m, n, k, width));
            float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, n * k), withBias = TestData.Uniform(random, n);
            foreach (float[] bias in new[] { withBias, [] })
            {
                double[] z = ScalarReference.DenseForward(ScalarReference.ToDouble(a), ScalarReference.ToDouble(b), bias.Length == 0 ? null : ScalarReference.ToDouble(bias), m, k, n);
                double[] terms = ScalarReference.DenseForward(Abs(a), Abs(b), bias.Length == 0 ? null : Abs(bias), m, k, n);
                var packed = new PackedWeights(b, bias, n, k, width);
                foreach (Activation kind in new[] { Activation.Identity, Activation.ReLU, Activation.LeakyReLU, Activation.Sigmoid })
                {
                    string what = $"{kind} m={m} n={n} k={k} bias={bias.Length > 0} {width}";
                    float[] c = Guarded(m * n, out int used), viaPacked = new float[m * n];
                    RunWith(kind, a, b, bias, c.AsSpan(0, used), m, n, k, width, packed: null);
                    RunWith(kind, a, b, bias, viaPacked, m, n, k, width, packed);
                    AssertSentinels(c, used);
                    Assert.True(viaPacked.AsSpan().SequenceEqual(c.AsSpan(0, used)), $"weights as rows and packed weights differ: {what}");
                    double[] expected = ScalarReference.Activate(kind, z, n, leakySlope: 0.1f);
                    TestData.Near(expected, c.AsSpan(0, used), i => Bound(k, terms[i]), what);
                }
            }
        }

        static void RunWith(Activation kind, float[] a, float[] b, float[] bias, Span<float> c, int m, int n, int k, SimdWidth width, PackedWeights? packed)
        {
            switch (kind)
            {
                case Activation.Identity: Run(new IdentityActivation(), a, b, bias, c, m, n, k, width, packed); break;
                case Activation.ReLU: Run(new ReLUActivation(), a, b, bias, c, m, n, k, width, packed); break;
                case Activation.LeakyReLU: Run(new LeakyReLUActivation(0.1f), a, b, bias, c, m, n, k, width, packed); break;
                default: Run(new SigmoidActivation(), a, b, bias, c, m, n, k, width, packed); break;
            }
        }

        static void Run<TActivation>(TActivation activation, float[] a, float[] b, float[] bias, Span<float> c, int m, int n, int k, SimdWidth width, PackedWeights? packed)
            where TActivation : struct, IActivation
        {
            if (packed is null)
            {
                Gemm.MultiplyTransposedBAt(a, b, bias, c, m, n, k, activation, width);
            }
            else
            {
                Gemm.MultiplyTransposedB(a, b, bias, c, m, n, k, activation, packed);
            }
        }
    }

    [Theory, MemberData(nameof(Widths))]
    public void WeightsAsRowsGiveBitIdenticalResultsOnAnyThreads(string widthName)
    {
        using var kernelThreads = KernelThreads.Hold();
        // Shared by blocks of weight rows (a batch of 31 is one or a few panels): the bits must not depend on the split.
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(10);
        const int m = 31, n = 333, k = 150;
        Assert.True(2L * m * n * k >= KernelPool.MinParallelFlops);
        Assert.Equal(width != SimdWidth.Scalar, Gemm.PrefersWeightRows(m, n, k, width));
        float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n);
        float[] Run(int threads) => KernelThreads.With(threads, () =>
        {
            var c = new float[m * n];
            Gemm.MultiplyTransposedBAt(a, b, bias, c, m, n, k, new ReLUActivation(), width);
            return c;
        });

        float[] one = Run(1), two = Run(2), three = Run(3);
        Assert.Equal(one, two);
        Assert.Equal(one, three);
        double[] expected = ScalarReference.Activate(Activation.ReLU,
            ScalarReference.DenseForward(ScalarReference.ToDouble(a), ScalarReference.ToDouble(b), ScalarReference.ToDouble(bias), m, k, n), n);
        double[] terms = ScalarReference.DenseForward(Abs(a), Abs(b), Abs(bias), m, k, n);
        TestData.Near(expected, two, i => Bound(k, terms[i]), $"relu a·bᵀ on 2 threads {width}");
    }

    [Theory, MemberData(nameof(Widths))]
    public void HalfEmptyLastPanelsMatchReferenceOnAnyThreads(string widthName)
    {
        using var kernelThreads = KernelThreads.Hold();
        // At Vector512 a last panel of at most 16 columns runs at Vector256 (a weight gradient 512 × 784 has one):
        // every remainder 1..16 past whole panels, for all three products, against the reference, on 1 to 3 threads.
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(11);
        const int m = 121, k = 300;
        foreach (int n in new[] { 33, 40, 47, 48, 64 + 5, 64 + 16, 64 + 17, 128 + 12 })
        {
            Assert.True(2L * m * n * k >= KernelPool.MinParallelFlops);
            float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n);
            float[] aTN = TestData.Uniform(random, k * m);
            float[][] Run(int threads) => KernelThreads.With<float[][]>(threads, () =>
            {
                float[] forward = new float[m * n], product = new float[m * n], transposedA = new float[m * n];
                Gemm.MultiplyTransposedBAt(a, b, bias, forward, m, n, k, new ReLUActivation(), width);
                Gemm.MultiplyAt(a, b, product, m, n, k, width);
                Gemm.MultiplyTransposedAAt(aTN, b, transposedA, m, n, k, width);
                return [forward, product, transposedA];
            });

            float[][] one = Run(1), two = Run(2), three = Run(3);
            for (int r = 0; r < one.Length; r++)
            {
                Assert.Equal(one[r], two[r]);
                Assert.Equal(one[r], three[r]);
            }
            string sizes = $"m={m} n={n} k={k} {width}";
            double[] expected = ScalarReference.Activate(Activation.ReLU,
                ScalarReference.DenseForward(ScalarReference.ToDouble(a), ScalarReference.ToDouble(b), ScalarReference.ToDouble(bias), m, k, n), n);
            double[] terms = ScalarReference.DenseForward(Abs(a), Abs(b), Abs(bias), m, k, n);
            TestData.Near(expected, one[0], i => Bound(k, terms[i]), $"relu a·bᵀ {sizes}");
            expected = ScalarReference.MatMul(ScalarReference.ToDouble(a), ScalarReference.ToDouble(b), m, n, k);
            terms = ScalarReference.MatMul(Abs(a), Abs(b), m, n, k);
            TestData.Near(expected, one[1], i => Bound(k, terms[i]), $"a·b {sizes}");
            expected = ScalarReference.MatMulTransposedA(ScalarReference.ToDouble(aTN), ScalarReference.ToDouble(b), m, n, k);
            terms = ScalarReference.MatMulTransposedA(Abs(aTN), Abs(b), m, n, k);
            TestData.Near(expected, one[2], i => Bound(k, terms[i]), $"aᵀ·b {sizes}");
        }
    }

    /// <summary>Runs <paramref name="product"/> on 1, 2 and 3 threads, asserts the same bits each time, and returns them.</summary>
    private static float[] SameBitsOnOneToThreeThreads(Func<float[]> product)
    {
        float[] one = KernelThreads.With(1, product);
        Assert.Equal(one, KernelThreads.With(2, product));
        Assert.Equal(one, KernelThreads.With(3, product));
        return one;
    }

    [Theory, MemberData(nameof(Widths))]
    public void WeightGradientsMatchReferenceOnAnyThreadsInBothOrders(string widthName)
    {
        using var kernelThreads = KernelThreads.Hold();
        // aᵀ·b packs every panel of b first and runs row tiles outermost when the panels fit in 512 KB (MLP-M's
        // 512 × 784 at depth 64, with its half-empty last panel; 37 × 300 with an edge row tile, shared by blocks of
        // rows on 2 threads and by groups of panels on 3), else panel by panel (depth 3000): against the reference,
        // and the same bits on 1 to 3 threads.
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(13);
        foreach (var (m, n, k) in new[] { (512, 784, 64), (37, 300, 128), (24, 300, 3000) })
        {
            Assert.True(2L * m * n * k >= KernelPool.MinParallelFlops);
            float[] aTN = TestData.Uniform(random, k * m), b = TestData.Uniform(random, k * n);
            float[] one = SameBitsOnOneToThreeThreads(() =>
            {
                float[] c = new float[m * n];
                Gemm.MultiplyTransposedAAt(aTN, b, c, m, n, k, width);
                return c;
            });
            double[] expected = ScalarReference.MatMulTransposedA(ScalarReference.ToDouble(aTN), ScalarReference.ToDouble(b), m, n, k);
            double[] terms = ScalarReference.MatMulTransposedA(Abs(aTN), Abs(b), m, n, k);
            TestData.Near(expected, one, i => Bound(k, terms[i]), $"aᵀ·b m={m} n={n} k={k} {width}");
        }
    }

    [Theory, MemberData(nameof(Widths))]
    public void InputGradientsMatchReferenceOnAnyThreadsReadInPlaceOrPacked(string widthName)
    {
        using var kernelThreads = KernelThreads.Hold();
        // a·b reads whole panels of b where b stores them (rows of NR contiguous floats) when the panel spans at most
        // 1 MB, and packs a last partial panel: MLP-M's dy 64 × 512 at depth 256, a width with a half-empty and one with
        // a partial last panel; depth 1000 × 300 columns spans more and is packed. Against the reference, and the
        // same bits on 1 to 3 threads.
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(14);
        foreach (var (m, n, k) in new[] { (64, 512, 256), (45, 784, 64), (29, 250, 150), (40, 300, 1000) })
        {
            Assert.True(2L * m * n * k >= KernelPool.MinParallelFlops);
            float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, k * n);
            float[] one = SameBitsOnOneToThreeThreads(() =>
            {
                float[] c = new float[m * n];
                Gemm.MultiplyAt(a, b, c, m, n, k, width);
                return c;
            });
            double[] expected = ScalarReference.MatMul(ScalarReference.ToDouble(a), ScalarReference.ToDouble(b), m, n, k);
            double[] terms = ScalarReference.MatMul(Abs(a), Abs(b), m, n, k);
            TestData.Near(expected, one, i => Bound(k, terms[i]), $"a·b m={m} n={n} k={k} {width}");
        }
    }

    [Theory, MemberData(nameof(Widths))]
    public void NarrowProductsSplitByRowsGiveBitIdenticalResults(string widthName)
    {
        using var kernelThreads = KernelThreads.Hold();
        // One or two column panels: threads share blocks of rows, each block packing the panel again. The results
        // must not depend on the thread count (nor on where the row blocks fall), and must match the reference.
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(8);
        foreach (var (m, n, k) in new[] { (501, 10, 300), (333, 40, 170), (1000, 3, 400) })
        {
            Assert.True(2L * m * n * k >= KernelPool.MinParallelFlops);
            float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n);
            float[] Run(int threads) => KernelThreads.With(threads, () =>
            {
                var c = new float[m * n];
                Gemm.MultiplyTransposedBAt(a, b, bias, c, m, n, k, new ReLUActivation(), width);
                return c;
            });

            float[] one = Run(1), two = Run(2), five = Run(5);
            Assert.Equal(one, two);
            Assert.Equal(one, five);
            double[] expected = ScalarReference.Activate(Activation.ReLU,
                ScalarReference.DenseForward(ScalarReference.ToDouble(a), ScalarReference.ToDouble(b), ScalarReference.ToDouble(bias), m, k, n), n);
            double[] terms = ScalarReference.DenseForward(Abs(a), Abs(b), Abs(bias), m, k, n);
            TestData.Near(expected, two, i => Bound(k, terms[i]), $"relu a·bᵀ {m}×{n}×{k} on 2 threads {width}");
        }
    }

    [Fact]
    public void MaxThreadsRejectsLessThanOne()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelOptions.MaxThreads = 0);
    }

    [Theory, MemberData(nameof(Widths))]
    public void SumRowsMatchesReference(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(3);
        foreach (int m in Sizes)
            foreach (int n in TestData.Lengths())
            {
                float[] a = TestData.Uniform(random, m * n);
                float[] sums = Guarded(n, out int used);
                Gemm.SumRowsAt(a, sums.AsSpan(0, used), m, n, width);
                double[] expected = ScalarReference.SumRows(ScalarReference.ToDouble(a), m, n);
                double[] absolute = ScalarReference.SumRows(Abs(a), m, n);
                TestData.Near(expected, sums.AsSpan(0, used), j => (m + 1) * UnitRoundoff * absolute[j], $"SumRows m={m} n={n}");
                AssertSentinels(sums, used);
            }
    }

    [Theory, MemberData(nameof(Widths))]
    public void SumRowsAddsEachColumnDownTheRowsInOrder(string widthName)
    {
        // Every width (and the four-vector blocks of columns) gives the bits of the plain float sum r = 0, 1, ...: the
        // bias gradients do not depend on the width's blocking.
        SimdWidth width = TestData.Width(widthName);
        const int m = 64, n = 512 + 64 + 17;
        float[] a = TestData.Uniform(new Random(5), m * n);
        float[] sums = new float[n];
        Gemm.SumRowsAt(a, sums, m, n, width);
        for (int j = 0; j < n; j++)
        {
            float expected = 0f;
            for (int r = 0; r < m; r++) expected += a[r * n + j];
            Assert.Equal(expected, sums[j]);
        }
    }

    [Theory, MemberData(nameof(Widths))]
    public void FusedActivationRunsOnEveryRowBlock(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(4);
        const int k = 20;
        foreach (int m in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 13 })
            foreach (int n in new[] { 1, 3, 10, 17 })
            {
                float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n);
                double[] z = ScalarReference.DenseForward(ScalarReference.ToDouble(a), ScalarReference.ToDouble(b), ScalarReference.ToDouble(bias), m, k, n);
                foreach (Activation kind in new[] { Activation.ReLU, Activation.LeakyReLU, Activation.Sigmoid, Activation.Tanh, Activation.Softmax, Activation.Step })
                {
                    var c = new float[m * n];
                    RunFused(kind, a, b, bias, c, m, n, k, width);
                    double[] expected = ScalarReference.Activate(kind, z, n, leakySlope: 0.01f);
                    // Near z = 0 the step may flip on rounding; nothing else has a jump.
                    TestData.Near(expected, c, i => kind == Activation.Step && Math.Abs(z[i]) < 1e-4 ? 1 : 1e-5, $"{kind} m={m} n={n}");
                }
            }
    }

    [Theory, MemberData(nameof(Widths))]
    public void EmptyDepthGivesBiasOrZero(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        float[] bias = [1f, -2f, 3f];
        float[] c = [float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN];
        Gemm.MultiplyTransposedBAt([], [], bias, c, 2, 3, 0, new IdentityActivation(), width);
        Assert.Equal([1f, -2f, 3f, 1f, -2f, 3f], c);

        Array.Fill(c, float.NaN);
        Gemm.MultiplyAt([], [], c, 2, 3, 0, width);
        Assert.All(c, value => Assert.Equal(0f, value));

        Array.Fill(c, float.NaN);
        Gemm.MultiplyTransposedAAt([], [], c, 2, 3, 0, width);
        Assert.All(c, value => Assert.Equal(0f, value));

        // No rows or no columns: nothing to do, and no activation call with an empty row length.
        Gemm.MultiplyTransposedBAt([], new float[6], [], [], 0, 3, 2, new SoftmaxActivation(), width);
        Gemm.MultiplyTransposedBAt(new float[4], [], [], [], 2, 0, 2, new SoftmaxActivation(), width);
    }

    [Fact]
    public void WrongLengthsAreReportedWithExpectedAndActual()
    {
        float[] a = new float[6], b = new float[12], c = new float[8];
        var error = Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedB(a.AsSpan(0, 5), b, [], c, 2, 4, 3, new IdentityActivation()));
        Assert.Equal("a", error.ParamName);
        Assert.Contains("Expected length 6", error.Message);
        Assert.Contains("got 5", error.Message);

        error = Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedB(a, b, new float[3], c, 2, 4, 3, new IdentityActivation()));
        Assert.Equal("bias", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedB(a, b, [], c.AsSpan(0, 7), 2, 4, 3, new IdentityActivation()));
        Assert.Equal("c", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Gemm.Multiply(a, b.AsSpan(0, 11), c, 2, 4, 3));
        Assert.Equal("b", error.ParamName);
        Assert.Contains("k·n", error.Message);
        error = Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedA(a, b, c.AsSpan(1), 2, 4, 3));
        Assert.Equal("c", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => Gemm.SumRows(c, new float[3], 2, 4));
        Assert.Equal("sums", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply([], [], [], -1, 0, 0));
    }

    private static void CheckAll(Random random, int m, int n, int k, bool withBias, SimdWidth width)
    {
        float[] a = TestData.Uniform(random, m * k);
        float[] b = TestData.Uniform(random, n * k);
        float[] bias = withBias ? TestData.Uniform(random, n) : [];
        double[] ad = ScalarReference.ToDouble(a), bd = ScalarReference.ToDouble(b);
        double[] absA = Abs(a), absB = Abs(b);
        string sizes = $"m={m} n={n} k={k} {width}";

        // c[m,n] = a[m,k] · b[n,k]ᵀ + bias
        float[] c = Guarded(m * n, out int used);
        Gemm.MultiplyTransposedBAt(a, b, bias, c.AsSpan(0, used), m, n, k, new IdentityActivation(), width);
        double[] expected = ScalarReference.DenseForward(ad, bd, withBias ? ScalarReference.ToDouble(bias) : null, m, k, n);
        double[] terms = ScalarReference.DenseForward(absA, absB, withBias ? Abs(bias) : null, m, k, n);
        TestData.Near(expected, c.AsSpan(0, used), i => Bound(k, terms[i]), $"a·bᵀ {sizes}");
        AssertSentinels(c, used);

        // c[m,n] = a[m,k] · b[k,n], reading b (n·k values) as [k,n]
        c = Guarded(m * n, out used);
        Gemm.MultiplyAt(a, b, c.AsSpan(0, used), m, n, k, width);
        expected = ScalarReference.MatMul(ad, bd, m, n, k);
        terms = ScalarReference.MatMul(absA, absB, m, n, k);
        TestData.Near(expected, c.AsSpan(0, used), i => Bound(k, terms[i]), $"a·b {sizes}");
        AssertSentinels(c, used);

        // c[m,n] = a[k,m]ᵀ · b[k,n], reading a (m·k values) as [k,m]
        c = Guarded(m * n, out used);
        Gemm.MultiplyTransposedAAt(a, b, c.AsSpan(0, used), m, n, k, width);
        expected = ScalarReference.MatMulTransposedA(ad, bd, m, n, k);
        terms = ScalarReference.MatMulTransposedA(absA, absB, m, n, k);
        TestData.Near(expected, c.AsSpan(0, used), i => Bound(k, terms[i]), $"aᵀ·b {sizes}");
        AssertSentinels(c, used);
    }

    private static double Bound(int k, double sumOfAbsoluteTerms) => (2 * k + 4) * UnitRoundoff * sumOfAbsoluteTerms + 1e-30;

    /// <summary>An output buffer of <paramref name="used"/> NaNs (so unwritten elements fail) followed by sentinels (so writes past the end fail).</summary>
    private static float[] Guarded(int length, out int used)
    {
        used = length;
        var buffer = new float[length + 17];
        buffer.AsSpan(0, length).Fill(float.NaN);
        buffer.AsSpan(length).Fill(Sentinel);
        return buffer;
    }

    private static void AssertSentinels(float[] buffer, int used)
    {
        for (int i = used; i < buffer.Length; i++) Assert.Equal(Sentinel, buffer[i]);
    }

    private static double[] Abs(float[] values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = Math.Abs(values[i]);
        return result;
    }

    private static void RunFused(Activation kind, float[] a, float[] b, float[] bias, float[] c, int m, int n, int k, SimdWidth width)
    {
        switch (kind)
        {
            case Activation.ReLU: Gemm.MultiplyTransposedBAt(a, b, bias, c, m, n, k, new ReLUActivation(), width); break;
            case Activation.LeakyReLU: Gemm.MultiplyTransposedBAt(a, b, bias, c, m, n, k, new LeakyReLUActivation(0.01f), width); break;
            case Activation.Sigmoid: Gemm.MultiplyTransposedBAt(a, b, bias, c, m, n, k, new SigmoidActivation(), width); break;
            case Activation.Tanh: Gemm.MultiplyTransposedBAt(a, b, bias, c, m, n, k, new TanhActivation(), width); break;
            case Activation.Softmax: Gemm.MultiplyTransposedBAt(a, b, bias, c, m, n, k, new SoftmaxActivation(), width); break;
            case Activation.Step: Gemm.MultiplyTransposedBAt(a, b, bias, c, m, n, k, new StepActivation(), width); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }
}
