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
/// </para>
/// </remarks>
public sealed unsafe class PackedWeights
{
    // Pinned (on the pinned object heap), so the addresses of the aligned starts never move.
    private readonly float[] _buffer;
    private readonly float[] _rowBlocks;

    /// <summary>Packs <paramref name="weights"/> <c>[outputs, inputs]</c> and <paramref name="bias"/> (<c>[outputs]</c>, or empty for none).</summary>
    /// <exception cref="ArgumentException">A length does not match the sizes.</exception>
    public PackedWeights(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int inputs)
        : this(weights, bias, outputs, inputs, SimdDispatch.ForPanels(outputs), SimdDispatch.BestForStreaming)
    {
    }

    /// <summary>Packs for the kernels at a given width (tests; the public constructor packs for the widths products of this shape run at).</summary>
    internal PackedWeights(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int inputs, SimdWidth width)
        : this(weights, bias, outputs, inputs, width, width)
    {
    }

    private PackedWeights(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int inputs, SimdWidth width, SimdWidth rowWidth)
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
        _rowBlocks = GC.AllocateArray<float>(checked(outputs / 8 * 8 * inputs + 16), pinned: true);
        Gemm.PackRowBlocks(weights, outputs, inputs, SimdDispatch.Lanes(rowWidth), RowBlocks);
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
    internal float* RowBlocks => PackBuffer.Align64((float*)Unsafe.AsPointer(ref _rowBlocks[0]));
}
