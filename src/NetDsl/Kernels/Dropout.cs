using System;
using System.Numerics.Tensors;

namespace NetDsl.Kernels;

/// <summary>
/// Inverted dropout: during training each value is kept with probability <c>1 - rate</c> and scaled by
/// <c>1 / (1 - rate)</c>, or zeroed; at inference the layer is the identity, so nothing needs rescaling.
/// </summary>
public static class Dropout
{
    /// <summary>
    /// <c>y = x ⊙ mask</c> with <c>mask_i = 1/(1 - rate)</c> with probability <c>1 - rate</c>, else 0. The mask is kept
    /// for <see cref="Backward"/>. Draws come from <paramref name="random"/> in order, so a seeded state repeats.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> mask, float rate, ref DropoutRandom random)
    {
        if (y.Length != x.Length || mask.Length != x.Length)
            throw new ArgumentException($"x, y and mask must have the same length; they have {x.Length}, {y.Length} and {mask.Length}.");
        if (!(rate >= 0 && rate < 1))
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be at least 0 and less than 1.");

        // Keep a value when a uniform 24-bit draw u ∈ [0, 2^24) is at least rate·2^24.
        uint threshold = (uint)(rate * (1 << 24));
        float scale = 1 / (1 - rate);
        for (int i = 0; i < mask.Length; i++)
            mask[i] = random.Next24() >= threshold ? scale : 0f;
        TensorPrimitives.Multiply(x, mask, y);
    }

    /// <summary><c>dx = dy ⊙ mask</c>; <paramref name="inputGradient"/> may be <paramref name="outputGradient"/>.</summary>
    public static void Backward(ReadOnlySpan<float> mask, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
        => TensorPrimitives.Multiply(outputGradient, mask, inputGradient);
}

/// <summary>
/// The random state of dropout masks: xoshiro128** seeded by SplitMix64, so masks depend only on the seed, not on the
/// .NET version, and drawing allocates nothing.
/// </summary>
public struct DropoutRandom
{
    private uint _s0, _s1, _s2, _s3;

    /// <summary>Seeds the state.</summary>
    public DropoutRandom(int seed)
    {
        ulong x = (ulong)(uint)seed;
        ulong a = SplitMix64(ref x), b = SplitMix64(ref x);
        _s0 = (uint)a;
        _s1 = (uint)(a >> 32);
        _s2 = (uint)b;
        _s3 = (uint)(b >> 32);
    }

    /// <summary>The next uniform draw in <c>[0, 2^24)</c>.</summary>
    public uint Next24()
    {
        uint result = RotateLeft(_s1 * 5, 7) * 9;
        uint t = _s1 << 9;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 11);
        return result >> 8;
    }

    private static uint RotateLeft(uint x, int k) => (x << k) | (x >> (32 - k));

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
