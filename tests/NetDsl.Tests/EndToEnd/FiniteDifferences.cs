using System;
using Xunit;

namespace NetDsl.Tests.EndToEnd;

/// <summary>Checks a computed gradient against central finite differences of a float64 reference loss.</summary>
internal static class FiniteDifferences
{
    /// <summary>
    /// For every element of <paramref name="values"/> (a reference's parameters or inputs, changed in place and
    /// restored), <c>(L(v + h) − L(v − h)) / 2h</c> must equal <paramref name="actual"/> within <c>2e-5 + 2e-3·|g|</c>.
    /// </summary>
    public static void AssertGradient(ReadOnlySpan<float> actual, double[] values, Func<double> loss, string what, double h = 1e-6)
    {
        Assert.Equal(values.Length, actual.Length);
        for (int i = 0; i < values.Length; i++)
        {
            double saved = values[i];
            values[i] = saved + h;
            double plus = loss();
            values[i] = saved - h;
            double minus = loss();
            values[i] = saved;
            double expected = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(actual[i] - expected) <= 2e-5 + 2e-3 * Math.Abs(expected), $"{what}[{i}]: expected {expected:R}, got {actual[i]:R}");
        }
    }
}
