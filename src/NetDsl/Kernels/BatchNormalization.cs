using System;

namespace NetDsl.Kernels;

/// <summary>
/// Batch normalization over <c>x[B, C, S]</c> (S = 1 after a dense layer, H·W after a convolution), as PyTorch's
/// <c>BatchNorm1d</c>/<c>BatchNorm2d</c>: <c>y = γ·(x − μ)/√(σ² + ε) + β</c> per channel.
/// </summary>
public static class BatchNormalization
{
    /// <summary>
    /// Training: normalizes with the batch's mean and biased variance per channel, keeps <c>μ</c> and <c>1/√(σ²+ε)</c> in
    /// <paramref name="savedMean"/> and <paramref name="savedInverseStd"/> for the backward pass, and updates the running
    /// statistics: <c>running = (1 − momentum)·running + momentum·batch</c>, with the unbiased variance (PyTorch).
    /// </summary>
    public static void ForwardTraining(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVariance, Span<float> y, Span<float> savedMean, Span<float> savedInverseStd,
        int channels, int spatial, int batch, float momentum = 0.1f, float epsilon = 1e-5f)
        => throw new NotImplementedException();

    /// <summary>Inference: normalizes with the running statistics.</summary>
    public static void ForwardInference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, Span<float> y,
        int channels, int spatial, int batch, float epsilon = 1e-5f)
        => throw new NotImplementedException();

    /// <summary>
    /// Backward of <see cref="ForwardTraining"/>: writes (overwrites) <c>dγ</c>, <c>dβ</c> and <c>dx</c> (unless empty);
    /// <paramref name="inputGradient"/> may be <paramref name="outputGradient"/>.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> savedMean, ReadOnlySpan<float> savedInverseStd,
        Span<float> gammaGradient, Span<float> betaGradient, Span<float> inputGradient,
        int channels, int spatial, int batch)
        => throw new NotImplementedException();
}
