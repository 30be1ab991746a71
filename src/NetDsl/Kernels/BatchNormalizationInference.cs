using System;

namespace NetDsl.Kernels;

/// <summary>
/// The backward pass of batch normalization at inference, where it is the fixed affine map
/// <c>y = γ·(x − running_mean)/√(running_var + ε) + β</c> per channel: what a saliency map or an adversarial example
/// differentiates through.
/// </summary>
public static class BatchNormalizationInference
{
    /// <summary>
    /// Over <c>x[B, C, S]</c>: writes (overwrites) <c>dγ = Σ dy·x̂</c>, <c>dβ = Σ dy</c> and, unless empty,
    /// <c>dx = dy·γ/√(running_var + ε)</c>; <paramref name="inputGradient"/> may be <paramref name="outputGradient"/>.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance,
        Span<float> gammaGradient, Span<float> betaGradient, Span<float> inputGradient,
        int channels, int spatial, int batch, float epsilon = 1e-5f)
    {
        int count = batch * channels * spatial;
        if (x.Length != count || outputGradient.Length != count || (!inputGradient.IsEmpty && inputGradient.Length != count))
            throw new ArgumentException($"x, outputGradient and inputGradient (unless empty) must hold batch·channels·spatial = {count} values.");
        if (gamma.Length != channels || runningMean.Length != channels || runningVariance.Length != channels || gammaGradient.Length != channels || betaGradient.Length != channels)
            throw new ArgumentException($"gamma, the running statistics and the parameter gradients must hold {channels} values, one per channel.");

        for (int c = 0; c < channels; c++)
        {
            float inverseStd = 1f / MathF.Sqrt(runningVariance[c] + epsilon), mean = runningMean[c], scale = gamma[c] * inverseStd;
            double sumDy = 0, sumDyXHat = 0;
            for (int b = 0; b < batch; b++)
            {
                int start = (b * channels + c) * spatial;
                for (int s = start; s < start + spatial; s++)
                {
                    float dy = outputGradient[s];
                    sumDy += dy;
                    sumDyXHat += dy * (x[s] - mean) * inverseStd;
                    if (!inputGradient.IsEmpty)
                        inputGradient[s] = dy * scale;
                }
            }
            gammaGradient[c] = (float)sumDyXHat;
            betaGradient[c] = (float)sumDy;
        }
    }
}
