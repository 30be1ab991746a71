using System;

namespace NetDsl.Kernels;

/// <summary>
/// Single-precision matrix products on row-major spans, the building block of dense (and later convolutional and
/// recurrent) layers. Sizes are passed explicitly; generated code passes them as constants.
/// </summary>
public static class Gemm
{
    /// <summary>
    /// <c>c[m,n] = activation(a[m,k] · b[n,k]ᵀ + bias[n])</c>: a dense layer's forward pass with weights in
    /// PyTorch's <c>[out, in]</c> layout. <paramref name="bias"/> may be empty (no bias). The activation runs on
    /// each finished block of rows while it is still in cache.
    /// </summary>
    public static void MultiplyTransposedB<TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation)
        where TActivation : struct, IActivation
        => throw new NotImplementedException();

    /// <summary><c>c[m,n] = a[m,k] · b[k,n]</c> (overwrites <paramref name="c"/>): a dense layer's input gradient <c>dx = dz · W</c>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
        => throw new NotImplementedException();

    /// <summary><c>c[m,n] = a[k,m]ᵀ · b[k,n]</c> (overwrites <paramref name="c"/>): a dense layer's weight gradient <c>dW = dzᵀ · x</c>.</summary>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
        => throw new NotImplementedException();

    /// <summary><c>sums[j] = Σ_i a[i,j]</c> over the <paramref name="m"/> rows of <paramref name="a"/> (overwrites): a bias gradient.</summary>
    public static void SumRows(ReadOnlySpan<float> a, Span<float> sums, int m, int n)
        => throw new NotImplementedException();
}
