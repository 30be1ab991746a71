using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NetDsl.Kernels;

/// <summary>
/// A dense layer's weights <c>W[n,k]</c> (PyTorch's <c>[out, in]</c> layout) and bias, packed once into the column
/// panels that the batched kernel of <see cref="Gemm.MultiplyTransposedB{TActivation}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, TActivation, PackedWeights?)"/>
/// would otherwise pack on every call.
/// </summary>
/// <remarks>
/// <para>
/// A copy, taken when it is made: later changes to the weights do not reach it. That is what makes it safe — a network's
/// <c>Parameters</c> can be written at any time, so only an object that owns its copy (a generated network's
/// <c>Predictor</c>) keeps one. The product with it gives the same bits as the product that packs on the way.
/// </para>
/// <para>
/// What it saves is the packing: every panel of <c>W</c> transposed into <c>k</c> rows of 32 floats once per call,
/// which the call's row tiles then share, and the cache misses of reading <c>W</c> across its rows. Measured on MLP-M
/// (784-512-256-10, one core, best of 41 blocks, network against its predictor): batch 4 142 → 78 µs, batch 16
/// 217 → 152, batch 64 692 → 611, batch 256 2,717 → 2,491.
/// </para>
/// <para>
/// Batches of fewer than <see cref="Gemm.PanelMinRows"/> rows are matrix-vector products that read every weight once
/// per sample; for them it keeps a second copy of <c>W</c>, its blocks of 8 rows interleaved so that each is one
/// contiguous stream (why, and the figures, in <c>Gemm.DotLayout</c>). Together the two copies take twice the weights' size.
/// For a layer whose inputs are often zero, the second copy is laid out input by input instead (column groups, see
/// <c>Gemm.ColumnProducts</c>), so the product skips the weights of zero inputs: measured on one core, a 512 → 256
/// layer at batch 1 takes 3.0 µs with half its inputs zero and 2.05 µs with three quarters, against 4.8 µs for the
/// row blocks; with no zero input it takes 5.1 µs.
/// </para>
/// </remarks>
public sealed unsafe class PackedWeights
{
    // Pinned (on the pinned object heap), so the addresses of the aligned starts never move.
    private readonly float[] _buffer;
    // The copy for batches below Gemm.PanelMinRows: row blocks, or column groups where ColumnWidth is set.
    private readonly float[] _fewRows;

    /// <summary>Packs <paramref name="weights"/> <c>[outputs, inputs]</c> and <paramref name="bias"/> (<c>[outputs]</c>, or empty for none).</summary>
    /// <exception cref="ArgumentException">A length does not match the sizes.</exception>
    public PackedWeights(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int inputs)
        : this(weights, bias, outputs, inputs, inputsOftenZero: false)
    {
    }

    /// <summary>
    /// Packs <paramref name="weights"/> <c>[outputs, inputs]</c> and <paramref name="bias"/> (<c>[outputs]</c>, or empty
    /// for none); with <paramref name="inputsOftenZero"/>, for batch-1 products that skip the inputs that are zero.
    /// </summary>
    /// <param name="weights">The weights, <c>[outputs, inputs]</c>.</param>
    /// <param name="bias">The bias, <c>[outputs]</c>, or empty for none.</param>
    /// <param name="outputs">The layer's outputs.</param>
    /// <param name="inputs">The layer's inputs.</param>
    /// <param name="inputsOftenZero">
    /// The layer's inputs are often zero (a ReLU's outputs, about half of them): batches below four samples then read
    /// the weights input by input and skip the columns of the inputs that are zero. Same bits either way; where the
    /// shape or the hardware does not allow it (the outputs not a multiple of 64 or 128, no AVX2), the weights are
    /// packed as without it.
    /// </param>
    /// <exception cref="ArgumentException">A length does not match the sizes.</exception>
    public PackedWeights(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int inputs, bool inputsOftenZero)
        : this(weights, bias, outputs, inputs, SimdDispatch.ForPanels(outputs), SimdDispatch.BestForStreaming,
            inputsOftenZero ? SimdDispatch.Best : SimdWidth.Scalar)
    {
    }

    /// <summary>Packs for the kernels at a given width, in row blocks (tests; the public constructors pack for the widths products of this shape run at).</summary>
    internal PackedWeights(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int inputs, SimdWidth width)
        : this(weights, bias, outputs, inputs, width, width, SimdWidth.Scalar)
    {
    }

    /// <summary>
    /// Packs for the panels at <paramref name="width"/> and the few-row products at <paramref name="rowWidth"/>: in
    /// column groups of <paramref name="columnWidth"/> where <see cref="Gemm.ColumnGroupWidth"/> allows them, else
    /// (and always for <see cref="SimdWidth.Scalar"/>) in row blocks.
    /// </summary>
    internal PackedWeights(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int inputs, SimdWidth width, SimdWidth rowWidth,
        SimdWidth columnWidth)
    {
        Guard.Sizes(1, outputs, inputs);
        Guard.Length(weights.Length, outputs, inputs, nameof(weights), "outputs·inputs");
        if (!bias.IsEmpty)
        {
            Guard.Length(bias.Length, 1, outputs, nameof(bias), "outputs (or empty)");
        }
        Outputs = outputs;
        Inputs = inputs;
        HasBias = !bias.IsEmpty;
        Width = width;
        (int panels, int stride) = width switch
        {
            SimdWidth.Vector512 => (PanelGemm.PanelCount<Simd512, Vector512<float>>(outputs), PanelGemm.PackedStride<Simd512, Vector512<float>>(inputs)),
            SimdWidth.Vector256 => (PanelGemm.PanelCount<Simd256, Vector256<float>>(outputs), PanelGemm.PackedStride<Simd256, Vector256<float>>(inputs)),
            SimdWidth.Vector128 => (PanelGemm.PanelCount<Simd128, Vector128<float>>(outputs), PanelGemm.PackedStride<Simd128, Vector128<float>>(inputs)),
            _ => (PanelGemm.PanelCount<SimdScalar, float>(outputs), PanelGemm.PackedStride<SimdScalar, float>(inputs)),
        };
        PanelStride = stride;
        _buffer = GC.AllocateArray<float>(checked(panels * stride + 16), pinned: true);
        fixed (float* w = weights, b = bias)
        {
            // A(i,p) is unused; B(p,j) = W[j·k + p], as in the forward product.
            var job = new PanelJob { B = w, Bias = bias.IsEmpty ? null : b, N = outputs, K = inputs, BDepthStride = 1, BColumnStride = inputs };
            switch (width)
            {
                case SimdWidth.Vector512: PanelGemm.PackAll<Simd512, Vector512<float>>(in job, Panels); break;
                case SimdWidth.Vector256: PanelGemm.PackAll<Simd256, Vector256<float>>(in job, Panels); break;
                case SimdWidth.Vector128: PanelGemm.PackAll<Simd128, Vector128<float>>(in job, Panels); break;
                default: PanelGemm.PackAll<SimdScalar, float>(in job, Panels); break;
            }
        }
        RowWidth = rowWidth;
        ColumnWidth = Gemm.ColumnGroupWidth(outputs, rowWidth, columnWidth);
        if (ColumnWidth == SimdWidth.Scalar)
        {
            _fewRows = GC.AllocateArray<float>(checked(outputs / 8 * 8 * inputs + 16), pinned: true);
            Gemm.PackRowBlocks(weights, outputs, inputs, SimdDispatch.Lanes(rowWidth), RowBlocks);
        }
        else
        {
            ColumnOrder = new int[inputs];
            ColumnSegmentEnds = new int[Gemm.ColumnSegments];
            Gemm.ColumnOrder(inputs, ColumnOrder, ColumnSegmentEnds);
            _fewRows = GC.AllocateArray<float>(checked(outputs * inputs + 16), pinned: true);
            Gemm.PackColumnGroups(weights, outputs, inputs, Gemm.ColumnGroupRows(ColumnWidth), ColumnOrder, ColumnGroups);
            ColumnsFinite = GradientKernels.AllFinite(weights, SimdDispatch.Best);
        }
    }

    /// <summary>Rows of the weights: the layer's outputs <c>n</c>.</summary>
    public int Outputs { get; }

    /// <summary>Columns of the weights: the layer's inputs <c>k</c>.</summary>
    public int Inputs { get; }

    /// <summary>Whether a bias was packed with the weights.</summary>
    public bool HasBias { get; }

    /// <summary>The vector width the panels were packed for (a panel is two vectors wide).</summary>
    internal SimdWidth Width { get; }

    /// <summary>Floats from one panel to the next.</summary>
    internal nint PanelStride { get; }

    /// <summary>The first panel, 64-byte aligned.</summary>
    internal float* Panels => PackBuffer.Align64((float*)Unsafe.AsPointer(ref _buffer[0]));

    /// <summary>The vector width the row blocks were interleaved for (the width of batches below <see cref="Gemm.PanelMinRows"/>).</summary>
    internal SimdWidth RowWidth { get; }

    /// <summary>
    /// The whole blocks of 8 rows of <c>W</c>, each interleaved into one stream for the matrix-vector products of
    /// batches below <see cref="Gemm.PanelMinRows"/> (<see cref="Gemm.PackRowBlocks"/>), 64-byte aligned.
    /// </summary>
    internal float* RowBlocks => PackBuffer.Align64((float*)Unsafe.AsPointer(ref _fewRows[0]));

    /// <summary>
    /// The width of the column groups that replace the row blocks (<see cref="Gemm.ColumnGroupWidth"/>), or
    /// <see cref="SimdWidth.Scalar"/> for none.
    /// </summary>
    internal SimdWidth ColumnWidth { get; }

    /// <summary>
    /// <c>W</c> in groups of <see cref="Gemm.ColumnGroupRows"/> rows, each input by input (<see cref="Gemm.PackColumnGroups"/>),
    /// for the matrix-vector products that skip zero inputs; 64-byte aligned. Set where <see cref="ColumnWidth"/> is.
    /// </summary>
    internal float* ColumnGroups => RowBlocks;

    /// <summary>The input at each position of the column groups, and where each segment of them ends (<see cref="Gemm.ColumnOrder"/>).</summary>
    internal int[]? ColumnOrder { get; }

    /// <inheritdoc cref="ColumnOrder"/>
    internal int[]? ColumnSegmentEnds { get; }

    /// <summary>Whether every weight is finite, so that a zero input's column can be skipped without changing a result.</summary>
    internal bool ColumnsFinite { get; }
}
