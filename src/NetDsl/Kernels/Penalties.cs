using System;

namespace NetDsl.Kernels;

/// <summary>Weight penalties (L1, L2 and their sum, the elastic net) added to the loss and its gradient.</summary>
public static class Penalties
{
    /// <summary>
    /// Adds <c>l1·Σ|w| + l2·Σw²</c> to the loss (the return value) and its gradient <c>l1·sign(w) + 2·l2·w</c> to
    /// <paramref name="gradients"/> (Keras' <c>l1</c>, <c>l2</c> and <c>l1_l2</c> regularizers; <c>sign(0) = 0</c>).
    /// </summary>
    public static float AddL1L2(ReadOnlySpan<float> weights, Span<float> gradients, float l1, float l2)
    {
        if (gradients.Length != weights.Length)
            throw new ArgumentException($"gradients has {gradients.Length} values but weights has {weights.Length}.", nameof(gradients));
        double penalty = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            penalty += l1 * Math.Abs((double)w) + l2 * (double)w * w;
            gradients[i] += l1 * MathF.Sign(w) + 2 * l2 * w;
        }
        return (float)penalty;
    }
}
