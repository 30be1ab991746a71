using System;
using NetDsl.Kernels;
using NetDsl.Tests.Reference;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary><see cref="RecurrentProducts"/>: the few-samples step products at every width and remainder.</summary>
public class RecurrentProductsTests
{
    public static TheoryData<string> Widths => TestData.Widths;

    [Theory, MemberData(nameof(Widths))]
    public void VectorTimesMatrixMatchesReference(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(9);
        foreach (int n in new[] { 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 130, 255, 256, 257, 512 })
            foreach (int k in new[] { 1, 5, 32, 128 })
            {
                float[] a = TestData.Uniform(random, k), b = TestData.Uniform(random, k * n), init = TestData.Uniform(random, n);
                double[] product = ScalarReference.MatMul(Array.ConvertAll(a, v => (double)v), Array.ConvertAll(b, v => (double)v), 1, n, k);
                var c = new float[n];
                RecurrentProducts.VectorTimesMatrix(a, b, [], c, n, k, width);
                TestData.Near(product, c, 1e-5 * k, 1e-6, $"n={n} k={k}");
                RecurrentProducts.VectorTimesMatrix(a, b, init, c, n, k, width);
                for (int j = 0; j < n; j++) product[j] += init[j];
                TestData.Near(product, c, 1e-5 * k, 1e-6, $"n={n} k={k} with init");
            }
    }

    [Theory, MemberData(nameof(Widths))]
    public void MatrixTimesVectorMatchesReference(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(10);
        foreach (int n in new[] { 1, 3, 7, 8, 9, 15, 16, 17, 20, 60, 512 })
            foreach (int k in new[] { 1, 5, 7, 8, 9, 16, 19, 128 })
            {
                float[] w = TestData.Uniform(random, n * k), a = TestData.Uniform(random, k), init = TestData.Uniform(random, n);
                double[] product = ScalarReference.MatMulTransposedB(Array.ConvertAll(a, v => (double)v), Array.ConvertAll(w, v => (double)v), 1, n, k);
                var c = new float[n];
                RecurrentProducts.MatrixTimesVector(w, a, [], c, n, k, width);
                TestData.Near(product, c, 1e-5 * k, 1e-6, $"n={n} k={k}");
                RecurrentProducts.MatrixTimesVector(w, a, init, c, n, k, width);
                for (int j = 0; j < n; j++) product[j] += init[j];
                TestData.Near(product, c, 1e-5 * k, 1e-6, $"n={n} k={k} with init");
            }
    }

    [Fact]
    public void DotRows16MatchesReference()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            return; // AVX-512 only; the callers check it too
        }
        var random = new Random(11);
        foreach (int k in new[] { 16, 32, 128, 144 })
        {
            float[] w = TestData.Uniform(random, 16 * k), a = TestData.Uniform(random, k);
            double[] product = ScalarReference.MatMulTransposedB(Array.ConvertAll(a, v => (double)v), Array.ConvertAll(w, v => (double)v), 1, 16, k);
            var c = new float[16];
            System.Runtime.Intrinsics.Vector512.CopyTo(RecurrentProducts.DotRows16(ref w[0], ref a[0], k), c);
            TestData.Near(product, c, 1e-5 * k, 1e-6, $"k={k}");
        }
    }
}
