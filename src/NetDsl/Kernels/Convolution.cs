using System;
using System.Numerics.Tensors;

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
/// <remarks>
/// <para>
/// Both passes are im2col + <see cref="Gemm"/>. For a group of <c>G</c> samples, <c>col[K, G·N]</c> (<c>K = C·KH·KW</c>
/// rows, one per weight of a filter; <c>N = OH·OW</c> columns per sample, one per output position) holds in column
/// <c>(g, oh, ow)</c> the input values the filter sees at that position, zeros where it overlaps the padding. Then
/// <list type="bullet">
/// <item><description>forward: <c>y'[O, G·N] = W[O, K] · col</c>, then bias and activation per channel;</description></item>
/// <item><description>weight gradient: <c>dW[O, K] = Σ_groups dY'[O, G·N] · colᵀ</c>;</description></item>
/// <item><description>input gradient: <c>dcol[K, G·N] = Wᵀ · dY'</c>, scattered back onto <c>dx</c> (col2im).</description></item>
/// </list>
/// </para>
/// <para>
/// Why groups of samples, sized to <see cref="ColumnBudget"/>, rather than one sample or the whole batch: the packed
/// product splits its column panels across <see cref="KernelOptions.MaxThreads"/> threads only when it is large enough
/// (<see cref="KernelPool.MinParallelFlops"/>), and reuses each packed panel of <c>col</c> over all <c>O</c> rows of
/// W. One sample of the Fashion-MNIST CNN's first layer (5x5, 1→16 on 28x28: <c>col[25, 784]</c>, 1.25 MFLOP) is too
/// small to split; the whole batch of its second layer (<c>col[400, 196]</c> per sample, 64 of them = 20 MB) would
/// stream <c>col</c> through main memory twice. A group is as many samples as fit in ~256 KB of <c>col</c> (L2): 3 for
/// the first layer, 1 for the second, whose products are already large. Batch 1 is a group of one, with no extra copy.
/// With one sample per group the product writes <c>y</c> directly; with more it writes <c>y'[O, G·N]</c> to scratch and
/// the bias/activation pass copies it into NCHW order.
/// </para>
/// <para>
/// The bias is added (and the activation applied) in one pass over each finished output row rather than in the
/// product's epilogue, whose bias is per column: the pass costs about one load and store per output, against
/// <c>K</c> FMAs per output in the product (25 and 400 in the CNN above).
/// </para>
/// <para>
/// Every output element is summed by one thread in one order, so results do not depend on
/// <see cref="KernelOptions.MaxThreads"/>. The forward pass gives the same bits whatever the batch size; the weight
/// gradient's sum over samples is grouped as the groups are, which depends on the batch size only.
/// </para>
/// </remarks>
public static class Convolution
{
    /// <summary>Floats of <c>col</c> a group of samples may fill (~256 KB, to stay in L2); a group holds at least one sample.</summary>
    internal const int ColumnBudget = 1 << 16;

    /// <summary>
    /// The scratch floats <see cref="Conv2DForward{TActivation}"/> and <see cref="Conv2DBackward"/> need for a batch of
    /// up to <paramref name="batch"/> samples: <c>col[K, G·N]</c>, plus <c>[O, G·N]</c> when a group holds more than
    /// one sample, plus <c>[O, K]</c> for the weight gradient of one group.
    /// </summary>
    /// <exception cref="ArgumentException">The geometry has a non-positive size, stride or dilation, a negative padding, or no output.</exception>
    public static int Conv2DScratchSize(in Conv2DGeometry geometry, int batch)
    {
        Validate(in geometry, batch);
        int depth = Depth(in geometry), positions = geometry.OutHeight * geometry.OutWidth;
        long group = GroupSize(in geometry, batch);
        long size = depth * group * positions + (group > 1 ? geometry.OutChannels * group * positions : 0) + (long)geometry.OutChannels * depth;
        return checked((int)size);
    }

    /// <summary>
    /// <c>y[B,O,OH,OW] = activation(conv(x[B,C,H,W], weight[O,C,KH,KW]) + bias[O])</c> (cross-correlation, as PyTorch).
    /// <paramref name="bias"/> may be empty. The activation runs on rows of <c>OH·OW</c> (one channel of one sample).
    /// <paramref name="scratch"/> holds at least <see cref="Conv2DScratchSize"/> floats for this or a larger batch.
    /// </summary>
    public static void Conv2DForward<TActivation>(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2DGeometry geometry, int batch, Span<float> scratch, TActivation activation)
        where TActivation : struct, IActivation
        => Conv2DForwardAt(x, weight, bias, y, in geometry, batch, scratch, activation, SimdDispatch.Best);

    /// <summary>
    /// From <paramref name="outputGradient"/> <c>dz[B,O,OH,OW]</c> (already through the activation's derivative): writes
    /// (overwrites) <c>dW[O,C,KH,KW]</c>, <c>db[O]</c> (unless empty) and <c>dx[B,C,H,W]</c> (unless empty).
    /// <paramref name="scratch"/> holds at least <see cref="Conv2DScratchSize"/> floats for this or a larger batch.
    /// </summary>
    public static void Conv2DBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> outputGradient,
        Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient,
        in Conv2DGeometry geometry, int batch, Span<float> scratch)
        => Conv2DBackwardAt(x, weight, outputGradient, weightGradient, biasGradient, inputGradient, in geometry, batch, scratch, SimdDispatch.Best);

    /// <summary><see cref="Conv2DForward{TActivation}"/> with the products at a given width.</summary>
    internal static void Conv2DForwardAt<TActivation>(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2DGeometry geometry, int batch, Span<float> scratch, TActivation activation, SimdWidth width)
        where TActivation : struct, IActivation
    {
        Validate(in geometry, batch);
        int inputSize = geometry.InputSize, outputSize = geometry.OutputSize;
        int channels = geometry.OutChannels, depth = Depth(in geometry), positions = geometry.OutHeight * geometry.OutWidth;
        Guard.Length(x.Length, batch, inputSize, nameof(x), "batch·C·H·W");
        Guard.Length(weight.Length, 1, geometry.WeightSize, nameof(weight), "O·C·KH·KW");
        if (!bias.IsEmpty)
        {
            Guard.Length(bias.Length, 1, channels, nameof(bias), "O (or empty)");
        }
        Guard.Length(y.Length, batch, outputSize, nameof(y), "batch·O·OH·OW");
        CheckScratch(scratch, in geometry, batch);

        int group = GroupSize(in geometry, batch);
        for (int first = 0; first < batch; first += group)
        {
            int count = Math.Min(group, batch - first), columns = count * positions;
            Span<float> col = scratch.Slice(0, depth * columns);
            for (int s = 0; s < count; s++)
            {
                Im2Col(x.Slice((first + s) * inputSize, inputSize), col, in geometry, s * positions, columns);
            }

            Span<float> samples = y.Slice(first * outputSize, count * outputSize);
            if (count == 1)
            {
                // y[O, N] = W[O, K] · col[K, N], then y[o, :] += bias[o].
                Gemm.MultiplyAt(weight, col, samples, channels, positions, depth, width);
                if (!bias.IsEmpty)
                {
                    for (int o = 0; o < channels; o++)
                    {
                        Span<float> row = samples.Slice(o * positions, positions);
                        TensorPrimitives.Add(row, bias[o], row);
                    }
                }
            }
            else
            {
                // y'[O, G·N] = W[O, K] · col[K, G·N], then y[g, o, :] = y'[o, g·N ..] + bias[o].
                Span<float> product = scratch.Slice(depth * group * positions, channels * columns);
                Gemm.MultiplyAt(weight, col, product, channels, columns, depth, width);
                for (int s = 0; s < count; s++)
                {
                    for (int o = 0; o < channels; o++)
                    {
                        ReadOnlySpan<float> source = product.Slice(o * columns + s * positions, positions);
                        Span<float> row = samples.Slice(s * outputSize + o * positions, positions);
                        if (bias.IsEmpty)
                        {
                            source.CopyTo(row);
                        }
                        else
                        {
                            TensorPrimitives.Add(source, bias[o], row);
                        }
                    }
                }
            }
            if (samples.Length > 0)
            {
                activation.Forward(samples, positions);
            }
        }
    }

    /// <summary><see cref="Conv2DBackward"/> with the products at a given width.</summary>
    internal static void Conv2DBackwardAt(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> outputGradient,
        Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient,
        in Conv2DGeometry geometry, int batch, Span<float> scratch, SimdWidth width)
    {
        Validate(in geometry, batch);
        int inputSize = geometry.InputSize, outputSize = geometry.OutputSize;
        int channels = geometry.OutChannels, depth = Depth(in geometry), positions = geometry.OutHeight * geometry.OutWidth;
        Guard.Length(x.Length, batch, inputSize, nameof(x), "batch·C·H·W");
        Guard.Length(weight.Length, 1, geometry.WeightSize, nameof(weight), "O·C·KH·KW");
        Guard.Length(outputGradient.Length, batch, outputSize, nameof(outputGradient), "batch·O·OH·OW");
        Guard.Length(weightGradient.Length, 1, geometry.WeightSize, nameof(weightGradient), "O·C·KH·KW");
        if (!biasGradient.IsEmpty)
        {
            Guard.Length(biasGradient.Length, 1, channels, nameof(biasGradient), "O (or empty)");
        }
        if (!inputGradient.IsEmpty)
        {
            Guard.Length(inputGradient.Length, batch, inputSize, nameof(inputGradient), "batch·C·H·W (or empty)");
        }
        CheckScratch(scratch, in geometry, batch);

        // db[o] = Σ_b Σ_n dz[b, o, n]
        if (!biasGradient.IsEmpty)
        {
            for (int o = 0; o < channels; o++)
            {
                float sum = 0f;
                for (int b = 0; b < batch; b++)
                {
                    sum += TensorPrimitives.Sum(outputGradient.Slice(b * outputSize + o * positions, positions));
                }
                biasGradient[o] = sum;
            }
        }
        if (batch == 0)
        {
            weightGradient.Clear();
            return;
        }

        int group = GroupSize(in geometry, batch);
        int permutedLength = group > 1 ? channels * group * positions : 0;
        Span<float> permuted = scratch.Slice(depth * group * positions, permutedLength);
        Span<float> partial = scratch.Slice(depth * group * positions + permutedLength, channels * depth);
        for (int first = 0; first < batch; first += group)
        {
            int count = Math.Min(group, batch - first), columns = count * positions;
            Span<float> col = scratch.Slice(0, depth * columns);
            for (int s = 0; s < count; s++)
            {
                Im2Col(x.Slice((first + s) * inputSize, inputSize), col, in geometry, s * positions, columns);
            }

            // dz'[O, G·N]: the group's output gradient with its samples side by side (a sample alone already is).
            ReadOnlySpan<float> dz;
            if (count == 1)
            {
                dz = outputGradient.Slice(first * outputSize, outputSize);
            }
            else
            {
                Span<float> target = permuted.Slice(0, channels * columns);
                for (int s = 0; s < count; s++)
                {
                    for (int o = 0; o < channels; o++)
                    {
                        outputGradient.Slice((first + s) * outputSize + o * positions, positions).CopyTo(target.Slice(o * columns + s * positions, positions));
                    }
                }
                dz = target;
            }

            // dW[O, K] (+)= dz'[O, G·N] · col[K, G·N]ᵀ
            if (first == 0)
            {
                Gemm.MultiplyTransposedBAt(dz, col, [], weightGradient, channels, depth, columns, new IdentityActivation(), width);
            }
            else
            {
                Gemm.MultiplyTransposedBAt(dz, col, [], partial, channels, depth, columns, new IdentityActivation(), width);
                TensorPrimitives.Add(weightGradient, partial, weightGradient);
            }

            if (!inputGradient.IsEmpty)
            {
                // dcol[K, G·N] = W[O, K]ᵀ · dz'[O, G·N] (into col, no longer needed), then dx += col2im(dcol).
                Gemm.MultiplyTransposedAAt(weight, dz, col, depth, columns, channels, width);
                for (int s = 0; s < count; s++)
                {
                    Col2Im(col, inputGradient.Slice((first + s) * inputSize, inputSize), in geometry, s * positions, columns);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // im2col and its adjoint
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Writes one sample's columns: <c>col[(c, kh, kw), offset + (oh, ow)] = x[c, oh·sh − padTop + kh·dh, ow·sw − padLeft + kw·dw]</c>,
    /// 0 in the padding; rows of <c>col</c> are <paramref name="rowStride"/> apart.
    /// </summary>
    private static void Im2Col(ReadOnlySpan<float> x, Span<float> col, in Conv2DGeometry g, int offset, int rowStride)
    {
        int height = g.InHeight, inWidth = g.InWidth, outHeight = g.OutHeight, outWidth = g.OutWidth, stride = g.StrideWidth;
        int row = 0;
        for (int c = 0; c < g.InChannels; c++)
        {
            ReadOnlySpan<float> plane = x.Slice(c * height * inWidth, height * inWidth);
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                int rowShift = kh * g.DilationHeight - g.PadTop;
                for (int kw = 0; kw < g.KernelWidth; kw++, row++)
                {
                    int shift = kw * g.DilationWidth - g.PadLeft;
                    (int start, int end) = ValidRange(shift, stride, inWidth, outWidth);
                    Span<float> destination = col.Slice(row * rowStride + offset, outHeight * outWidth);
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        Span<float> line = destination.Slice(oh * outWidth, outWidth);
                        int ih = oh * g.StrideHeight + rowShift;
                        if ((uint)ih >= (uint)height)
                        {
                            line.Clear();
                            continue;
                        }
                        line.Slice(0, start).Clear();
                        line.Slice(end).Clear();
                        ReadOnlySpan<float> source = plane.Slice(ih * inWidth, inWidth);
                        if (stride == 1)
                        {
                            source.Slice(start + shift, end - start).CopyTo(line.Slice(start, end - start));
                        }
                        else
                        {
                            for (int ow = start; ow < end; ow++)
                            {
                                line[ow] = source[ow * stride + shift];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col"/>: overwrites one sample's <c>dx</c> with the sum, over every column entry
    /// that read an input, of that entry of <paramref name="col"/>.
    /// </summary>
    private static void Col2Im(ReadOnlySpan<float> col, Span<float> dx, in Conv2DGeometry g, int offset, int rowStride)
    {
        int height = g.InHeight, inWidth = g.InWidth, outHeight = g.OutHeight, outWidth = g.OutWidth, stride = g.StrideWidth;
        dx.Clear();
        int row = 0;
        for (int c = 0; c < g.InChannels; c++)
        {
            Span<float> plane = dx.Slice(c * height * inWidth, height * inWidth);
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                int rowShift = kh * g.DilationHeight - g.PadTop;
                for (int kw = 0; kw < g.KernelWidth; kw++, row++)
                {
                    int shift = kw * g.DilationWidth - g.PadLeft;
                    (int start, int end) = ValidRange(shift, stride, inWidth, outWidth);
                    if (end <= start)
                    {
                        continue;
                    }
                    ReadOnlySpan<float> source = col.Slice(row * rowStride + offset, outHeight * outWidth);
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        int ih = oh * g.StrideHeight + rowShift;
                        if ((uint)ih >= (uint)height)
                        {
                            continue;
                        }
                        ReadOnlySpan<float> line = source.Slice(oh * outWidth, outWidth);
                        Span<float> target = plane.Slice(ih * inWidth, inWidth);
                        if (stride == 1)
                        {
                            Span<float> span = target.Slice(start + shift, end - start);
                            TensorPrimitives.Add(span, line.Slice(start, end - start), span);
                        }
                        else
                        {
                            for (int ow = start; ow < end; ow++)
                            {
                                target[ow * stride + shift] += line[ow];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The outputs <c>[start, end)</c> whose input column <c>ow·stride + shift</c> lies in <c>[0, width)</c>.</summary>
    private static (int Start, int End) ValidRange(int shift, int stride, int width, int outWidth)
    {
        int start = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
        int last = width - 1 - shift; // ow·stride ≤ last
        int end = last < 0 ? 0 : Math.Min(outWidth, last / stride + 1);
        start = Math.Min(start, outWidth);
        return (start, Math.Max(start, end));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Sizes and checks
    // ---------------------------------------------------------------------------------------------------------

    /// <summary><c>K = C·KH·KW</c>, the depth of the products.</summary>
    private static int Depth(in Conv2DGeometry g) => g.InChannels * g.KernelHeight * g.KernelWidth;

    /// <summary>Samples per im2col group: as many as fit in <see cref="ColumnBudget"/>, at least 1, at most the batch.</summary>
    internal static int GroupSize(in Conv2DGeometry g, int batch)
    {
        long perSample = (long)Depth(in g) * g.OutHeight * g.OutWidth;
        return (int)Math.Max(1, Math.Min(batch, ColumnBudget / perSample));
    }

    private static void CheckScratch(Span<float> scratch, in Conv2DGeometry geometry, int batch)
    {
        int needed = Conv2DScratchSize(in geometry, batch);
        if (scratch.Length < needed)
        {
            throw new ArgumentException($"Expected at least {needed} floats of scratch (Conv2DScratchSize) but got {scratch.Length}.", nameof(scratch));
        }
    }

    /// <summary>The declared fields only (the record's own ToString computes the output size, which may divide by zero).</summary>
    private static string Describe(in Conv2DGeometry g)
        => $"C={g.InChannels} H={g.InHeight} W={g.InWidth} O={g.OutChannels} kernel {g.KernelHeight}x{g.KernelWidth} stride {g.StrideHeight},{g.StrideWidth} "
        + $"padding top {g.PadTop} left {g.PadLeft} bottom {g.PadBottom} right {g.PadRight} dilation {g.DilationHeight},{g.DilationWidth}";

    private static void Validate(in Conv2DGeometry g, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (g.InChannels <= 0 || g.InHeight <= 0 || g.InWidth <= 0 || g.OutChannels <= 0 || g.KernelHeight <= 0 || g.KernelWidth <= 0
            || g.StrideHeight <= 0 || g.StrideWidth <= 0 || g.DilationHeight <= 0 || g.DilationWidth <= 0
            || g.PadTop < 0 || g.PadLeft < 0 || g.PadBottom < 0 || g.PadRight < 0)
        {
            throw new ArgumentException($"Sizes, strides and dilations must be positive and paddings non-negative: {Describe(in g)}.", "geometry");
        }
        if (g.InHeight + g.PadTop + g.PadBottom < g.DilationHeight * (g.KernelHeight - 1) + 1
            || g.InWidth + g.PadLeft + g.PadRight < g.DilationWidth * (g.KernelWidth - 1) + 1)
        {
            throw new ArgumentException($"The (dilated) kernel is larger than the padded input: {Describe(in g)}.", "geometry");
        }
    }
}
