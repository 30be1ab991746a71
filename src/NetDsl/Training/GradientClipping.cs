using System;
using NetDsl.Kernels;

namespace NetDsl;

/// <summary>
/// Gradient clipping against exploding gradients, as PyTorch's <c>torch.nn.utils.clip_grad_norm_</c> and
/// <c>clip_grad_value_</c>. Call it between the backward pass and the optimizer step, on the network's whole
/// <c>Gradients</c> buffer (the norm is global over every layer). Allocates nothing.
/// </summary>
public static class GradientClipping
{
    /// <summary>The term PyTorch adds to the norm before dividing, <c>1e-6</c>.</summary>
    private const double NormEpsilon = 1e-6;

    /// <summary>The L2 norm <c>√Σ gᵢ²</c> of <paramref name="gradients"/>: a cheap health signal (a vanishing or exploding norm) to log each step.</summary>
    /// <returns>The norm; NaN or infinite when an element is.</returns>
    public static float GlobalNorm(ReadOnlySpan<float> gradients) => GlobalNormAt(gradients, SimdDispatch.Best);

    /// <summary>
    /// Scales <paramref name="gradients"/> so their global L2 norm is at most <paramref name="maxNorm"/>: with
    /// <c>norm = √Σ gᵢ²</c> and <c>scale = maxNorm / (norm + 1e-6)</c>, multiplies every element by <c>scale</c> when it
    /// is below 1, keeping the gradient's direction.
    /// </summary>
    /// <param name="gradients">The gradients, clipped in place.</param>
    /// <param name="maxNorm">The largest norm allowed; positive and finite.</param>
    /// <returns>
    /// The norm before clipping. When it is NaN or infinite (an element is NaN or infinite) the gradients are left as
    /// they are, so <see cref="NonFiniteCheck.ThrowIfGradientsNotFinite"/>
    /// can name the culprit; PyTorch would fill them with NaN instead.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive and finite.</exception>
    public static float ClipByGlobalNorm(Span<float> gradients, float maxNorm) => ClipByGlobalNormAt(gradients, maxNorm, SimdDispatch.Best);

    /// <summary>Clamps every element of <paramref name="gradients"/> to <c>[-limit, limit]</c>; NaN stays NaN.</summary>
    /// <param name="gradients">The gradients, clipped in place.</param>
    /// <param name="limit">The largest magnitude allowed (PyTorch's <c>clip_value</c>); positive and finite.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not positive and finite.</exception>
    public static void ClipByValue(Span<float> gradients, float limit) => ClipByValueAt(gradients, limit, SimdDispatch.Best);

    internal static float GlobalNormAt(ReadOnlySpan<float> gradients, SimdWidth width) => (float)Norm(gradients, width);

    private static double Norm(ReadOnlySpan<float> gradients, SimdWidth width)
    {
        double sumOfSquares = GradientKernels.SumOfSquares(gradients, width);
        if (double.IsPositiveInfinity(sumOfSquares) && GradientKernels.AllFinite(gradients, width))
        {
            // A float partial sum overflowed although every element is finite: redo it in double, which cannot.
            sumOfSquares = 0;
            foreach (float g in gradients)
            {
                sumOfSquares += (double)g * g;
            }
        }
        return Math.Sqrt(sumOfSquares);
    }

    internal static float ClipByGlobalNormAt(Span<float> gradients, float maxNorm, SimdWidth width)
    {
        Positive(maxNorm, nameof(maxNorm));
        double norm = Norm(gradients, width);
        double scale = maxNorm / (norm + NormEpsilon);
        if (double.IsFinite(norm) && scale < 1)
        {
            GradientKernels.Scale(gradients, (float)scale, width);
        }
        return (float)norm;
    }

    internal static void ClipByValueAt(Span<float> gradients, float limit, SimdWidth width)
    {
        Positive(limit, nameof(limit));
        GradientKernels.Clamp(gradients, limit, width);
    }

    private static void Positive(float value, string parameterName)
    {
        if (!(float.IsFinite(value) && value > 0f))
        {
            throw new ArgumentOutOfRangeException(parameterName, value, "Must be positive and finite.");
        }
    }
}
