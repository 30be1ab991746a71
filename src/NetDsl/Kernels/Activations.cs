using System;
using System.Numerics.Tensors;

namespace NetDsl.Kernels;

// Each activation is a struct whose public Forward/Backward dispatch to the widest SIMD width; the internal overloads
// that take a SimdWidth let tests run every width. The element-wise math lives in the operator structs at the end of
// this file, written once for all widths (see Elementwise). Backward works from the output y = f(z), which is what a
// layer keeps after its forward pass.

/// <summary><c>f(z) = z</c>.</summary>
public readonly struct IdentityActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => ForwardAt(values, rowLength, SimdDispatch.Best);

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength)
        => BackwardAt(output, outputGradient, inputGradient, rowLength, SimdDispatch.Best);

    internal void ForwardAt(Span<float> values, int rowLength, SimdWidth width)
    {
        ActivationGuard.Forward(values, rowLength);
        // Nothing to do: the values already are the outputs.
    }

    internal void BackwardAt(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength, SimdWidth width)
    {
        ActivationGuard.Backward(output, outputGradient, inputGradient, rowLength);
        outputGradient.CopyTo(inputGradient); // dz = dy (a no-op copy when they are the same span)
    }
}

/// <summary>
/// <c>f(z) = max(z, 0)</c>; <c>f'(z) = z &gt; 0 ? 1 : 0</c>, computed as <c>y &gt; 0</c>. At <c>z = 0</c> the gradient is 0,
/// as in PyTorch. NaN inputs stay NaN.
/// </summary>
public readonly struct ReLUActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => ForwardAt(values, rowLength, SimdDispatch.Best);

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength)
        => BackwardAt(output, outputGradient, inputGradient, rowLength, SimdDispatch.Best);

    internal void ForwardAt(Span<float> values, int rowLength, SimdWidth width)
    {
        ActivationGuard.Forward(values, rowLength);
        Elementwise.Map(values, new ReLUForward(), width);
    }

    internal void BackwardAt(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength, SimdWidth width)
    {
        ActivationGuard.Backward(output, outputGradient, inputGradient, rowLength);
        Elementwise.Map(output, outputGradient, inputGradient, new ReLUBackward(), width);
    }
}

/// <summary>
/// <c>f(z) = z ≥ 0 ? z : slope · z</c>; <c>f'(z) = z &gt; 0 ? 1 : slope</c>, computed as <c>y &gt; 0</c> (the slope is
/// positive, so <c>y</c> has the sign of <c>z</c>). At <c>z = 0</c> the gradient is the slope, as in PyTorch.
/// </summary>
/// <param name="negativeSlope">The slope for negative inputs (must be positive, so the sign of the output tells the branch).</param>
public readonly struct LeakyReLUActivation(float negativeSlope) : IActivation
{
    /// <summary>The slope for negative inputs.</summary>
    public float NegativeSlope { get; } = float.IsFinite(negativeSlope) && negativeSlope > 0f
        ? negativeSlope
        : throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope, "The negative slope must be positive and finite.");

    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => ForwardAt(values, rowLength, SimdDispatch.Best);

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength)
        => BackwardAt(output, outputGradient, inputGradient, rowLength, SimdDispatch.Best);

    internal void ForwardAt(Span<float> values, int rowLength, SimdWidth width)
    {
        ActivationGuard.Forward(values, rowLength);
        Elementwise.Map(values, new LeakyReLUForward(NegativeSlope), width);
    }

    internal void BackwardAt(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength, SimdWidth width)
    {
        ActivationGuard.Backward(output, outputGradient, inputGradient, rowLength);
        Elementwise.Map(output, outputGradient, inputGradient, new LeakyReLUBackward(NegativeSlope), width);
    }
}

/// <summary><c>σ(z) = 1 / (1 + e^-z)</c>; <c>σ'(z) = y (1 - y)</c>.</summary>
public readonly struct SigmoidActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => ForwardAt(values, rowLength, SimdDispatch.Best);

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength)
        => BackwardAt(output, outputGradient, inputGradient, rowLength, SimdDispatch.Best);

    internal void ForwardAt(Span<float> values, int rowLength, SimdWidth width)
    {
        ActivationGuard.Forward(values, rowLength);
        _ = width; // TensorPrimitives picks its own width.
        TensorPrimitives.Sigmoid(values, values);
    }

    internal void BackwardAt(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength, SimdWidth width)
    {
        ActivationGuard.Backward(output, outputGradient, inputGradient, rowLength);
        Elementwise.Map(output, outputGradient, inputGradient, new SigmoidBackward(), width);
    }
}

/// <summary><c>tanh(z)</c>; <c>tanh'(z) = 1 - y²</c>.</summary>
public readonly struct TanhActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => ForwardAt(values, rowLength, SimdDispatch.Best);

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength)
        => BackwardAt(output, outputGradient, inputGradient, rowLength, SimdDispatch.Best);

    internal void ForwardAt(Span<float> values, int rowLength, SimdWidth width)
    {
        ActivationGuard.Forward(values, rowLength);
        _ = width; // TensorPrimitives picks its own width.
        TensorPrimitives.Tanh(values, values);
    }

    internal void BackwardAt(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength, SimdWidth width)
    {
        ActivationGuard.Backward(output, outputGradient, inputGradient, rowLength);
        Elementwise.Map(output, outputGradient, inputGradient, new TanhBackward(), width);
    }
}

/// <summary>Row-wise softmax <c>y_i = e^(z_i - max z) / Σ_j e^(z_j - max z)</c>; backward <c>dz = y ⊙ (dy - Σ_j dy_j y_j)</c>.</summary>
public readonly struct SoftmaxActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => ForwardAt(values, rowLength, SimdDispatch.Best);

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength)
        => BackwardAt(output, outputGradient, inputGradient, rowLength, SimdDispatch.Best);

    internal void ForwardAt(Span<float> values, int rowLength, SimdWidth width)
    {
        ActivationGuard.Forward(values, rowLength);
        _ = width; // TensorPrimitives picks its own width.
        for (int start = 0; start < values.Length; start += rowLength)
        {
            Span<float> row = values.Slice(start, rowLength);
            // Subtracting the row's maximum keeps e^z from overflowing; it cancels in the ratio.
            TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), row);
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row);
        }
    }

    internal void BackwardAt(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength, SimdWidth width)
    {
        ActivationGuard.Backward(output, outputGradient, inputGradient, rowLength);
        for (int start = 0; start < output.Length; start += rowLength)
        {
            ReadOnlySpan<float> y = output.Slice(start, rowLength);
            ReadOnlySpan<float> dy = outputGradient.Slice(start, rowLength);
            // The Jacobian is diag(y) - y yᵀ, so dz = y ⊙ dy - y (yᵀ dy) = y ⊙ (dy - Σ_j dy_j y_j).
            float weighted = TensorPrimitives.Dot(y, dy);
            Elementwise.Map(y, dy, inputGradient.Slice(start, rowLength), new SoftmaxBackward(weighted), width);
        }
    }
}

/// <summary>
/// Heaviside step <c>f(z) = z ≥ 0 ? 1 : 0</c> of the perceptron. Its derivative is zero almost everywhere, so its
/// backward passes the gradient straight through: with <see cref="LossFunctions.Perceptron(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int)"/> that gives the
/// perceptron learning rule.
/// </summary>
public readonly struct StepActivation : IActivation
{
    /// <inheritdoc/>
    public void Forward(Span<float> values, int rowLength) => ForwardAt(values, rowLength, SimdDispatch.Best);

    /// <inheritdoc/>
    public void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength)
        => BackwardAt(output, outputGradient, inputGradient, rowLength, SimdDispatch.Best);

    internal void ForwardAt(Span<float> values, int rowLength, SimdWidth width)
    {
        ActivationGuard.Forward(values, rowLength);
        Elementwise.Map(values, new StepForward(), width);
    }

    internal void BackwardAt(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength, SimdWidth width)
    {
        ActivationGuard.Backward(output, outputGradient, inputGradient, rowLength);
        outputGradient.CopyTo(inputGradient); // straight-through: dz = dy
    }
}

/// <summary>The argument checks every activation makes.</summary>
internal static class ActivationGuard
{
    public static void Forward(Span<float> values, int rowLength)
        => Guard.Rows(values.Length, rowLength, nameof(values), nameof(rowLength));

    public static void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength)
    {
        Guard.SameLength(outputGradient.Length, output.Length, nameof(outputGradient), nameof(output));
        Guard.SameLength(inputGradient.Length, output.Length, nameof(inputGradient), nameof(output));
        Guard.Rows(output.Length, rowLength, nameof(output), nameof(rowLength));
    }
}

/// <summary><c>z &lt; 0 ? 0 : z</c> (NaN stays NaN).</summary>
internal readonly struct ReLUForward : IUnaryOperator
{
    public TVec Invoke<TSimd, TVec>(TVec z) where TSimd : struct, ISimd<TVec> where TVec : struct
        => TSimd.IfGreaterThan(TSimd.Zero, z, TSimd.Zero, z);
}

/// <summary><c>y &gt; 0 ? dy : 0</c>.</summary>
internal readonly struct ReLUBackward : IBinaryOperator
{
    public TVec Invoke<TSimd, TVec>(TVec y, TVec dy) where TSimd : struct, ISimd<TVec> where TVec : struct
        => TSimd.IfGreaterThan(y, TSimd.Zero, dy, TSimd.Zero);
}

/// <summary><c>z &gt; 0 ? z : slope · z</c>.</summary>
internal readonly struct LeakyReLUForward(float slope) : IUnaryOperator
{
    public TVec Invoke<TSimd, TVec>(TVec z) where TSimd : struct, ISimd<TVec> where TVec : struct
        => TSimd.IfGreaterThan(z, TSimd.Zero, z, TSimd.Multiply(z, TSimd.Broadcast(slope)));
}

/// <summary><c>y &gt; 0 ? dy : slope · dy</c>.</summary>
internal readonly struct LeakyReLUBackward(float slope) : IBinaryOperator
{
    public TVec Invoke<TSimd, TVec>(TVec y, TVec dy) where TSimd : struct, ISimd<TVec> where TVec : struct
        => TSimd.IfGreaterThan(y, TSimd.Zero, dy, TSimd.Multiply(dy, TSimd.Broadcast(slope)));
}

/// <summary><c>dy · y (1 - y)</c>.</summary>
internal readonly struct SigmoidBackward : IBinaryOperator
{
    public TVec Invoke<TSimd, TVec>(TVec y, TVec dy) where TSimd : struct, ISimd<TVec> where TVec : struct
        => TSimd.Multiply(dy, TSimd.Multiply(y, TSimd.Subtract(TSimd.Broadcast(1f), y)));
}

/// <summary><c>dy · (1 - y²)</c>.</summary>
internal readonly struct TanhBackward : IBinaryOperator
{
    public TVec Invoke<TSimd, TVec>(TVec y, TVec dy) where TSimd : struct, ISimd<TVec> where TVec : struct
        => TSimd.Multiply(dy, TSimd.Subtract(TSimd.Broadcast(1f), TSimd.Multiply(y, y)));
}

/// <summary><c>y · (dy - Σ_j dy_j y_j)</c>, with the sum computed per row beforehand.</summary>
internal readonly struct SoftmaxBackward(float weightedSum) : IBinaryOperator
{
    public TVec Invoke<TSimd, TVec>(TVec y, TVec dy) where TSimd : struct, ISimd<TVec> where TVec : struct
        => TSimd.Multiply(y, TSimd.Subtract(dy, TSimd.Broadcast(weightedSum)));
}

/// <summary><c>z ≥ 0 ? 1 : 0</c>.</summary>
internal readonly struct StepForward : IUnaryOperator
{
    public TVec Invoke<TSimd, TVec>(TVec z) where TSimd : struct, ISimd<TVec> where TVec : struct
        => TSimd.IfGreaterThanOrEqual(z, TSimd.Zero, TSimd.Broadcast(1f), TSimd.Zero);
}
