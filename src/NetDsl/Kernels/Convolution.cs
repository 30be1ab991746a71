using System;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
/// Three algorithms, chosen per shape from its static sizes (the generator's comments state the same rules): for
/// 5x5 stride-1 layers with 8 or more input channels and output channels a multiple of 16, a Winograd F(2×2, 5×5)
/// forward pass on CPUs with AVX-512 (<see cref="ConvolutionWinograd"/>, <see cref="Winograd"/>; the backward passes
/// stay direct); a direct
/// convolution (<see cref="ConvolutionDirect"/>; <see cref="DirectForward"/>, <see cref="DirectPositionLanes"/>, <see cref="DirectFlatLanes"/>,
/// <see cref="DirectWeightGradient"/>, <see cref="DirectInputGradient"/> give the rules and the measured figures
/// behind them) for layers with 8 or more output channels, which covers the Fashion-MNIST CNN, and im2col + the
/// packed product for the rest, described below.
/// </para>
/// <para>
/// With im2col, both passes are im2col + the packed product of <see cref="PanelGemm"/>. For a group of <c>G</c> samples,
/// <c>col[K, G·N]</c> (<c>K = C·KH·KW</c> rows, one per weight of a filter; <c>N = OH·OW</c> columns per sample, one per
/// output position) holds in column <c>(g, oh, ow)</c> the input values the filter sees at that position, zeros where
/// it overlaps the padding. Then
/// <list type="bullet">
/// <item><description>forward: <c>y[O, G·N] = act(W[O, K] · col + bias[O])</c>, or its transpose <c>yᵀ = act(colᵀ · Wᵀ + bias)</c>
/// when that fills the kernel's tiles better (<see cref="PositionMajor"/>); bias and ReLU/leaky ReLU run in the product's
/// epilogue, other activations on the finished rows of <c>OH·OW</c>;</description></item>
/// <item><description>weight gradient: <c>dW[O, K] = Σ_groups dz[O, G·N] · colᵀ</c>, by the packed kernel or, when
/// <c>K</c> is too small to fill its panels, by <see cref="ConvolutionDots"/> (<see cref="DotsForWeightGradient"/>);</description></item>
/// <item><description>input gradient: <c>dcol[K, G·N] = Wᵀ · dz</c>, scattered back onto <c>dx</c> (col2im).</description></item>
/// </list>
/// </para>
/// <para>
/// Why groups of samples, sized to <see cref="ColumnBudget"/>, rather than one sample or the whole batch: the packed
/// product splits its work across <see cref="KernelOptions.MaxThreads"/> threads only when it is large enough
/// (<see cref="KernelPool.MinParallelFlops"/>), and a short product pays its packing and tile set-up over few FMAs. One
/// sample of the Fashion-MNIST CNN's first layer (5x5, 1→16 on 28x28: <c>col[25, 784]</c>, 1.25 MFLOP) is too small
/// for either; the whole batch of its second layer (<c>col[400, 196]</c> per sample, 64 of them = 20 MB) would stream
/// <c>col</c> through main memory twice instead of keeping it in L2. A group is as many samples as fit in ~256 KB of
/// <c>col</c>: 3 for the first layer, 1 for the second, whose products are large already. Batch 1 is a group of one.
/// </para>
/// <para>
/// im2col first copies a padded sample into a zero-bordered buffer, so each line of <c>col</c> is a plain copy of
/// <c>OW</c> floats (stride 1) or a gather, without bounds checks; col2im accumulates into the same buffer.
/// </para>
/// <para>
/// Every output element is summed by one thread in one order, so results do not depend on
/// <see cref="KernelOptions.MaxThreads"/>. The forward pass gives the same bits for a sample whatever the batch around
/// it; the weight gradient's sum over samples is grouped as the groups are (im2col), or runs over the samples in
/// order (direct), which depends on the batch size only. With im2col, threads split a product's blocks of rows and
/// column panels (<see cref="PanelGemm"/>); the direct convolution splits samples (or, with fewer samples than
/// threads, each sample's rows) for the forward pass and the input gradient, and blocks of taps for the weight
/// gradient, through <see cref="KernelRange"/>; the Winograd forward pass splits samples (or each sample's chunks of
/// tiles). Measured on the Fashion-MNIST CNN (this machine, shared, best of 31):
/// batch-64 inference 11,400 → 16,000 samples/s at one thread and 29,700 at two; training 3,590 → 4,760 at one
/// thread and 8,470 at two.
/// </para>
/// </remarks>
public static class Convolution
{
    /// <summary>Floats of <c>col</c> a group of samples may fill (~256 KB, to stay in L2); a group holds at least one sample.</summary>
    internal const int ColumnBudget = 1 << 16;

    /// <summary>
    /// The scratch floats <see cref="Conv2DForward{TActivation}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, in Conv2DGeometry, int, Span{float}, TActivation)"/> and <see cref="Conv2DBackward"/> need for a batch of
    /// up to <paramref name="batch"/> samples: <c>col[K, G·N]</c>, the product or output gradient of a group
    /// <c>[O, G·N]</c>, the weight gradient of one group <c>[O, K]</c>, and a zero-padded copy of one sample; or, if
    /// larger, the direct convolution's packed weights (or transposed weight gradient) and tap offsets. Nothing
    /// is kept in it between calls (the backward pass rebuilds <c>col</c>), so one buffer of the largest size can
    /// serve every convolution layer of a network, forward and backward.
    /// </summary>
    /// <exception cref="ArgumentException">The geometry has a non-positive size, stride or dilation, a negative padding, or no output.</exception>
    public static int Conv2DScratchSize(in Conv2DGeometry geometry, int batch)
    {
        Validate(in geometry, batch);
        int depth = Depth(in geometry), positions = geometry.OutHeight * geometry.OutWidth;
        long group = GroupSize(in geometry, batch);
        long size = depth * group * positions + geometry.OutChannels * group * positions + (long)geometry.OutChannels * depth + PaddedSize(in geometry);
        size = Math.Max(size, DirectScratchSize(in geometry));
        if (WinogradShape(in geometry))
        {
            size = Math.Max(size, ConvolutionWinograd.ScratchSize(in geometry));
        }
        if (DirectInputGradientPossible(in geometry))
        {
            size = Math.Max(size, DirectScratchSize(InputGradientGeometry(in geometry)));
        }
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
    /// <see cref="Conv2DForward{TActivation}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, in Conv2DGeometry, int, Span{float}, TActivation)"/>
    /// with the filters also transformed in advance in <paramref name="packed"/> (or null: then exactly that method). When
    /// the pass runs as Winograd it reads them instead of transforming the weights again; same bits either way. The
    /// caller promises that <paramref name="packed"/> was made from <paramref name="weight"/> and <paramref name="bias"/> as they are now.
    /// </summary>
    public static void Conv2DForward<TActivation>(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2DGeometry geometry, int batch, Span<float> scratch, TActivation activation, PackedConvolution? packed)
        where TActivation : struct, IActivation
        => Conv2DForwardAt(x, weight, bias, y, in geometry, batch, scratch, activation, SimdDispatch.Best, ConvolutionAlgorithm.Auto, packed);

    /// <summary>
    /// From <paramref name="outputGradient"/> <c>dz[B,O,OH,OW]</c> (already through the activation's derivative): writes
    /// (overwrites) <c>dW[O,C,KH,KW]</c>, <c>db[O]</c> (unless empty) and <c>dx[B,C,H,W]</c> (unless empty).
    /// <paramref name="scratch"/> holds at least <see cref="Conv2DScratchSize"/> floats for this or a larger batch.
    /// </summary>
    public static void Conv2DBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> outputGradient,
        Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient,
        in Conv2DGeometry geometry, int batch, Span<float> scratch)
        => Conv2DBackwardAt(x, weight, outputGradient, weightGradient, biasGradient, inputGradient, in geometry, batch, scratch, SimdDispatch.Best);

    /// <summary><see cref="Conv2DForward{TActivation}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, in Conv2DGeometry, int, Span{float}, TActivation)"/> with the products at a given width.</summary>
    internal static void Conv2DForwardAt<TActivation>(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2DGeometry geometry, int batch, Span<float> scratch, TActivation activation, SimdWidth width)
        where TActivation : struct, IActivation
        => Conv2DForwardAt(x, weight, bias, y, in geometry, batch, scratch, activation, width, ConvolutionAlgorithm.Auto);

    /// <summary><see cref="Conv2DForward{TActivation}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, in Conv2DGeometry, int, Span{float}, TActivation)"/> at a given width, by a given algorithm (tests run both).</summary>
    internal static void Conv2DForwardAt<TActivation>(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2DGeometry geometry, int batch, Span<float> scratch, TActivation activation, SimdWidth width, ConvolutionAlgorithm algorithm, PackedConvolution? packed = null)
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
        if (algorithm == ConvolutionAlgorithm.Winograd)
        {
            // Forced (tests): shapes it does not take fall back to the shape's own choice.
            algorithm = WinogradPossible(in geometry, width) ? algorithm : ConvolutionAlgorithm.Auto;
        }
        if (algorithm == ConvolutionAlgorithm.Winograd || (algorithm == ConvolutionAlgorithm.Auto && Winograd(in geometry, batch, width)))
        {
            RunWinograd(x, weight, bias, y, in geometry, batch, scratch, activation, packed is not null && packed.Covers(in geometry) ? packed : null);
            return;
        }
        if (algorithm is ConvolutionAlgorithm.Direct or ConvolutionAlgorithm.DirectPositionLanes or ConvolutionAlgorithm.DirectFlatLanes
            || (algorithm == ConvolutionAlgorithm.Auto && DirectForward(in geometry)))
        {
            bool lanes = algorithm is ConvolutionAlgorithm.DirectPositionLanes or ConvolutionAlgorithm.DirectFlatLanes
                || (algorithm == ConvolutionAlgorithm.Auto && DirectPositionLanes(in geometry));
            bool flat = lanes && (algorithm == ConvolutionAlgorithm.DirectFlatLanes || (algorithm == ConvolutionAlgorithm.Auto && DirectFlatLanes(in geometry)));
            RunDirect(x, weight, bias, y, in geometry, batch, scratch, activation, width, flipTransposed: false, lanes, flat);
            return;
        }

        int group = GroupSize(in geometry, batch);
        bool positionMajor = PositionMajor(channels, group * positions, width);
        bool fused = PanelGemm.IsFused<TActivation>();
        Span<float> padded = scratch.Slice(depth * group * positions + channels * group * positions + channels * depth, PaddedSize(in geometry));
        for (int first = 0; first < batch; first += group)
        {
            int count = Math.Min(group, batch - first), columns = count * positions;
            Span<float> col = scratch.Slice(0, depth * columns);
            for (int s = 0; s < count; s++)
            {
                Im2Col(x.Slice((first + s) * inputSize, inputSize), col, in geometry, s * positions, columns, padded);
            }

            Span<float> samples = y.Slice(first * outputSize, count * outputSize);
            Span<float> product = scratch.Slice(depth * group * positions, channels * columns);
            if (positionMajor)
            {
                // yᵀ[G·N, O] = act(col[K, G·N]ᵀ · W[O, K]ᵀ + bias[O]), then y[g, o, n] = yᵀ[g·N + n, o].
                if (fused)
                {
                    Gemm.MultiplyStridedAt(col, 1, columns, weight, 1, depth, bias, [], product, columns, channels, depth, activation, width);
                }
                else
                {
                    Gemm.MultiplyStridedAt(col, 1, columns, weight, 1, depth, bias, [], product, columns, channels, depth, new IdentityActivation(), width);
                }
                for (int s = 0; s < count; s++)
                {
                    Transpose(product.Slice(s * positions * channels, positions * channels), samples.Slice(s * outputSize, outputSize), positions, channels);
                }
            }
            else
            {
                // y'[O, G·N] = act(W[O, K] · col[K, G·N] + bias[O]) (a sample alone writes y directly), then y[g, o, :] = y'[o, g·N ..].
                Span<float> target = count == 1 ? samples : product;
                if (fused)
                {
                    Gemm.MultiplyStridedAt(weight, depth, 1, col, columns, 1, [], bias, target, channels, columns, depth, activation, width);
                }
                else
                {
                    Gemm.MultiplyStridedAt(weight, depth, 1, col, columns, 1, [], bias, target, channels, columns, depth, new IdentityActivation(), width);
                }
                if (count > 1)
                {
                    for (int s = 0; s < count; s++)
                    {
                        for (int o = 0; o < channels; o++)
                        {
                            product.Slice(o * columns + s * positions, positions).CopyTo(samples.Slice(s * outputSize + o * positions, positions));
                        }
                    }
                }
            }
            if (!fused && samples.Length > 0)
            {
                activation.Forward(samples, positions);
            }
        }
    }

    /// <summary>
    /// Whether the weight gradient runs as plain dot products (<see cref="ConvolutionDots"/>) rather than the packed
    /// kernel: when a filter's <c>K</c> weights do not fill one panel of 2 vectors (the first layer of a CNN: K = 25,
    /// or 9 for a 3x3 kernel on one channel), the packed kernel wastes most of its panel and packs one float at a time.
    /// Measured on the CNN's first layer at batch 64: 2.5 ms by the packed kernel, 1.05 ms by dot products; its second
    /// layer (K = 400) is the other way round (11 ms against 17 ms).
    /// </summary>
    internal static bool DotsForWeightGradient(int depth, SimdWidth width)
        => depth < 2 * SimdDispatch.Lanes(width);

    /// <summary><c>destination[c, r] = source[r, c]</c> for <c>source[rows, columns]</c>, in 8×8 blocks that stay in L1.</summary>
    private static void Transpose(ReadOnlySpan<float> source, Span<float> destination, int rows, int columns)
    {
        const int Block = 8;
        for (int r0 = 0; r0 < rows; r0 += Block)
        {
            int r1 = Math.Min(r0 + Block, rows);
            for (int c0 = 0; c0 < columns; c0 += Block)
            {
                int c1 = Math.Min(c0 + Block, columns);
                for (int c = c0; c < c1; c++)
                {
                    Span<float> line = destination.Slice(c * rows, rows);
                    for (int r = r0; r < r1; r++)
                    {
                        line[r] = source[r * columns + c];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Whether the forward product runs with output positions as its rows (<c>yᵀ = colᵀ · Wᵀ</c>) rather than output
    /// channels (<c>y = W · col</c>). The packed kernel computes tiles of <see cref="PanelGemm.MR"/> rows by panels of
    /// 2 vectors of columns, so a product wastes the padding of its last tile and last panel: with 32 output channels
    /// on 14x14 (N = 196) channel rows fill 32/36 of their tiles and positions 196/224 of their panels (78 %), while
    /// position rows fill 196/198 and channels all of one 32-wide panel (99 %), and the packed panel of W is reused
    /// over all 33 row tiles instead of a panel of <c>col</c> over 6; 16 channels fill only half a 32-wide panel, so
    /// the first layer keeps channel rows. The price of position rows is one transpose of the output, <c>O·N</c>
    /// copies against <c>O·N·K</c> FMAs.
    /// </summary>
    internal static bool PositionMajor(int channels, int columns, SimdWidth width)
    {
        int panel = 2 * SimdDispatch.Lanes(width);
        static double Fill(int size, int block) => (double)size / ((size + block - 1) / block * block);
        double channelRows = Fill(channels, PanelGemm.MR) * Fill(columns, panel);
        double positionRows = Fill(columns, PanelGemm.MR) * Fill(channels, panel);
        return positionRows > channelRows;
    }

    /// <summary><see cref="Conv2DBackward"/> with the products at a given width.</summary>
    internal static void Conv2DBackwardAt(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> outputGradient,
        Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient,
        in Conv2DGeometry geometry, int batch, Span<float> scratch, SimdWidth width)
        => Conv2DBackwardAt(x, weight, outputGradient, weightGradient, biasGradient, inputGradient, in geometry, batch, scratch, width, ConvolutionAlgorithm.Auto);

    /// <summary><see cref="Conv2DBackward"/> at a given width, the input gradient by a given algorithm (tests run both).</summary>
    internal static void Conv2DBackwardAt(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> outputGradient,
        Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradient,
        in Conv2DGeometry geometry, int batch, Span<float> scratch, SimdWidth width, ConvolutionAlgorithm algorithm)
    {
        Validate(in geometry, batch);
        if (algorithm == ConvolutionAlgorithm.Winograd)
        {
            algorithm = ConvolutionAlgorithm.Auto; // forward only
        }
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
        int permutedLength = channels * group * positions;
        Span<float> permuted = scratch.Slice(depth * group * positions, permutedLength);
        Span<float> partial = scratch.Slice(depth * group * positions + permutedLength, channels * depth);
        Span<float> padded = scratch.Slice(depth * group * positions + permutedLength + channels * depth, PaddedSize(in geometry));
        bool dots = DotsForWeightGradient(depth, width);
        bool directInput = !inputGradient.IsEmpty && DirectInputGradientPossible(in geometry)
            && (algorithm is ConvolutionAlgorithm.Direct or ConvolutionAlgorithm.DirectPositionLanes or ConvolutionAlgorithm.DirectFlatLanes
                || (algorithm == ConvolutionAlgorithm.Auto && DirectInputGradient(in geometry)));
        bool directWeights = algorithm is ConvolutionAlgorithm.Direct or ConvolutionAlgorithm.DirectPositionLanes or ConvolutionAlgorithm.DirectFlatLanes
            || (algorithm == ConvolutionAlgorithm.Auto && DirectWeightGradient(in geometry));
        if (directWeights)
        {
            RunDirectWeightGradient(x, outputGradient, weightGradient, in geometry, batch, scratch, width);
        }
        for (int first = 0; first < batch && (!directWeights || (!inputGradient.IsEmpty && !directInput)); first += group)
        {
            int count = Math.Min(group, batch - first), columns = count * positions;
            Span<float> col = scratch.Slice(0, depth * columns);
            for (int s = 0; s < count; s++)
            {
                Im2Col(x.Slice((first + s) * inputSize, inputSize), col, in geometry, s * positions, columns, padded);
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
            if (!directWeights)
            {
                Span<float> gradient = first == 0 ? weightGradient : partial;
                if (dots)
                {
                    ConvolutionDots.MultiplyTransposedB(dz, col, gradient, channels, depth, columns, width);
                }
                else
                {
                    Gemm.MultiplyTransposedBAt(dz, col, [], gradient, channels, depth, columns, new IdentityActivation(), width);
                }
                if (first != 0)
                {
                    TensorPrimitives.Add(weightGradient, partial, weightGradient);
                }
            }

            if (!inputGradient.IsEmpty && !directInput)
            {
                // dcol[K, G·N] = W[O, K]ᵀ · dz'[O, G·N] (into col, no longer needed), then dx += col2im(dcol).
                Gemm.MultiplyTransposedAAt(weight, dz, col, depth, columns, channels, width);
                for (int s = 0; s < count; s++)
                {
                    Col2Im(col, inputGradient.Slice((first + s) * inputSize, inputSize), in geometry, s * positions, columns, padded);
                }
            }
        }

        if (directInput)
        {
            // dx = dz ⋆ flip(W)ᵀ: a stride-1 convolution of dz, padded by (K−1)·d − pad, with the weights flipped and transposed.
            bool lanes = algorithm is ConvolutionAlgorithm.DirectPositionLanes or ConvolutionAlgorithm.DirectFlatLanes
                || (algorithm == ConvolutionAlgorithm.Auto && DirectInputGradientLanes(in geometry));
            bool flat = algorithm == ConvolutionAlgorithm.DirectFlatLanes;
            RunDirect(outputGradient, weight, [], inputGradient, InputGradientGeometry(in geometry), batch, scratch, new IdentityActivation(), width, flipTransposed: true, lanes, flat);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Winograd
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>Input channels from which a Winograd forward pass stays well inside the direct convolution's error bound (<see cref="ConvolutionWinograd"/>).</summary>
    internal const int WinogradMinChannels = 8;

    /// <summary>
    /// Whether the shape is one <see cref="ConvolutionWinograd"/> computes (whatever the width): 5x5, stride 1,
    /// dilation 1, at least <see cref="WinogradMinChannels"/> input channels, output channels a multiple of 16.
    /// </summary>
    internal static bool WinogradShape(in Conv2DGeometry g)
        => g.KernelHeight == 5 && g.KernelWidth == 5 && g.StrideHeight == 1 && g.StrideWidth == 1 && g.DilationHeight == 1 && g.DilationWidth == 1
        && g.InChannels >= WinogradMinChannels && g.OutChannels % 16 == 0;

    /// <summary>Whether the forward pass can run as <see cref="ConvolutionWinograd"/> at this width: <see cref="WinogradShape"/> with Vector512.</summary>
    internal static bool WinogradPossible(in Conv2DGeometry g, SimdWidth width)
        => width == SimdWidth.Vector512 && Avx512F.IsSupported && WinogradShape(in g);

    /// <summary>Output positions per sample from which the forward pass runs as <see cref="ConvolutionWinograd"/> when it can.</summary>
    internal const int WinogradMinPositions = 49;

    /// <summary>
    /// Whether the forward pass runs as <see cref="ConvolutionWinograd"/> (F(2×2, 5×5)) rather than directly: when it
    /// can (<see cref="WinogradPossible"/>) and each sample has at least <see cref="WinogradMinPositions"/> outputs,
    /// whatever the batch. The direct kernel already runs near the FMA peak, so only fewer multiplies help (2.78× fewer
    /// in the products). Measured (one core, Vector512, µs a sample, best of 15, Winograd / best direct): the CNN's
    /// 16→32 5x5 pad 2 on 14x14 29.8 / 46.9 at batch 64 and 32.9 / 51.3 at batch 1; at batch 16, 8→16 on 28x28
    /// 42.1 / 50.6, 16→32 on 28x28 119 / 188, 32→32 on 14x14 54.8 / 93.4, 32→64 on 7x7 50.8 / 59.9, 64→64 on 8x8
    /// 99.6 / 123, 8→32 valid on 14x14 (10x10 outputs) 12.2 / 14.8; at batch 4, 16→48 on 20x33 220 / 259. The one loss,
    /// 16→16 valid on 5x5 (one output: the per-call filter transform, ~4 µs for 16×32 filters, for one tile) 3.5 / 0.9;
    /// planes between 1 and 49 outputs were not measured.
    /// </summary>
    internal static bool Winograd(in Conv2DGeometry g, int batch, SimdWidth width)
        => WinogradPossible(in g, width) && g.OutHeight * g.OutWidth >= WinogradMinPositions;

    /// <summary>
    /// <c>y = act(conv(x, w) + bias)</c> by <see cref="ConvolutionWinograd"/>: transforms the filters into
    /// <paramref name="scratch"/> (unless <paramref name="packed"/> holds them), then splits the samples, or a sample's chunks of tiles, across threads.
    /// </summary>
    private static unsafe void RunWinograd<TActivation>(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2DGeometry g, int batch, Span<float> scratch, TActivation activation, PackedConvolution? packed)
        where TActivation : struct, IActivation
    {
        if (batch == 0)
        {
            return;
        }
        bool fused = PanelGemm.IsFused<TActivation>();
        int channels = g.OutChannels;
        fixed (float* px = x, py = y, pw = weight, ps = scratch)
        {
            // The filters start on a cache line (the scratch array need not): the products load them unaligned otherwise, every one split.
            float* filters = packed is not null ? packed.Filters : PackBuffer.Align64(ps);
            var job = new WinogradJob { X = px, Y = py, Filters = filters };
            ConvolutionWinograd.Prepare(ref job, in g);
            float* paddedBias = filters + 36 * ConvolutionWinograd.FilterStride(g.InChannels, channels);
            if (packed is null)
            {
                ConvolutionWinograd.TransformFilters(pw, filters, paddedBias + channels, g.InChannels, channels);
                var biasSpan = new Span<float>(paddedBias, channels);
                biasSpan.Clear();
                bias.CopyTo(biasSpan);
            }
            job.Bias = paddedBias;
            job.NegativeSlope = PanelGemm.NegativeSlope(activation);

            // Threads split samples; with fewer samples than threads, each sample's chunks in parts. Whether to split
            // is judged on the direct convolution's FLOP, as for RunDirect: the products' 36·C·O multiply-adds a tile
            // leave out the padding and transforms, a third of the time, and the CNN's second layer at batch 1 (~25 µs,
            // 1.8 MFLOP of products) stayed on one thread.
            int threads = KernelPool.ThreadsFor(2L * g.KernelHeight * g.KernelWidth * g.InChannels * channels * g.OutHeight * g.OutWidth * batch);
            job.Parts = batch < threads ? Math.Min(job.Chunks, (threads + batch - 1) / batch) : 1;
            delegate*<void*, int, int, void> body = fused ? &ConvolutionWinograd.RunItems<TActivation> : &ConvolutionWinograd.RunItems<IdentityActivation>;
            PackBuffer.Get(ConvolutionWinograd.BufferLength(in job)); // the caller may claim no item this time and one next time: size its buffer now
            KernelRange.Run(&job, body, batch * job.Parts, threads);
        }
        if (!fused)
        {
            activation.Forward(y.Slice(0, batch * g.OutputSize), g.OutHeight * g.OutWidth);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Direct convolution
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>Output channels from which the forward pass is a direct convolution (the generator's comments state the same rule).</summary>
    internal const int DirectMinChannels = 8;

    /// <summary>Forward input channels from which the input gradient is a direct convolution (when it can be one).</summary>
    internal const int DirectMinInputGradientChannels = 16;

    /// <summary>
    /// Whether the forward pass runs as a direct convolution (<see cref="ConvolutionDirect"/>) rather than im2col + GEMM:
    /// from <see cref="DirectMinChannels"/> output channels. Measured (one core, Vector512, batch 16, GFLOP/s direct
    /// against im2col): the CNN's 1→16 5x5 on 28x28 72 / 48, its 16→32 5x5 on 14x14 111 / 78 (batch 64), 8→64 3x3 on
    /// 14x14 105 / 68, 32→32 3x3 on 7x7 73 / 63, 16→32 3x3 stride 2 on 28x28 73 / 45, 16→8 3x3 on 28x28 40 / 36;
    /// the one loss, 3→24 3x3 on 32x32 (52 / 58: 24 channels fill 3/4 of two vectors), is small. Fewer channels than
    /// 8 would leave most of each vector of channels empty.
    /// </summary>
    internal static bool DirectForward(in Conv2DGeometry g) => g.OutChannels >= DirectMinChannels;

    /// <summary>
    /// Whether a direct forward pass puts output positions in vector lanes (rows of 16 or more positions) rather than
    /// output channels (<see cref="ConvolutionDirect"/>). Positions in lanes need no transpose of the finished tile,
    /// which the channel kernel pays per output (heavy when <c>K</c> is short), but waste the overlap of a row's last
    /// vector; channels in lanes waste only a partial block of channels. So positions win unless the channels fill
    /// whole blocks of 32 and the rows do not fill whole vectors of 16. Measured (GFLOP/s, one core, Vector512, batch
    /// 16; positions / channels / im2col): 1→16 5x5 on 28x28 (the CNN's first layer) 87 / 72 / 48, 3→24 3x3 on 32x32
    /// 98 / 52 / 58, 16→8 3x3 on 28x28 87 / 40 / 36, 16→16 3x3 on 20x20 65 / 58 / 54, 32→32 3x3 on 32x32 107 / 83 / 86;
    /// the exception, 16→32 3x3 on 28x28, 95 / 107 / 79.
    /// </summary>
    internal static bool DirectPositionLanes(in Conv2DGeometry g)
        => g.OutWidth >= 16 && !(g.OutChannels % 32 == 0 && g.OutWidth % 16 != 0);

    /// <summary>
    /// Whether a positions-in-lanes forward pass runs its vectors over the output plane as one flat line
    /// (<see cref="ConvolutionDirect.FlatLanes"/>) rather than row by row: at stride 1, when rows do not fill whole
    /// vectors of 16 (so row by row wastes the lanes of each row's overlap) and the plane holds at least one vector
    /// of 16. Measured on the CNN's first layer (1→16 5x5 on 28x28, batch 64, one core, Vector512, best of 31, runs
    /// alternated with the row-by-row build): 7.4 → 6.7 µs a sample (85 → 94 GFLOP/s).
    /// </summary>
    internal static bool DirectFlatLanes(in Conv2DGeometry g)
        => g.StrideHeight == 1 && g.StrideWidth == 1 && g.OutWidth % 16 != 0 && g.OutHeight * g.OutWidth >= 16;

    /// <summary>
    /// Whether a direct input gradient puts positions in vector lanes: when its output channels (the forward's input
    /// channels) fit one vector of 16, where channels in lanes would broadcast one input per FMA, and its rows fill at
    /// least 3/4 of a vector. Measured on the CNN's second layer (16 channels, rows of 14 in lanes of 16), batch 64: 57 µs a
    /// sample against 62 with channels in lanes.
    /// </summary>
    internal static bool DirectInputGradientLanes(in Conv2DGeometry g) => g.InChannels <= 16 && g.InWidth >= 12;

    /// <summary>
    /// Whether the input gradient runs as a direct convolution when it can (<see cref="DirectInputGradientPossible"/>):
    /// its output channels are the forward's input channels, so it needs <see cref="DirectMinInputGradientChannels"/>
    /// of them. Measured (batch 16, the whole backward pass): 16→32 5x5 on 14x14 110 / 100 GFLOP/s (direct / im2col),
    /// 32→32 3x3 on 10x10 114 / 98; with 8 input channels (8→64 3x3 on 14x14) 72 / 106, with 3 (3→24) 29 / 86.
    /// </summary>
    internal static bool DirectInputGradient(in Conv2DGeometry g) => g.InChannels >= DirectMinInputGradientChannels;

    /// <summary>
    /// Whether <c>dx</c> is a plain convolution of <c>dz</c>: stride 1, and no padding wider than the dilated kernel
    /// (<c>pad ≤ (K − 1)·d</c> on every side), so <c>dz</c> needs a non-negative padding.
    /// </summary>
    internal static bool DirectInputGradientPossible(in Conv2DGeometry g)
        => g.StrideHeight == 1 && g.StrideWidth == 1
        && g.PadTop <= (g.KernelHeight - 1) * g.DilationHeight && g.PadBottom <= (g.KernelHeight - 1) * g.DilationHeight
        && g.PadLeft <= (g.KernelWidth - 1) * g.DilationWidth && g.PadRight <= (g.KernelWidth - 1) * g.DilationWidth;

    /// <summary>
    /// The convolution that gives <c>dx</c> from <c>dz</c> at stride 1:
    /// <c>dx[c, i, j] = Σ_o Σ_kh,kw dz[o, i + padTop − kh·dh, j + padLeft − kw·dw] · W[o, c, kh, kw]</c>, which with
    /// <c>kh' = KH − 1 − kh</c> is a correlation of <c>dz</c> (O channels, OH × OW) padded by <c>(KH − 1)·dh − padTop</c>
    /// (and so on for each side) with <c>W'[c, o, kh', kw'] = W[o, c, KH − 1 − kh', KW − 1 − kw']</c>.
    /// </summary>
    internal static Conv2DGeometry InputGradientGeometry(in Conv2DGeometry g)
    {
        int spanHeight = (g.KernelHeight - 1) * g.DilationHeight, spanWidth = (g.KernelWidth - 1) * g.DilationWidth;
        return new Conv2DGeometry(g.OutChannels, g.OutHeight, g.OutWidth, g.InChannels, g.KernelHeight, g.KernelWidth,
            PadTop: spanHeight - g.PadTop, PadLeft: spanWidth - g.PadLeft, PadBottom: spanHeight - g.PadBottom, PadRight: spanWidth - g.PadRight,
            DilationHeight: g.DilationHeight, DilationWidth: g.DilationWidth);
    }

    /// <summary>
    /// Whether the weight gradient runs direct (<see cref="ConvolutionDirect.RunWeightGradientItems{TSimd, TVec}"/>)
    /// rather than as im2col + a product: by the forward pass's rule, <see cref="DirectMinChannels"/> output channels.
    /// It skips building <c>col</c> and packing it for a product whose depth is one sample's positions. Measured
    /// (GFLOP/s, one core, Vector512, batch 16 unless said; direct / im2col): the CNN's 16→32 5x5 on 14x14 at batch 64
    /// 106 / 65, its 1→16 5x5 on 28x28 54 / 53, 32→32 3x3 on 32x32 103 / 42, 8→64 3x3 on 14x14 91 / 59, 16→8 3x3 on
    /// 28x28 39 / 30, 16→32 3x3 stride 2 on 28x28 46 / 30; no shape measured was slower.
    /// </summary>
    internal static bool DirectWeightGradient(in Conv2DGeometry g) => g.OutChannels >= DirectMinChannels;

    /// <summary>
    /// <c>dW[o, t] = Σ_s Σ_p dz[s, o, p] · xpad_s[offset(t) + p]</c> by <see cref="ConvolutionDirect"/>: accumulated
    /// transposed, <c>dWᵀ[K][O]</c>, in <paramref name="scratch"/>, threads sharing out blocks of taps (each element
    /// summed by one thread in one order), then transposed into <paramref name="weightGradient"/>.
    /// </summary>
    private static unsafe void RunDirectWeightGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> outputGradient, Span<float> weightGradient,
        in Conv2DGeometry g, int batch, Span<float> scratch, SimdWidth width)
    {
        int depth = Depth(in g), channels = g.OutChannels, positions = g.OutHeight * g.OutWidth;
        int lanes = SimdDispatch.Lanes(width), stride = (channels + lanes - 1) / lanes * lanes;
        fixed (float* px = x, pdz = outputGradient, ps = scratch, pw = weightGradient)
        {
            var job = new DirectJob { X = px, Y = pdz, Weights = ps, Batch = batch };
            int* offsets = (int*)(ps + ConvolutionDirect.PackedLength(depth, channels));
            ConvolutionDirect.Prepare(ref job, in g, offsets);
            new Span<float>(ps, depth * stride).Clear();
            int threads = KernelPool.ThreadsFor(2L * depth * channels * positions * batch);
            delegate*<void*, int, int, void> body = width switch
            {
                SimdWidth.Vector512 => &ConvolutionDirect.RunWeightGradientItems<Simd512, Vector512<float>>,
                SimdWidth.Vector256 => &ConvolutionDirect.RunWeightGradientItems<Simd256, Vector256<float>>,
                SimdWidth.Vector128 => &ConvolutionDirect.RunWeightGradientItems<Simd128, Vector128<float>>,
                _ => &ConvolutionDirect.RunWeightGradientItems<SimdScalar, float>,
            };
            PackBuffer.Get(ConvolutionDirect.GradientBufferLength(in job)); // the caller may claim no item this time and one next time: size its buffer now
            KernelRange.Run(&job, body, ConvolutionDirect.WeightGradientItems(in job, width), threads);
            // dW[o, t] = dWᵀ[t, o]
            ConvolutionDirect.Transpose(ps, stride, pw, depth, depth, channels);
        }
    }

    /// <summary>Floats of scratch the direct convolution of <paramref name="g"/> needs: packed weights, tap offsets, padded bias.</summary>
    private static int DirectScratchSize(in Conv2DGeometry g)
    {
        int depth = Depth(in g);
        return ConvolutionDirect.PackedLength(depth, g.OutChannels) + depth + ConvolutionDirect.BiasLength(g.OutChannels);
    }

    /// <summary>
    /// <c>y = act(conv(x, w) + bias)</c> by <see cref="ConvolutionDirect"/> (<paramref name="flipTransposed"/>: with the
    /// flipped, transposed weights of the forward convolution <paramref name="weight"/> belongs to, for the input
    /// gradient). Packs the weights into <paramref name="scratch"/>, then splits the samples across threads.
    /// </summary>
    private static unsafe void RunDirect<TActivation>(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2DGeometry g, int batch, Span<float> scratch, TActivation activation, SimdWidth width, bool flipTransposed, bool positionLanes, bool flatLanes = false)
        where TActivation : struct, IActivation
    {
        if (batch == 0)
        {
            return;
        }
        int depth = Depth(in g), channels = g.OutChannels, positions = g.OutHeight * g.OutWidth;
        bool fused = PanelGemm.IsFused<TActivation>();
        fixed (float* px = x, py = y, ps = scratch)
        {
            var job = new DirectJob { X = px, Y = py, Weights = ps };
            int* offsets = (int*)(ps + ConvolutionDirect.PackedLength(depth, channels));
            float* paddedBias = (float*)(offsets + depth);
            ConvolutionDirect.Prepare(ref job, in g, offsets);
            if (positionLanes)
            {
                ConvolutionDirect.PackWeightsForLanes(weight, ps, channels, depth, flipTransposed, g.KernelHeight * g.KernelWidth);
            }
            else
            {
                ConvolutionDirect.PackWeights(weight, ps, channels, depth, width, flipTransposed, g.KernelHeight * g.KernelWidth);
            }
            job.PositionLanes = positionLanes;
            if (positionLanes && flatLanes && g.StrideHeight == 1 && g.StrideWidth == 1 && g.OutHeight * g.OutWidth >= SimdDispatch.Lanes(width))
            {
                ConvolutionDirect.PrepareFlat(ref job, in g);
            }
            var biasSpan = new Span<float>(paddedBias, ConvolutionDirect.BiasLength(channels));
            biasSpan.Clear();
            bias.CopyTo(biasSpan);
            job.Bias = paddedBias;
            job.NegativeSlope = PanelGemm.NegativeSlope(activation);

            // Threads split samples; with fewer samples than threads, each sample's rows in parts.
            int threads = KernelPool.ThreadsFor(2L * depth * channels * positions * batch);
            job.Parts = batch < threads ? Math.Min(g.OutHeight, (threads + batch - 1) / batch) : 1;
            delegate*<void*, int, int, void> body = (width, fused) switch
            {
                (SimdWidth.Vector512, true) => &ConvolutionDirect.RunItems<Simd512, Vector512<float>, TActivation>,
                (SimdWidth.Vector512, false) => &ConvolutionDirect.RunItems<Simd512, Vector512<float>, IdentityActivation>,
                (SimdWidth.Vector256, true) => &ConvolutionDirect.RunItems<Simd256, Vector256<float>, TActivation>,
                (SimdWidth.Vector256, false) => &ConvolutionDirect.RunItems<Simd256, Vector256<float>, IdentityActivation>,
                (SimdWidth.Vector128, true) => &ConvolutionDirect.RunItems<Simd128, Vector128<float>, TActivation>,
                (SimdWidth.Vector128, false) => &ConvolutionDirect.RunItems<Simd128, Vector128<float>, IdentityActivation>,
                (_, true) => &ConvolutionDirect.RunItems<SimdScalar, float, TActivation>,
                _ => &ConvolutionDirect.RunItems<SimdScalar, float, IdentityActivation>,
            };
            PackBuffer.Get(ConvolutionDirect.ForwardBufferLength(in job)); // the caller may claim no item this time and one next time: size its buffer now
            KernelRange.Run(&job, body, batch * job.Parts, threads);
        }
        if (!fused)
        {
            activation.Forward(y.Slice(0, batch * g.OutputSize), positions);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // im2col and its adjoint
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Writes one sample's columns: <c>col[(c, kh, kw), offset + (oh, ow)] = x[c, oh·sh − padTop + kh·dh, ow·sw − padLeft + kw·dw]</c>,
    /// 0 in the padding; rows of <c>col</c> are <paramref name="rowStride"/> apart. With padding, the sample is first
    /// copied into <paramref name="padded"/> (<c>[C, H + padTop + padBottom, W + padLeft + padRight]</c>, zero borders),
    /// so every line of <c>col</c> is a plain copy (stride 1) or gather, with no bounds to check.
    /// </summary>
    private static void Im2Col(ReadOnlySpan<float> x, Span<float> col, in Conv2DGeometry g, int offset, int rowStride, Span<float> padded)
    {
        int paddedHeight = g.InHeight + g.PadTop + g.PadBottom, paddedWidth = g.InWidth + g.PadLeft + g.PadRight;
        ReadOnlySpan<float> source = x;
        if (HasPadding(in g))
        {
            padded = padded.Slice(0, g.InChannels * paddedHeight * paddedWidth);
            padded.Clear();
            for (int c = 0; c < g.InChannels; c++)
            {
                for (int h = 0; h < g.InHeight; h++)
                {
                    x.Slice((c * g.InHeight + h) * g.InWidth, g.InWidth).CopyTo(padded.Slice((c * paddedHeight + h + g.PadTop) * paddedWidth + g.PadLeft, g.InWidth));
                }
            }
            source = padded;
        }

        int outHeight = g.OutHeight, outWidth = g.OutWidth, stride = g.StrideWidth;
        int positions = outHeight * outWidth;
        Debug.Assert(col.Length >= (long)rowStride * (Depth(in g) - 1) + offset + positions);
        ref float x0 = ref MemoryMarshal.GetReference(source);
        ref float row = ref Unsafe.Add(ref MemoryMarshal.GetReference(col), offset);
        for (int c = 0; c < g.InChannels; c++)
        {
            ref float plane = ref Unsafe.Add(ref x0, c * paddedHeight * paddedWidth);
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int kw = 0; kw < g.KernelWidth; kw++, row = ref Unsafe.Add(ref row, rowStride))
                {
                    ref float first = ref Unsafe.Add(ref plane, kh * g.DilationHeight * paddedWidth + kw * g.DilationWidth);
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        ref float from = ref Unsafe.Add(ref first, oh * g.StrideHeight * paddedWidth);
                        ref float to = ref Unsafe.Add(ref row, oh * outWidth);
                        if (stride == 1)
                        {
                            Copy(ref from, ref to, outWidth);
                        }
                        else
                        {
                            for (int ow = 0; ow < outWidth; ow++)
                            {
                                Unsafe.Add(ref to, ow) = Unsafe.Add(ref from, ow * stride);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col"/>: overwrites one sample's <c>dx</c> with the sum, over every column entry
    /// that read an input, of that entry of <paramref name="col"/> (accumulated in <paramref name="padded"/> when the
    /// convolution pads, then its interior copied out).
    /// </summary>
    private static void Col2Im(ReadOnlySpan<float> col, Span<float> dx, in Conv2DGeometry g, int offset, int rowStride, Span<float> padded)
    {
        int paddedHeight = g.InHeight + g.PadTop + g.PadBottom, paddedWidth = g.InWidth + g.PadLeft + g.PadRight;
        bool hasPadding = HasPadding(in g);
        Span<float> target = hasPadding ? padded.Slice(0, g.InChannels * paddedHeight * paddedWidth) : dx;
        target.Clear();

        int outHeight = g.OutHeight, outWidth = g.OutWidth, stride = g.StrideWidth;
        int positions = outHeight * outWidth;
        Debug.Assert(col.Length >= (long)rowStride * (Depth(in g) - 1) + offset + positions);
        ref float x0 = ref MemoryMarshal.GetReference(target);
        ref float row = ref Unsafe.Add(ref MemoryMarshal.GetReference(col), offset);
        for (int c = 0; c < g.InChannels; c++)
        {
            ref float plane = ref Unsafe.Add(ref x0, c * paddedHeight * paddedWidth);
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int kw = 0; kw < g.KernelWidth; kw++, row = ref Unsafe.Add(ref row, rowStride))
                {
                    ref float first = ref Unsafe.Add(ref plane, kh * g.DilationHeight * paddedWidth + kw * g.DilationWidth);
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        ref float to = ref Unsafe.Add(ref first, oh * g.StrideHeight * paddedWidth);
                        ref float from = ref Unsafe.Add(ref row, oh * outWidth);
                        if (stride == 1)
                        {
                            AddTo(ref from, ref to, outWidth);
                        }
                        else
                        {
                            for (int ow = 0; ow < outWidth; ow++)
                            {
                                Unsafe.Add(ref to, ow * stride) += Unsafe.Add(ref from, ow);
                            }
                        }
                    }
                }
            }
        }

        if (hasPadding)
        {
            for (int c = 0; c < g.InChannels; c++)
            {
                for (int h = 0; h < g.InHeight; h++)
                {
                    target.Slice((c * paddedHeight + h + g.PadTop) * paddedWidth + g.PadLeft, g.InWidth).CopyTo(dx.Slice((c * g.InHeight + h) * g.InWidth, g.InWidth));
                }
            }
        }
    }

    /// <summary><c>to[0..length] = from[0..length]</c>: 8, then 4, then 1 float at a time (lines are short, often 14 or 28).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(ref float from, ref float to, int length)
    {
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref from, (nuint)i), ref to, (nuint)i);
        }
        if (i + 4 <= length)
        {
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref from, (nuint)i), ref to, (nuint)i);
            i += 4;
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i);
        }
    }

    /// <summary><c>to[0..length] += from[0..length]</c>, the same way as <see cref="Copy"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(ref float from, ref float to, int length)
    {
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            (Vector256.LoadUnsafe(ref to, (nuint)i) + Vector256.LoadUnsafe(ref from, (nuint)i)).StoreUnsafe(ref to, (nuint)i);
        }
        if (i + 4 <= length)
        {
            (Vector128.LoadUnsafe(ref to, (nuint)i) + Vector128.LoadUnsafe(ref from, (nuint)i)).StoreUnsafe(ref to, (nuint)i);
            i += 4;
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref to, i) += Unsafe.Add(ref from, i);
        }
    }

    private static bool HasPadding(in Conv2DGeometry g) => (g.PadTop | g.PadLeft | g.PadBottom | g.PadRight) != 0;

    /// <summary>Floats of the zero-padded copy of one sample, or 0 without padding.</summary>
    private static int PaddedSize(in Conv2DGeometry g)
        => HasPadding(in g) ? g.InChannels * (g.InHeight + g.PadTop + g.PadBottom) * (g.InWidth + g.PadLeft + g.PadRight) : 0;

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

/// <summary>How a convolution runs: chosen per shape (<see cref="Auto"/>), or forced (tests run both on every shape).</summary>
internal enum ConvolutionAlgorithm
{
    /// <summary>By the shape: <see cref="Convolution.DirectForward"/>, <see cref="Convolution.DirectInputGradient"/>.</summary>
    Auto,
    /// <summary>im2col + the packed GEMM.</summary>
    Im2Col,
    /// <summary><see cref="ConvolutionDirect"/> with channels in vector lanes, for the forward pass and both gradients (the input gradient only at stride 1, see <see cref="Convolution.DirectInputGradientPossible"/>).</summary>
    Direct,
    /// <summary><see cref="ConvolutionDirect"/> with output positions in vector lanes (the forward pass and the input gradient; the weight gradient as <see cref="Direct"/>).</summary>
    DirectPositionLanes,
    /// <summary>As <see cref="DirectPositionLanes"/>, the vectors over each output plane as one flat line (<see cref="ConvolutionDirect.FlatLanes"/>; stride 1 only, else row by row).</summary>
    DirectFlatLanes,
    /// <summary><see cref="ConvolutionWinograd"/> for the forward pass where <see cref="Convolution.WinogradPossible"/>, else as <see cref="Auto"/>; the backward pass as <see cref="Auto"/>.</summary>
    Winograd,
}
