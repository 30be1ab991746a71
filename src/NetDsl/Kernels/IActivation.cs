using System;

namespace NetDsl.Kernels;

/// <summary>
/// An activation function as a value type, so kernels that take it as a generic argument are specialized for it
/// (the pattern of <c>System.Numerics.Tensors</c>' operators). Generated code passes one of the structs of this
/// namespace, such as <see cref="ReLUActivation"/>, to <see cref="Gemm.MultiplyTransposedB{TActivation}(System.ReadOnlySpan{float}, System.ReadOnlySpan{float}, System.ReadOnlySpan{float}, System.Span{float}, int, int, int, TActivation)"/>.
/// </summary>
public interface IActivation
{
    /// <summary>Applies the activation in place to <paramref name="values"/>, rows of <paramref name="rowLength"/> elements.</summary>
    void Forward(Span<float> values, int rowLength);

    /// <summary>
    /// Computes <c>dL/dz = dL/dy ⊙ f'(z)</c> from the activation's <paramref name="output"/> <c>y = f(z)</c>
    /// and the gradient <paramref name="outputGradient"/> <c>dL/dy</c>, writing it to <paramref name="inputGradient"/>
    /// (which may be the same span as <paramref name="outputGradient"/>).
    /// </summary>
    void Backward(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int rowLength);
}
