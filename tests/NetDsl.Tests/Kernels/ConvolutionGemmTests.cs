using System;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// <see cref="Gemm.MultiplyStridedAt"/>, the packed product convolutions call: every combination of transposed
/// operands, bias per column, per row, both or none, fused ReLU, at every width, against float64 loops with the bound
/// of <see cref="GemmTests"/>.
/// </summary>
public class ConvolutionGemmTests
{
    private const double UnitRoundoff = 1.0 / (1 << 24);
    private static readonly SimdWidth[] AllWidths = [SimdWidth.Scalar, SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512];

    [Fact]
    public void StridedProductsMatchReference()
    {
        var random = new Random(40);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (2, 5, 3), (6, 32, 7), (7, 33, 25), (16, 50, 9), (13, 65, 40), (40, 16, 17), (5, 3, 64) })
            foreach (bool transposeA in new[] { false, true })
                foreach (bool transposeB in new[] { false, true })
                {
                    float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, k * n);
                    float[] columnBias = TestData.Uniform(random, n), rowBias = TestData.Uniform(random, m);
                    // A(i,p) is a[i·k + p], or a[p·m + i] transposed; B(p,j) is b[p·n + j], or b[j·k + p] transposed.
                    nint aRow = transposeA ? 1 : k, aDepth = transposeA ? m : 1;
                    nint bDepth = transposeB ? 1 : n, bColumn = transposeB ? k : 1;
                    for (int biases = 0; biases < 4; biases++)
                    {
                        bool useColumn = (biases & 1) != 0, useRow = (biases & 2) != 0;
                        var expected = new double[m * n];
                        var terms = new double[m * n];
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < n; j++)
                            {
                                double sum = (useColumn ? columnBias[j] : 0) + (useRow ? rowBias[i] : 0);
                                double abs = (useColumn ? Math.Abs(columnBias[j]) : 0) + (useRow ? Math.Abs(rowBias[i]) : 0);
                                for (int p = 0; p < k; p++)
                                {
                                    double product = (double)a[i * aRow + p * aDepth] * b[p * bDepth + j * bColumn];
                                    sum += product;
                                    abs += Math.Abs(product);
                                }
                                expected[i * n + j] = sum;
                                terms[i * n + j] = abs;
                            }
                        foreach (SimdWidth width in AllWidths)
                        {
                            string what = $"m={m} n={n} k={k} transposed A={transposeA} B={transposeB} column bias={useColumn} row bias={useRow} {width}";
                            float[] c = new float[m * n];
                            Array.Fill(c, float.NaN);
                            Gemm.MultiplyStridedAt(a, aRow, aDepth, b, bDepth, bColumn, useColumn ? columnBias : [], useRow ? rowBias : [], c, m, n, k, new IdentityActivation(), width);
                            TestData.Near(expected, c, i => (2 * k + 6) * UnitRoundoff * terms[i] + 1e-30, what);
                            Gemm.MultiplyStridedAt(a, aRow, aDepth, b, bDepth, bColumn, useColumn ? columnBias : [], useRow ? rowBias : [], c, m, n, k, new ReLUActivation(), width);
                            TestData.Near(Array.ConvertAll(expected, v => Math.Max(v, 0)), c, i => (2 * k + 6) * UnitRoundoff * terms[i] + 1e-30, $"relu {what}");
                        }
                    }
                }
    }

    [Fact]
    public void DotProductsMatchReference()
    {
        // ConvolutionDots: tiles of 4 × 3 with clamped edges and scalar tails past the last whole vector.
        var random = new Random(41);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (4, 3, 16), (5, 4, 17), (16, 25, 2352), (7, 2, 33), (3, 7, 100) })
        {
            float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, n * k);
            var expected = new double[m * n];
            var terms = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int p = 0; p < k; p++)
                    {
                        expected[i * n + j] += (double)a[i * k + p] * b[j * k + p];
                        terms[i * n + j] += Math.Abs((double)a[i * k + p] * b[j * k + p]);
                    }
            foreach (SimdWidth width in AllWidths)
            {
                float[] c = new float[m * n + 5];
                Array.Fill(c, float.NaN);
                c.AsSpan(m * n).Fill(7f);
                ConvolutionDots.MultiplyTransposedB(a, b, c.AsSpan(0, m * n), m, n, k, width);
                TestData.Near(expected, c.AsSpan(0, m * n), i => (2 * k + 4) * UnitRoundoff * terms[i] + 1e-30, $"dots m={m} n={n} k={k} {width}");
                Assert.All(c.AsSpan(m * n).ToArray(), v => Assert.Equal(7f, v));
            }
        }
    }
}
