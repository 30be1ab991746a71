using System;
using System.Collections.Generic;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>Inputs and comparisons shared by the kernel and optimizer tests.</summary>
internal static class TestData
{
    /// <summary>
    /// Every SIMD width by name (test methods are public, <see cref="SimdWidth"/> is internal), so each code path runs
    /// whatever the machine accelerates. Turn a name back into the width with <see cref="Width"/>.
    /// </summary>
    public static TheoryData<string> Widths => new() { nameof(SimdWidth.Scalar), nameof(SimdWidth.Vector128), nameof(SimdWidth.Vector256), nameof(SimdWidth.Vector512) };

    /// <summary>The width named by one of <see cref="Widths"/>.</summary>
    public static SimdWidth Width(string name) => Enum.Parse<SimdWidth>(name);

    /// <summary>Lengths that hit every remainder of every vector width, and a few large ones.</summary>
    public static IEnumerable<int> Lengths()
    {
        for (int n = 1; n <= 40; n++) yield return n;
        yield return 63;
        yield return 64;
        yield return 65;
        yield return 127;
        yield return 129;
        yield return 784;
    }

    /// <summary>Uniform floats in <c>[-scale, scale)</c>.</summary>
    public static float[] Uniform(Random random, int length, float scale = 1f)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)((2 * random.NextDouble() - 1) * scale);
        return values;
    }

    /// <summary>Asserts <c>|actual - expected| ≤ tolerance</c> per element, naming the first element that fails.</summary>
    public static void Near(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, Func<int, double> tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            if (!(error <= tolerance(i)))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} (error {error:E3} > tolerance {tolerance(i):E3}).");
            }
        }
    }

    /// <summary>Asserts <c>|actual - expected| ≤ absolute + relative·|expected|</c> per element.</summary>
    public static void Near(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double absolute, double relative, string what)
    {
        double[] e = expected.ToArray();
        Near(expected, actual, i => absolute + relative * Math.Abs(e[i]), what);
    }

    /// <summary>Asserts two double vectors agree to <c>absolute + relative·|expected|</c>.</summary>
    public static void Near(double[] expected, double[] actual, double absolute, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            double tolerance = absolute + relative * Math.Abs(expected[i]);
            if (!(error <= tolerance))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} (error {error:E3} > tolerance {tolerance:E3}).");
            }
        }
    }
}
