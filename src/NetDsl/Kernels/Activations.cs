using System;

namespace NetDsl.Kernels;

/// <summary><c>f(z) = z</c>.</summary>
public readonly struct IdentityActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => throw new NotImplementedException();
    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength) => throw new NotImplementedException();
}

/// <summary><c>f(z) = max(z, 0)</c>; <c>f'(z) = z &gt; 0 ? 1 : 0</c>.</summary>
public readonly struct ReLUActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => throw new NotImplementedException();
    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength) => throw new NotImplementedException();
}

/// <summary><c>f(z) = z ≥ 0 ? z : slope · z</c>.</summary>
/// <param name="negativeSlope">The slope for negative inputs (must be positive, so the sign of the output tells the branch).</param>
public readonly struct LeakyReLUActivation(float negativeSlope) : IActivation
{
    /// <summary>The slope for negative inputs.</summary>
    public float NegativeSlope { get; } = negativeSlope;
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => throw new NotImplementedException();
    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength) => throw new NotImplementedException();
}

/// <summary><c>σ(z) = 1 / (1 + e^-z)</c>; <c>σ'(z) = y (1 - y)</c>.</summary>
public readonly struct SigmoidActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => throw new NotImplementedException();
    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength) => throw new NotImplementedException();
}

/// <summary><c>tanh(z)</c>; <c>tanh'(z) = 1 - y²</c>.</summary>
public readonly struct TanhActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => throw new NotImplementedException();
    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength) => throw new NotImplementedException();
}

/// <summary>Row-wise softmax <c>y_i = e^(z_i - max z) / Σ_j e^(z_j - max z)</c>; backward <c>dz = y ⊙ (dy - Σ_j dy_j y_j)</c>.</summary>
public readonly struct SoftmaxActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => throw new NotImplementedException();
    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength) => throw new NotImplementedException();
}

/// <summary>
/// Heaviside step <c>f(z) = z ≥ 0 ? 1 : 0</c> of the perceptron. Its derivative is zero almost everywhere, so its
/// backward passes the gradient straight through: with <see cref="LossFunctions.Perceptron"/> that gives the
/// perceptron learning rule.
/// </summary>
public readonly struct StepActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => throw new NotImplementedException();
    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength) => throw new NotImplementedException();
}
