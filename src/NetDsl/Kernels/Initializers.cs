using System;

namespace NetDsl.Kernels;

/// <summary>Weight initialization.</summary>
public static class Initializers
{
    /// <summary>
    /// Fills <paramref name="weights"/> by <paramref name="initializer"/> (which must not be <see cref="Initializer.Default"/>;
    /// the generator resolves the default per activation) for a layer of the given fan-in and fan-out.
    /// </summary>
    public static void Fill(Span<float> weights, Initializer initializer, int fanIn, int fanOut, Random random)
        => throw new NotImplementedException();
}
