using System;

namespace NetDsl.Kernels;

/// <summary>The static shape of a 2-D pooling window over NCHW tensors (PyTorch's <c>MaxPool2d</c>, <c>AvgPool2d</c>).</summary>
public readonly record struct Pool2DGeometry(
    int Channels, int InHeight, int InWidth,
    int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0)
{
    /// <summary><c>OH = (H + padTop + padBottom − KH) / stride + 1</c> (floor, as PyTorch's default <c>ceil_mode=False</c>).</summary>
    public int OutHeight => (InHeight + PadTop + PadBottom - KernelHeight) / StrideHeight + 1;

    /// <summary><c>OW = (W + padLeft + padRight − KW) / stride + 1</c>.</summary>
    public int OutWidth => (InWidth + PadLeft + PadRight - KernelWidth) / StrideWidth + 1;

    /// <summary>Values of one input sample.</summary>
    public int InputSize => Channels * InHeight * InWidth;

    /// <summary>Values of one output sample.</summary>
    public int OutputSize => Channels * OutHeight * OutWidth;
}

/// <summary>Pooling layers' forward and backward passes.</summary>
public static class Pooling
{
    /// <summary>Max over each window; <paramref name="argmax"/> (one per output) keeps the winning input index for the backward pass. Padding never wins.</summary>
    public static void MaxPool2DForward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, in Pool2DGeometry geometry, int batch)
        => throw new NotImplementedException();

    /// <summary><c>dx</c> (overwritten) receives each <c>dy</c> at its window's winning input.</summary>
    public static void MaxPool2DBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, Span<float> inputGradient, in Pool2DGeometry geometry, int batch)
        => throw new NotImplementedException();

    /// <summary>Mean over each window, padding counted as zeros (PyTorch's default <c>count_include_pad=True</c>).</summary>
    public static void AvgPool2DForward(ReadOnlySpan<float> x, Span<float> y, in Pool2DGeometry geometry, int batch)
        => throw new NotImplementedException();

    /// <summary><c>dx</c> (overwritten) receives <c>dy / (KH·KW)</c> over each window.</summary>
    public static void AvgPool2DBackward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, in Pool2DGeometry geometry, int batch)
        => throw new NotImplementedException();

    /// <summary><c>y[B,C] = mean over the S = H·W positions of x[B,C,S]</c>.</summary>
    public static void GlobalAveragePoolForward(ReadOnlySpan<float> x, Span<float> y, int channels, int spatial, int batch)
        => throw new NotImplementedException();

    /// <summary><c>dx[B,C,S] = dy[B,C] / S</c> (overwritten).</summary>
    public static void GlobalAveragePoolBackward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int channels, int spatial, int batch)
        => throw new NotImplementedException();
}
