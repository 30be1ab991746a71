using System;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>Each initializer's range and moments, its determinism for a seed, and its argument checks.</summary>
public class InitializerTests
{
    private const int Count = 40_001; // odd, so Box–Muller's unpaired last value is exercised

    [Theory]
    [InlineData(Initializer.XavierUniform, 300, 100)]
    [InlineData(Initializer.HeUniform, 300, 100)]
    [InlineData(Initializer.LeCunUniform, 300, 100)]
    public void UniformInitializersStayInBoundsWithTheRightVariance(Initializer initializer, int fanIn, int fanOut)
    {
        double bound = initializer switch
        {
            Initializer.XavierUniform => Math.Sqrt(6.0 / (fanIn + fanOut)),
            Initializer.HeUniform => Math.Sqrt(6.0 / fanIn),
            _ => 1 / Math.Sqrt(fanIn),
        };
        float[] w = new float[Count];
        Initializers.Fill(w, initializer, fanIn, fanOut, new Random(50));
        double max = 0;
        foreach (float value in w) max = Math.Max(max, Math.Abs(value));
        Assert.True(max <= bound && max > 0.99 * bound, $"max |w| = {max}, bound {bound}");
        var (mean, variance) = Moments(w);
        Assert.True(Math.Abs(mean) < 0.02 * bound, $"mean {mean}");
        Assert.True(Math.Abs(variance / (bound * bound / 3) - 1) < 0.03, $"variance {variance} vs {bound * bound / 3}");
    }

    [Theory]
    [InlineData(Initializer.XavierNormal, 300, 100)]
    [InlineData(Initializer.HeNormal, 300, 100)]
    public void NormalInitializersHaveTheRightMoments(Initializer initializer, int fanIn, int fanOut)
    {
        double expectedVariance = initializer == Initializer.XavierNormal ? 2.0 / (fanIn + fanOut) : 2.0 / fanIn;
        float[] w = new float[Count];
        Initializers.Fill(w, initializer, fanIn, fanOut, new Random(51));
        var (mean, variance) = Moments(w);
        Assert.True(Math.Abs(mean) < 0.02 * Math.Sqrt(expectedVariance), $"mean {mean}");
        Assert.True(Math.Abs(variance / expectedVariance - 1) < 0.03, $"variance {variance} vs {expectedVariance}");
        Assert.NotEqual(0f, w[Count - 1]);
        // Box–Muller: about 0.27% of a normal lies beyond 3σ, none of a uniform.
        int tails = 0;
        foreach (float value in w) if (Math.Abs(value) > 3 * Math.Sqrt(expectedVariance)) tails++;
        Assert.InRange(tails, 40, 180);
    }

    [Theory]
    [InlineData(Initializer.XavierUniform)]
    [InlineData(Initializer.XavierNormal)]
    [InlineData(Initializer.HeUniform)]
    [InlineData(Initializer.HeNormal)]
    [InlineData(Initializer.LeCunUniform)]
    public void TheSameSeedGivesTheSameWeights(Initializer initializer)
    {
        float[] first = new float[101], second = new float[101], other = new float[101];
        Initializers.Fill(first, initializer, 10, 20, new Random(7));
        Initializers.Fill(second, initializer, 10, 20, new Random(7));
        Initializers.Fill(other, initializer, 10, 20, new Random(8));
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void ZerosClears()
    {
        float[] w = [1f, 2f, 3f];
        Initializers.Fill(w, Initializer.Zeros, 3, 1, new Random(1));
        Assert.Equal([0f, 0f, 0f], w);
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Initializers.Fill(new float[4], Initializer.Default, 2, 2, new Random(1)));
        Assert.Equal("initializer", error.ParamName);
        Assert.Throws<ArgumentException>(() => Initializers.Fill(new float[4], (Initializer)99, 2, 2, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Fill(new float[4], Initializer.HeUniform, 0, 2, new Random(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Fill(new float[4], Initializer.HeUniform, 2, -1, new Random(1)));
        Assert.Throws<ArgumentNullException>(() => Initializers.Fill(new float[4], Initializer.HeUniform, 2, 2, null!));
    }

    private static (double Mean, double Variance) Moments(float[] values)
    {
        double sum = 0, sumOfSquares = 0;
        foreach (float value in values) sum += value;
        double mean = sum / values.Length;
        foreach (float value in values) sumOfSquares += (value - mean) * (value - mean);
        return (mean, sumOfSquares / values.Length);
    }
}
