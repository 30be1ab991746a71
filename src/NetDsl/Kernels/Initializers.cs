using System;

namespace NetDsl.Kernels;

/// <summary>Weight initialization.</summary>
/// <remarks>
/// Every draw comes from the given <see cref="Random"/> in order, so a seeded generator gives the same weights on every
/// run. Normal draws use the Box–Muller transform, two values per pair of uniform draws.
/// </remarks>
public static class Initializers
{
    /// <summary>
    /// Fills <paramref name="weights"/> by <paramref name="initializer"/> (which must not be <see cref="Initializer.Default"/>;
    /// the generator resolves the default per activation) for a layer of the given fan-in and fan-out.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="initializer"/> is <see cref="Initializer.Default"/> or unknown.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fanIn"/> or <paramref name="fanOut"/> is not positive.</exception>
    public static void Fill(Span<float> weights, Initializer initializer, int fanIn, int fanOut, Random random)
    {
        if (initializer is Initializer.Uniform or Initializer.Normal or Initializer.Constant)
        {
            throw new ArgumentException(
                $"Initializer.{initializer} needs a scale: call the overload of Fill that takes one.", nameof(initializer));
        }
        Fill(weights, initializer, fanIn, fanOut, random, scale: 0);
    }

    /// <summary>
    /// Fills <paramref name="weights"/> by <paramref name="initializer"/> for a layer of the given fan-in and fan-out;
    /// <paramref name="scale"/> is the bound of <see cref="Initializer.Uniform"/>, the standard deviation of
    /// <see cref="Initializer.Normal"/> and the value of <see cref="Initializer.Constant"/>, and is ignored by the others.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="initializer"/> is <see cref="Initializer.Default"/> or unknown.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fanIn"/> or <paramref name="fanOut"/> is not positive, or <paramref name="scale"/> is not finite.</exception>
    public static void Fill(Span<float> weights, Initializer initializer, int fanIn, int fanOut, Random random, float scale)
    {
        if (!float.IsFinite(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be a finite number.");
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanIn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanOut);
        switch (initializer)
        {
            case Initializer.Zeros:
                weights.Clear();
                break;
            case Initializer.XavierUniform:
                FillUniform(weights, Math.Sqrt(6.0 / (fanIn + fanOut)), random);
                break;
            case Initializer.XavierNormal:
                FillNormal(weights, Math.Sqrt(2.0 / (fanIn + fanOut)), random);
                break;
            case Initializer.HeUniform:
                FillUniform(weights, Math.Sqrt(6.0 / fanIn), random);
                break;
            case Initializer.HeNormal:
                FillNormal(weights, Math.Sqrt(2.0 / fanIn), random);
                break;
            case Initializer.LeCunUniform:
                FillUniform(weights, 1.0 / Math.Sqrt(fanIn), random);
                break;
            case Initializer.Uniform:
                FillUniform(weights, scale, random);
                break;
            case Initializer.Normal:
                FillNormal(weights, scale, random);
                break;
            case Initializer.Constant:
                weights.Fill(scale);
                break;
            case Initializer.Default:
                throw new ArgumentException(
                    "Initializer.Default has no distribution of its own: resolve it per activation (He uniform for ReLU and leaky ReLU, zeros for step, Xavier uniform otherwise) before filling.",
                    nameof(initializer));
            default:
                throw new ArgumentException($"Unknown initializer {initializer}.", nameof(initializer));
        }
    }

    /// <summary><c>U(-bound, bound)</c>.</summary>
    private static void FillUniform(Span<float> weights, double bound, Random random)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)((2 * random.NextDouble() - 1) * bound);
        }
    }

    /// <summary><c>N(0, standardDeviation²)</c> by Box–Muller: <c>r = √(-2 ln u1)</c>, angle <c>2π u2</c>, giving <c>r cos</c> and <c>r sin</c>.</summary>
    private static void FillNormal(Span<float> weights, double standardDeviation, Random random)
    {
        for (int i = 0; i < weights.Length; i += 2)
        {
            double u1 = 1 - random.NextDouble(); // in (0, 1], so the logarithm is finite
            double u2 = random.NextDouble();
            double radius = Math.Sqrt(-2 * Math.Log(u1)) * standardDeviation;
            double angle = 2 * Math.PI * u2;
            weights[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < weights.Length)
            {
                weights[i + 1] = (float)(radius * Math.Sin(angle));
            }
        }
    }
}
