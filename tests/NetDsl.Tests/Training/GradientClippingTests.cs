using System;
using System.Linq;
using NetDsl.Kernels;
using NetDsl.Tests.Kernels;
using Xunit;

namespace NetDsl.Tests.Training;

/// <summary>Clipping by global norm and by value against float64 references of PyTorch's rules, at every width and remainder.</summary>
public class GradientClippingTests
{
    /// <summary>PyTorch's clip_grad_norm_: norm = √Σg²; scale = maxNorm / (norm + 1e-6), applied when below 1.</summary>
    private static (double Norm, double[] Clipped) ClipByNormReference(float[] g, double maxNorm)
    {
        double sum = 0;
        foreach (float x in g) sum += (double)x * x;
        double norm = Math.Sqrt(sum);
        double scale = Math.Min(maxNorm / (norm + 1e-6), 1.0);
        return (norm, g.Select(x => x * scale).ToArray());
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void Global_norm_matches_a_float64_sum_at_every_length(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        foreach (int length in TestData.Lengths().Append(100_003))
        {
            float[] g = TestData.Uniform(new Random(length), length, scale: 3f);
            double expected = ClipByNormReference(g, 1).Norm;
            Assert.Equal(expected, GradientClipping.GlobalNormAt(g, width), expected * 1e-6);
        }
        Assert.Equal(0f, GradientClipping.GlobalNormAt([], width));
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void Clip_by_global_norm_scales_large_gradients_and_returns_the_norm_before(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        foreach (int length in TestData.Lengths())
        {
            float[] g = TestData.Uniform(new Random(length), length, scale: 2f);
            (double norm, double[] clipped) = ClipByNormReference(g, maxNorm: 0.5);
            float returned = GradientClipping.ClipByGlobalNormAt(g, 0.5f, width);
            Assert.Equal(norm, returned, norm * 1e-6);
            TestData.Near(clipped, g, absolute: 1e-7, relative: 2e-6, $"clipped length={length} {width}");
            Assert.Equal(Math.Min(norm, 0.5), ClipByNormReference(g, 1).Norm, 1e-5);
        }
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void Clip_by_global_norm_leaves_small_gradients_bit_for_bit(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        float[] g = TestData.Uniform(new Random(5), 77, scale: 0.01f);
        float[] before = (float[])g.Clone();
        float norm = GradientClipping.ClipByGlobalNormAt(g, 10f, width);
        Assert.True(norm < 10f);
        Assert.Equal(before, g);
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void Clip_by_global_norm_reports_a_non_finite_norm_and_leaves_the_gradients_for_the_check(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] g = TestData.Uniform(new Random(6), 40);
            g[33] = bad;
            float[] before = (float[])g.Clone();
            float norm = GradientClipping.ClipByGlobalNormAt(g, 1f, width);
            Assert.False(float.IsFinite(norm));
            Assert.Equal(before, g);
        }
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void Clip_by_global_norm_survives_squares_that_overflow_float(string widthName)
    {
        // Each 3e20² = 9e40 overflows float, yet the gradients are finite and their norm 3e20·√100 = 3e21 is too.
        SimdWidth width = TestData.Width(widthName);
        float[] g = Enumerable.Repeat(3e20f, 100).ToArray();
        float norm = GradientClipping.ClipByGlobalNormAt(g, 1f, width);
        Assert.Equal(3e21f, norm, 3e21f * 1e-6f);
        Assert.All(g, x => Assert.Equal(0.1f, x, 1e-6f));
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void Clip_by_value_clamps_every_element_and_keeps_nan(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        foreach (int length in TestData.Lengths())
        {
            float[] g = TestData.Uniform(new Random(length), length, scale: 2f);
            double[] expected = g.Select(x => (double)Math.Clamp(x, -0.7f, 0.7f)).ToArray();
            GradientClipping.ClipByValueAt(g, 0.7f, width);
            TestData.Near(expected, g, absolute: 0, relative: 0, $"clip by value length={length} {width}");
        }
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 1e-30f];
        GradientClipping.ClipByValueAt(special, 1f, width);
        Assert.True(float.IsNaN(special[0]));
        Assert.Equal(new[] { 1f, -1f, -0f, 1e-30f }, special[1..]);
    }

    [Fact]
    public void Public_entry_points_validate_and_allocate_nothing()
    {
        using var kernelThreads = KernelThreads.Hold();
        float[] g = TestData.Uniform(new Random(7), 100);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(g, 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(g, float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByValue(g, -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByValue(g, float.PositiveInfinity));

        GradientClipping.ClipByGlobalNorm(g, 1f);
        GradientClipping.ClipByValue(g, 0.05f);
        GradientClipping.GlobalNorm(g);
        long before = GC.GetAllocatedBytesForCurrentThread();
        float norm = GradientClipping.ClipByGlobalNorm(g, 0.1f);
        GradientClipping.ClipByValue(g, 0.01f);
        norm += GradientClipping.GlobalNorm(g);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(norm > 0);
    }
}
