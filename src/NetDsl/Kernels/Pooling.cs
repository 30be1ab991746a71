using System;
using System.Numerics.Tensors;

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
/// <remarks>
/// Windows are walked one output at a time over each <c>[H, W]</c> plane of each sample and channel. Pooling reads
/// each input about once (KH·KW/stride² times) and does one comparison or addition per read, next to a convolution's
/// K FMAs per output, so these loops are scalar, with the common 2x2 stride-2 max pool without padding on a path of
/// its own that needs no bounds checks. Paddings must be smaller than the kernel (PyTorch asks for at most half),
/// so every window holds at least one input.
/// </remarks>
public static class Pooling
{
    /// <summary>
    /// Max over each window; <paramref name="argmax"/> (one per output) keeps the winning input's index within its
    /// <c>[H, W]</c> plane, <c>h·W + w</c> (as PyTorch's <c>return_indices</c>), for the backward pass. Padding never
    /// wins; ties go to the first input in row-major window order; a NaN wins (and propagates), as in PyTorch.
    /// </summary>
    public static void MaxPool2DForward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, in Pool2DGeometry geometry, int batch)
    {
        Check(x.Length, y.Length, in geometry, batch, nameof(x), nameof(y));
        Guard.Length(argmax.Length, batch, geometry.OutputSize, nameof(argmax), "batch·C·OH·OW");
        Pool2DGeometry g = geometry;
        int planeIn = g.InHeight * g.InWidth, planeOut = g.OutHeight * g.OutWidth, planes = batch * g.Channels;
        bool twoByTwo = g.KernelHeight == 2 && g.KernelWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2
            && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<float> input = x.Slice(plane * planeIn, planeIn);
            Span<float> output = y.Slice(plane * planeOut, planeOut);
            Span<int> indices = argmax.Slice(plane * planeOut, planeOut);
            if (twoByTwo)
            {
                MaxPool2x2(input, output, indices, g.InWidth, g.OutHeight, g.OutWidth);
                continue;
            }
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                (int h0, int h1) = Window(oh, g.StrideHeight, g.PadTop, g.KernelHeight, g.InHeight);
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    (int w0, int w1) = Window(ow, g.StrideWidth, g.PadLeft, g.KernelWidth, g.InWidth);
                    int best = h0 * g.InWidth + w0;
                    float max = input[best];
                    for (int h = h0; h < h1; h++)
                    {
                        for (int w = w0; w < w1; w++)
                        {
                            float value = input[h * g.InWidth + w];
                            if (value > max || (float.IsNaN(value) && !float.IsNaN(max)))
                            {
                                max = value;
                                best = h * g.InWidth + w;
                            }
                        }
                    }
                    output[oh * g.OutWidth + ow] = max;
                    indices[oh * g.OutWidth + ow] = best;
                }
            }
        }
    }

    /// <summary>The 2x2, stride-2 window without padding: the four candidates in window order, no bounds to check.</summary>
    private static void MaxPool2x2(ReadOnlySpan<float> input, Span<float> output, Span<int> indices, int inWidth, int outHeight, int outWidth)
    {
        for (int oh = 0; oh < outHeight; oh++)
        {
            int top = 2 * oh * inWidth;
            ReadOnlySpan<float> upper = input.Slice(top, 2 * outWidth);
            ReadOnlySpan<float> lower = input.Slice(top + inWidth, 2 * outWidth);
            Span<float> line = output.Slice(oh * outWidth, outWidth);
            Span<int> lineIndices = indices.Slice(oh * outWidth, outWidth);
            for (int ow = 0; ow < line.Length; ow++)
            {
                int w = 2 * ow;
                float max = upper[w];
                int best = top + w;
                if (upper[w + 1] > max || (float.IsNaN(upper[w + 1]) && !float.IsNaN(max))) { max = upper[w + 1]; best = top + w + 1; }
                if (lower[w] > max || (float.IsNaN(lower[w]) && !float.IsNaN(max))) { max = lower[w]; best = top + inWidth + w; }
                if (lower[w + 1] > max || (float.IsNaN(lower[w + 1]) && !float.IsNaN(max))) { max = lower[w + 1]; best = top + inWidth + w + 1; }
                line[ow] = max;
                lineIndices[ow] = best;
            }
        }
    }

    /// <summary><c>dx</c> (overwritten) receives each <c>dy</c> at its window's winning input (summed where windows overlap).</summary>
    public static void MaxPool2DBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, Span<float> inputGradient, in Pool2DGeometry geometry, int batch)
    {
        Check(inputGradient.Length, outputGradient.Length, in geometry, batch, nameof(inputGradient), nameof(outputGradient));
        Guard.Length(argmax.Length, batch, geometry.OutputSize, nameof(argmax), "batch·C·OH·OW");
        int planeIn = geometry.InHeight * geometry.InWidth, planeOut = geometry.OutHeight * geometry.OutWidth, planes = batch * geometry.Channels;
        inputGradient.Clear();
        for (int plane = 0; plane < planes; plane++)
        {
            Span<float> dx = inputGradient.Slice(plane * planeIn, planeIn);
            ReadOnlySpan<float> dy = outputGradient.Slice(plane * planeOut, planeOut);
            ReadOnlySpan<int> indices = argmax.Slice(plane * planeOut, planeOut);
            for (int i = 0; i < dy.Length; i++)
            {
                dx[indices[i]] += dy[i];
            }
        }
    }

    /// <summary>Mean over each window, padding counted as zeros (PyTorch's default <c>count_include_pad=True</c>): the sum divided by <c>KH·KW</c>.</summary>
    public static void AvgPool2DForward(ReadOnlySpan<float> x, Span<float> y, in Pool2DGeometry geometry, int batch)
    {
        Check(x.Length, y.Length, in geometry, batch, nameof(x), nameof(y));
        Pool2DGeometry g = geometry;
        int planeIn = g.InHeight * g.InWidth, planeOut = g.OutHeight * g.OutWidth, planes = batch * g.Channels;
        float scale = 1f / (g.KernelHeight * g.KernelWidth);
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<float> input = x.Slice(plane * planeIn, planeIn);
            Span<float> output = y.Slice(plane * planeOut, planeOut);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                (int h0, int h1) = Window(oh, g.StrideHeight, g.PadTop, g.KernelHeight, g.InHeight);
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    (int w0, int w1) = Window(ow, g.StrideWidth, g.PadLeft, g.KernelWidth, g.InWidth);
                    float sum = 0f;
                    for (int h = h0; h < h1; h++)
                    {
                        for (int w = w0; w < w1; w++)
                        {
                            sum += input[h * g.InWidth + w];
                        }
                    }
                    output[oh * g.OutWidth + ow] = sum * scale;
                }
            }
        }
    }

    /// <summary><c>dx</c> (overwritten) receives <c>dy / (KH·KW)</c> over each window (summed where windows overlap; nothing for padding).</summary>
    public static void AvgPool2DBackward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, in Pool2DGeometry geometry, int batch)
    {
        Check(inputGradient.Length, outputGradient.Length, in geometry, batch, nameof(inputGradient), nameof(outputGradient));
        Pool2DGeometry g = geometry;
        int planeIn = g.InHeight * g.InWidth, planeOut = g.OutHeight * g.OutWidth, planes = batch * g.Channels;
        float scale = 1f / (g.KernelHeight * g.KernelWidth);
        inputGradient.Clear();
        for (int plane = 0; plane < planes; plane++)
        {
            Span<float> dx = inputGradient.Slice(plane * planeIn, planeIn);
            ReadOnlySpan<float> dy = outputGradient.Slice(plane * planeOut, planeOut);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                (int h0, int h1) = Window(oh, g.StrideHeight, g.PadTop, g.KernelHeight, g.InHeight);
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    (int w0, int w1) = Window(ow, g.StrideWidth, g.PadLeft, g.KernelWidth, g.InWidth);
                    float share = dy[oh * g.OutWidth + ow] * scale;
                    for (int h = h0; h < h1; h++)
                    {
                        for (int w = w0; w < w1; w++)
                        {
                            dx[h * g.InWidth + w] += share;
                        }
                    }
                }
            }
        }
    }

    /// <summary><c>y[B,C] = mean over the S = H·W positions of x[B,C,S]</c>.</summary>
    public static void GlobalAveragePoolForward(ReadOnlySpan<float> x, Span<float> y, int channels, int spatial, int batch)
    {
        CheckGlobal(x.Length, y.Length, channels, spatial, batch, nameof(x), nameof(y));
        float scale = 1f / spatial;
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = TensorPrimitives.Sum(x.Slice(i * spatial, spatial)) * scale;
        }
    }

    /// <summary><c>dx[B,C,S] = dy[B,C] / S</c> (overwritten).</summary>
    public static void GlobalAveragePoolBackward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int channels, int spatial, int batch)
    {
        CheckGlobal(inputGradient.Length, outputGradient.Length, channels, spatial, batch, nameof(inputGradient), nameof(outputGradient));
        float scale = 1f / spatial;
        for (int i = 0; i < outputGradient.Length; i++)
        {
            inputGradient.Slice(i * spatial, spatial).Fill(outputGradient[i] * scale);
        }
    }

    /// <summary>The input rows (or columns) <c>[start, end)</c> of output <paramref name="o"/>'s window, clipped to the input.</summary>
    private static (int Start, int End) Window(int o, int stride, int pad, int kernel, int size)
    {
        int start = o * stride - pad;
        return (Math.Max(start, 0), Math.Min(start + kernel, size));
    }

    /// <summary>The declared fields only (the record's own ToString computes the output size, which may divide by zero).</summary>
    private static string Describe(in Pool2DGeometry g)
        => $"C={g.Channels} H={g.InHeight} W={g.InWidth} kernel {g.KernelHeight}x{g.KernelWidth} stride {g.StrideHeight},{g.StrideWidth} "
        + $"padding top {g.PadTop} left {g.PadLeft} bottom {g.PadBottom} right {g.PadRight}";

    private static void Check(int inputLength, int outputLength, in Pool2DGeometry g, int batch, string inputName, string outputName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (g.Channels <= 0 || g.InHeight <= 0 || g.InWidth <= 0 || g.KernelHeight <= 0 || g.KernelWidth <= 0 || g.StrideHeight <= 0 || g.StrideWidth <= 0
            || g.PadTop < 0 || g.PadLeft < 0 || g.PadBottom < 0 || g.PadRight < 0)
        {
            throw new ArgumentException($"Sizes and strides must be positive and paddings non-negative: {Describe(in g)}.", "geometry");
        }
        if (g.PadTop >= g.KernelHeight || g.PadBottom >= g.KernelHeight || g.PadLeft >= g.KernelWidth || g.PadRight >= g.KernelWidth)
        {
            throw new ArgumentException($"Each padding must be smaller than the kernel, so every window holds an input: {Describe(in g)}.", "geometry");
        }
        if (g.InHeight + g.PadTop + g.PadBottom < g.KernelHeight || g.InWidth + g.PadLeft + g.PadRight < g.KernelWidth)
        {
            throw new ArgumentException($"The kernel is larger than the padded input: {Describe(in g)}.", "geometry");
        }
        Guard.Length(inputLength, batch, g.InputSize, inputName, "batch·C·H·W");
        Guard.Length(outputLength, batch, g.OutputSize, outputName, "batch·C·OH·OW");
    }

    private static void CheckGlobal(int inputLength, int outputLength, int channels, int spatial, int batch, string inputName, string outputName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spatial);
        Guard.Length(inputLength, batch * channels, spatial, inputName, "batch·C·S");
        Guard.Length(outputLength, batch, channels, outputName, "batch·C");
    }
}
