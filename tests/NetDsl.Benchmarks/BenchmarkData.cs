using System;

namespace NetDsl.Benchmarks;

/// <summary>Deterministic inputs and targets for the benchmarks.</summary>
internal static class BenchmarkData
{
    /// <summary><paramref name="count"/> values uniform in [0, 1), like scaled pixels.</summary>
    public static float[] Uniform(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.NextSingle();
        }

        return values;
    }

    /// <summary><paramref name="rows"/> one-hot rows of <paramref name="classes"/> values with random classes.</summary>
    public static float[] OneHot(int rows, int classes, int seed)
    {
        var random = new Random(seed);
        var targets = new float[rows * classes];
        for (int row = 0; row < rows; row++)
        {
            targets[(row * classes) + random.Next(classes)] = 1f;
        }

        return targets;
    }
}
