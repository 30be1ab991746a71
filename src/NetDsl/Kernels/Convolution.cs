using System;

namespace NetDsl.Kernels;

/// <summary>
/// The static shape of a 2-D convolution over NCHW tensors (PyTorch's <c>nn.Conv2d</c>): input <c>[C, H, W]</c> per sample,
/// weight <c>[O, C, KH, KW]</c>, output <c>[O, OH, OW]</c>. A 1-D convolution is the case <c>H = KH = 1</c>.
/// </summary>
public readonly record struct Conv2DGeometry(
    int InChannels, int InHeight, int InWidth,
    int OutChannels, int KernelHeight, int KernelWidth,
    int StrideHeight = 1, int StrideWidth = 1,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationHeight = 1, int DilationWidth = 1)
{
    /// <summary><c>OH = (H + padTop + padBottom − dilation·(KH − 1) − 1) / stride + 1</c>.</summary>
    public int OutHeight => (InHeight + PadTop + PadBottom - DilationHeight * (KernelHeight - 1) - 1) / StrideHeight + 1;

    /// <summary><c>OW = (W + padLeft + padRight − dilation·(KW − 1) − 1) / stride + 1</c>.</summary>
    public int OutWidth => (InWidth + PadLeft + PadRight - DilationWidth * (KernelWidth - 1) - 1) / StrideWidth + 1;

    /// <summary>Values of one input sample, <c>C·H·W</c>.</summary>
    public int InputSize => InChannels * InHeight * InWidth;

    /// <summary>Values of one output sample, <c>O·OH·OW</c>.</summary>
    public int OutputSize => OutChannels * OutHeight * OutWidth;

    /// <summary>Values of the weight, <c>O·C·KH·KW</c>.</summary>
    public int WeightSize => OutChannels * InChannels * KernelHeight * KernelWidth;
}

/// <summary>Convolution layers' forward and backward passes (implementation: see the remarks of each method).</summary>
public static class Convolution
{
    /// <summary>The scratch floats <see cref="Conv2DForward{TActivation}"/> and <see cref="Conv2DBackward"/> need for a batch.</summary>
    public static int Conv2DScratchSize(in Conv2DGeometry geometry, int batch) => throw new NotImplementedException();

    /// <summary>
    /// <c>y[B,O,OH,OW] = activation(conv(x[B,C,H,W], weight[O,C,KH,KW]) + bias[O])</c> (cross-correlation, as PyTorch).
    /// <paramref name="bias"/> may be empty.
    /// </summary>
    public static void Conv2DForward<TActivation>(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2DGeometry geometry, int batch, Span<float> scratch, TActivation activation)
        where TActivation : struct, IActivation
        => throw new NotImplementedException();

    /// <summary>
    /// From <paramref name="outputGradient"/> <c>dz[B,O,OH,OW]</c> (already through the activation's derivative): writes
    /// (overwrites) <c>dW[O,C,KH,KW]</c>, <c>db[O]</c> (unless empty) and <c>dx[B,C,H,W]</c> (unless empty).
    /// </summary>
    public static void Conv2DBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> outputGradient,
        Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient,
        in Conv2DGeometry geometry, int batch, Span<float> scratch)
        => throw new NotImplementedException();
}
