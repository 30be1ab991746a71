using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetDsl.Kernels;

/// <summary>
/// Single-precision matrix products on row-major spans, the building block of dense (and later convolutional and
/// recurrent) layers. Sizes are passed explicitly; generated code passes them as constants.
/// </summary>
/// <remarks>
/// Each product is written once, generic over an <see cref="ISimd{TVec}"/> width, and dispatched to the widest width
/// the hardware accelerates. Two shapes of work:
/// <list type="bullet">
/// <item><description>
/// Batches of at least <see cref="PanelMinRows"/> rows run the panel-packed, register-blocked kernel of
/// <see cref="PanelGemm"/> (all three products, with bias and activation fused into its epilogue), split across
/// <see cref="KernelOptions.MaxThreads"/> threads when large.
/// </description></item>
/// <item><description>
/// Fewer rows (batch-1 inference) are matrix-vector products, bound by reading the weights: <c>a · bᵀ</c> runs
/// 8 rows of <c>b</c> at a time as dot products with 16 independent vector accumulators, its loads aligned to the
/// weights' cache lines; <c>a · b</c> and <c>aᵀ · b</c> broadcast each element of <c>a</c> into rows of <c>b</c>
/// ("axpy"). Columns past the last whole vector run through the same code at <see cref="SimdScalar"/>.
/// </description></item>
/// </list>
/// No method allocates once the calling thread's packing buffer has grown to the largest depth it has seen.
/// </remarks>
public static partial class Gemm
{
    /// <summary>Products with at least this many rows use the packed kernel; fewer run as matrix-vector products.</summary>
    internal const int PanelMinRows = 4;

    /// <summary>
    /// <c>c[m,n] = activation(a[m,k] · b[n,k]ᵀ + bias[n])</c>: a dense layer's forward pass with weights in
    /// PyTorch's <c>[out, in]</c> layout. <paramref name="bias"/> may be empty (no bias). The activation runs on
    /// each finished block of rows while it is still in cache.
    /// </summary>
    public static void MultiplyTransposedB<TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation)
        where TActivation : struct, IActivation
        => MultiplyTransposedBAt(a, b, bias, c, m, n, k, activation, m >= PanelMinRows ? SimdDispatch.ForPanels(n) : SimdDispatch.BestForStreaming);

    /// <summary>
    /// <c>c[m,n] = activation(a[m,k] · b[n,k]ᵀ + bias[n])</c>, as above, with <paramref name="b"/> and <paramref name="bias"/>
    /// also packed in <paramref name="packed"/> (or null: then exactly the method above). Batches of
    /// <see cref="PanelMinRows"/> rows and more read the packed panels and skip packing; fewer rows read the weights'
    /// blocks of 8 rows interleaved into one stream each. Same bits as without <paramref name="packed"/>. The caller promises that
    /// <paramref name="packed"/> was made from <paramref name="b"/> and <paramref name="bias"/> as they are now.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="packed"/> holds weights of another shape, or with(out) a bias where <paramref name="bias"/> is empty (not).</exception>
    public static unsafe void MultiplyTransposedB<TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation, PackedWeights? packed)
        where TActivation : struct, IActivation
    {
        if (packed is null)
        {
            MultiplyTransposedB(a, b, bias, c, m, n, k, activation);
            return;
        }
        if (packed.Outputs != n || packed.Inputs != k || packed.HasBias == bias.IsEmpty)
        {
            throw new ArgumentException(
                $"The packed weights are [{packed.Outputs}, {packed.Inputs}]{(packed.HasBias ? " with a bias" : " without a bias")}, but the product is n = {n}, k = {k}{(bias.IsEmpty ? " without a bias" : " with a bias")}: pack the weights this product uses.",
                nameof(packed));
        }
        Guard.Sizes(m, n, k);
        Guard.Length(a.Length, m, k, nameof(a), "m·k");
        Guard.Length(c.Length, m, n, nameof(c), "m·n");
        if (m < PanelMinRows)
        {
            // As without packed weights, with the weights read from the copy for few rows: the column groups (which
            // skip zero inputs) where the weights were packed in them, else the interleaved blocks of 8 rows.
            Guard.Length(b.Length, n, k, nameof(b), "n·k");
            switch (packed.ColumnWidth)
            {
                case SimdWidth.Vector512: ColumnProducts<Simd512, Vector512<float>, TActivation>(a, bias, c, m, n, k, activation, packed); return;
                case SimdWidth.Vector256: ColumnProducts<Simd256, Vector256<float>, TActivation>(a, bias, c, m, n, k, activation, packed); return;
            }
            switch (packed.RowWidth)
            {
                case SimdWidth.Vector512: DotProducts<Simd512, Vector512<float>, TActivation>(a, b, bias, c, m, n, k, activation, packed.RowBlocks); break;
                case SimdWidth.Vector256: DotProducts<Simd256, Vector256<float>, TActivation>(a, b, bias, c, m, n, k, activation, packed.RowBlocks); break;
                case SimdWidth.Vector128: DotProducts<Simd128, Vector128<float>, TActivation>(a, b, bias, c, m, n, k, activation, packed.RowBlocks); break;
                default: DotProducts<SimdScalar, float, TActivation>(a, b, bias, c, m, n, k, activation, packed.RowBlocks); break;
            }
            return;
        }
        switch (packed.Width)
        {
            case SimdWidth.Vector512: PackedPanels<Simd512, Vector512<float>, TActivation>(a, packed, c, m, activation); break;
            case SimdWidth.Vector256: PackedPanels<Simd256, Vector256<float>, TActivation>(a, packed, c, m, activation); break;
            case SimdWidth.Vector128: PackedPanels<Simd128, Vector128<float>, TActivation>(a, packed, c, m, activation); break;
            default: PackedPanels<SimdScalar, float, TActivation>(a, packed, c, m, activation); break;
        }
    }

    /// <summary><c>c[m,n] = a[m,k] · b[k,n]</c> (overwrites <paramref name="c"/>): a dense layer's input gradient <c>dx = dz · W</c>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
        => MultiplyAt(a, b, c, m, n, k, SimdDispatch.ForPanels(n));

    /// <summary><c>c[m,n] = a[k,m]ᵀ · b[k,n]</c> (overwrites <paramref name="c"/>): a dense layer's weight gradient <c>dW = dzᵀ · x</c>.</summary>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
        => MultiplyTransposedAAt(a, b, c, m, n, k, SimdDispatch.ForPanels(n));

    /// <summary><c>sums[j] = Σ_i a[i,j]</c> over the <paramref name="m"/> rows of <paramref name="a"/> (overwrites): a bias gradient.</summary>
    public static void SumRows(ReadOnlySpan<float> a, Span<float> sums, int m, int n)
        => SumRowsAt(a, sums, m, n, SimdDispatch.Best);

    /// <summary><see cref="MultiplyTransposedB{TActivation}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, TActivation)"/> at a given width.</summary>
    internal static unsafe void MultiplyTransposedBAt<TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation, SimdWidth width)
        where TActivation : struct, IActivation
    {
        Guard.Sizes(m, n, k);
        Guard.Length(a.Length, m, k, nameof(a), "m·k");
        Guard.Length(b.Length, n, k, nameof(b), "n·k");
        if (!bias.IsEmpty)
        {
            Guard.Length(bias.Length, 1, n, nameof(bias), "1·n (or empty)");
        }
        Guard.Length(c.Length, m, n, nameof(c), "m·n");
        if (m == 0 || n == 0)
        {
            return;
        }

        if (m >= PanelMinRows)
        {
            if (PrefersWeightRows(m, n, k, width))
            {
                WeightRows(a, b, bias, c, m, n, k, activation, width);
                return;
            }
            // A(i,p) = a[i·k + p], B(p,j) = b[j·k + p].
            Panels(a, k, 1, b, 1, k, bias, c, m, n, k, activation, width);
            return;
        }
        switch (width)
        {
            case SimdWidth.Vector512: DotProducts<Simd512, Vector512<float>, TActivation>(a, b, bias, c, m, n, k, activation); break;
            case SimdWidth.Vector256: DotProducts<Simd256, Vector256<float>, TActivation>(a, b, bias, c, m, n, k, activation); break;
            case SimdWidth.Vector128: DotProducts<Simd128, Vector128<float>, TActivation>(a, b, bias, c, m, n, k, activation); break;
            default: DotProducts<SimdScalar, float, TActivation>(a, b, bias, c, m, n, k, activation); break;
        }
    }

    /// <summary><see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/> at a given width.</summary>
    internal static void MultiplyAt(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, SimdWidth width)
    {
        Guard.Sizes(m, n, k);
        Guard.Length(a.Length, m, k, nameof(a), "m·k");
        Guard.Length(b.Length, k, n, nameof(b), "k·n");
        Guard.Length(c.Length, m, n, nameof(c), "m·n");
        // a[i,p] is at i·k + p; b[p,j] at p·n + j.
        if (m >= PanelMinRows && n > 0)
        {
            Panels(a, k, 1, b, n, 1, [], c, m, n, k, new IdentityActivation(), width);
            return;
        }
        Axpy(a, aRowStride: k, aDepthStride: 1, b, c, m, n, k, width);
    }

    /// <summary><see cref="MultiplyTransposedA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/> at a given width.</summary>
    internal static void MultiplyTransposedAAt(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, SimdWidth width)
    {
        Guard.Sizes(m, n, k);
        Guard.Length(a.Length, k, m, nameof(a), "k·m");
        Guard.Length(b.Length, k, n, nameof(b), "k·n");
        Guard.Length(c.Length, m, n, nameof(c), "m·n");
        // aᵀ[i,p] = a[p,i] is at p·m + i; b[p,j] at p·n + j.
        if (m >= PanelMinRows && n > 0)
        {
            switch (width)
            {
                case SimdWidth.Vector512: WeightGradient<Simd512, Vector512<float>>(a, b, c, m, n, k); break;
                case SimdWidth.Vector256: WeightGradient<Simd256, Vector256<float>>(a, b, c, m, n, k); break;
                case SimdWidth.Vector128: WeightGradient<Simd128, Vector128<float>>(a, b, c, m, n, k); break;
                default: WeightGradient<SimdScalar, float>(a, b, c, m, n, k); break;
            }
            return;
        }
        Axpy(a, aRowStride: 1, aDepthStride: m, b, c, m, n, k, width);
    }

    /// <summary><see cref="SumRows(ReadOnlySpan{float}, Span{float}, int, int)"/> at a given width.</summary>
    internal static void SumRowsAt(ReadOnlySpan<float> a, Span<float> sums, int m, int n, SimdWidth width)
    {
        Guard.Sizes(m, n, 0);
        Guard.Length(a.Length, m, n, nameof(a), "m·n");
        Guard.Length(sums.Length, 1, n, nameof(sums), "1·n");
        switch (width)
        {
            case SimdWidth.Vector512: SumRows<Simd512, Vector512<float>>(a, sums, m, n); break;
            case SimdWidth.Vector256: SumRows<Simd256, Vector256<float>>(a, sums, m, n); break;
            case SimdWidth.Vector128: SumRows<Simd128, Vector128<float>>(a, sums, m, n); break;
            default: SumRows<SimdScalar, float>(a, sums, m, n); break;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Batches: the packed kernel of PanelGemm, on one or more threads.
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>c[m,n] = act(A · B + bias)</c> with <c>A(i,p) = a[i·aRowStride + p·aDepthStride]</c> and
    /// <c>B(p,j) = b[p·bDepthStride + j·bColumnStride]</c>, by <see cref="PanelGemm"/>.
    /// </summary>
    private static void Panels<TActivation>(ReadOnlySpan<float> a, nint aRowStride, nint aDepthStride, ReadOnlySpan<float> b, nint bDepthStride, nint bColumnStride,
        ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation, SimdWidth width)
        where TActivation : struct, IActivation
    {
        switch (width)
        {
            case SimdWidth.Vector512: Panels<Simd512, Vector512<float>, TActivation>(a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, bias, c, m, n, k, activation); break;
            case SimdWidth.Vector256: Panels<Simd256, Vector256<float>, TActivation>(a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, bias, c, m, n, k, activation); break;
            case SimdWidth.Vector128: Panels<Simd128, Vector128<float>, TActivation>(a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, bias, c, m, n, k, activation); break;
            default: Panels<SimdScalar, float, TActivation>(a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, bias, c, m, n, k, activation); break;
        }
    }

    /// <summary>
    /// Runs a product on the threads its size earns, then applies the activation to <paramref name="c"/> (rows of
    /// <paramref name="rowLength"/>) where the kernel's epilogue did not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunJob<TSimd, TVec, TActivation>(in PanelJob job, Span<float> c, int rowLength, TActivation activation)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        PanelGemm.Run<TSimd, TVec, TActivation>(in job, KernelPool.ThreadsFor(2L * job.M * job.N * job.K));
        if (!PanelGemm.IsFused<TActivation>())
        {
            activation.Forward(c, rowLength);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Panels<TSimd, TVec, TActivation>(ReadOnlySpan<float> a, nint aRowStride, nint aDepthStride, ReadOnlySpan<float> b, nint bDepthStride, nint bColumnStride,
        ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        fixed (float* pa = a, pb = b, pbias = bias, pc = c)
        {
            var job = new PanelJob
            {
                A = pa, B = pb, Bias = bias.IsEmpty ? null : pbias, C = pc, M = m, N = n, K = k,
                ARowStride = aRowStride, ADepthStride = aDepthStride, BDepthStride = bDepthStride, BColumnStride = bColumnStride,
                NegativeSlope = PanelGemm.NegativeSlope(activation),
            };
            RunJob<TSimd, TVec, TActivation>(in job, c, n, activation);
        }
    }

    /// <summary>Most floats of packed panels a weight gradient packs in advance (512 KB, a quarter of one core's L2).</summary>
    private const int RowsOuterPackedFloats = 1 << 17;

    /// <summary>
    /// <c>c[m,n] = a[k,m]ᵀ · b[k,n]</c> by <see cref="PanelGemm"/>: when the panels of <c>b</c> fit in
    /// <see cref="RowsOuterPackedFloats"/>, all packed first and row tiles outermost (<see cref="PanelJob.RowsOuter"/>),
    /// else panel by panel. Same bits either way: each element is the same sum from the same packed values.
    /// </summary>
    /// <remarks>
    /// Panel by panel, each tile reads its <c>MR</c> columns of <c>a</c> from L2 and writes <c>MR</c> pieces of rows of
    /// <c>c</c> a row of <c>c</c> apart; rows outermost, those columns of <c>a</c> stay in L1 for the whole block of
    /// rows, whose rows of <c>c</c> are written left to right. MLP-M's weight gradient 512 × 784 at depth 64, measured
    /// inside its training step (one core, best of 400 steps, 4 runs alternated): 475–486 → 462–463 µs; 256 × 512:
    /// 152.1–153.1 → 151.4–151.6 µs.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightGradient<TSimd, TVec>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int stride = PanelGemm.PackedStride<TSimd, TVec>(k);
        long packedFloats = (long)PanelGemm.PanelCount<TSimd, TVec>(n) * stride;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new PanelJob { A = pa, B = pb, C = pc, M = m, N = n, K = k, ARowStride = 1, ADepthStride = m, BDepthStride = n, BColumnStride = 1 };
            if (packedFloats <= RowsOuterPackedFloats)
            {
                job.Packed = PackBuffer.Get((int)packedFloats);
                job.PackedStride = stride;
                job.RowsOuter = true;
                PanelGemm.PackAll<TSimd, TVec>(in job, job.Packed, halfLastPanel: true);
            }
            RunJob<TSimd, TVec, IdentityActivation>(in job, c, n, new IdentityActivation());
        }
    }

    /// <summary>
    /// Whether the forward <c>c = act(a · bᵀ + bias)</c> runs as <see cref="WeightRows{TActivation}"/> rather than by
    /// packing <c>b</c>: the one whose padded multiply-adds plus packed floats (and, for the weights-as-rows form,
    /// transposed outputs) cost less, counted in multiply-adds (<see cref="PackedFloatCost"/>,
    /// <see cref="TransposedStoreCost"/>). Packing the weights <c>[n,k]</c> is repaid over <c>m/MR</c> row tiles,
    /// packing the batch <c>[m,k]</c> over <c>n/MR</c>, so it picks the weights-as-rows form when the batch is the
    /// smaller, deep enough to repay the transposed stores, and a whole number of panels wide enough not to waste
    /// more than the packing saves.
    /// </summary>
    internal static bool PrefersWeightRows(int m, int n, int k, SimdWidth width)
    {
        long nr = 2L * SimdDispatch.Lanes(width);
        if (nr < 8)
        {
            return false; // no 8×8 transposes to write the result with
        }
        static long Padded(long size, long multiple) => (size + multiple - 1) / multiple * multiple;
        long packB = Padded(m, PanelGemm.MR) * Padded(n, nr) * k + PackedFloatCost * (long)n * k;
        long weightRows = Padded(n, PanelGemm.MR) * Padded(m, nr) * k + PackedFloatCost * (long)m * k + TransposedStoreCost * (long)m * n;
        return weightRows < packB;
    }

    /// <summary>
    /// Multiply-adds one packed float costs, for <see cref="PrefersWeightRows"/>: packing MLP-M's 784 → 512 weights
    /// in a batch-64 forward took about 50 µs, 0.12 ns a float, some six multiply-adds at 16 lanes and 3.5 GHz.
    /// </summary>
    private const long PackedFloatCost = 6;

    /// <summary>
    /// Multiply-adds one output stored through <see cref="PanelGemm"/>'s transposing epilogue costs, for
    /// <see cref="PrefersWeightRows"/>: a depth-10 product <c>[64,10] · [10,256]</c> took 3.7 µs as a plain product and
    /// 8.0 µs with its result transposed, some 0.26 ns or 15 multiply-adds an output.
    /// </summary>
    private const long TransposedStoreCost = 15;

    /// <summary>
    /// <c>c[m,n] = act(a[m,k] · b[n,k]ᵀ + bias[n])</c> computed as its transpose <c>cᵀ = act(b · aᵀ + bias)</c>: the
    /// weights <c>b</c> are the rows of the product, read in place, the bias is a bias per row, and only the batch
    /// <c>a</c> is packed (each panel of <c>aᵀ</c> once, all before the product), the finished tiles transposed back as
    /// they are stored. Each element is the same sum in the same order as by <see cref="Panels{TActivation}"/>
    /// (the bias, then <c>p = 0 .. k−1</c>), so the bits are those of the other form. Packing the batch costs a
    /// tenth of packing the weights of a layer 784 → 512 at batch 64, and the weights are read once, along their
    /// rows: MLP-M's forward at batch 64, one core, best of 3 runs alternated with the packing form, 696-701 → 653-661 µs
    /// (784 → 512: 509-517 → 481-485 µs); its whole training step (SGD), 8 runs alternated, best 1573 → 1534 µs,
    /// median of the runs' medians 1687 → 1639 µs.
    /// </summary>
    private static void WeightRows<TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation, SimdWidth width)
        where TActivation : struct, IActivation
    {
        switch (width)
        {
            case SimdWidth.Vector512: WeightRows<Simd512, Vector512<float>, TActivation>(a, b, bias, c, m, n, k, activation); break;
            case SimdWidth.Vector256: WeightRows<Simd256, Vector256<float>, TActivation>(a, b, bias, c, m, n, k, activation); break;
            case SimdWidth.Vector128: WeightRows<Simd128, Vector128<float>, TActivation>(a, b, bias, c, m, n, k, activation); break;
            default: throw new InvalidOperationException("The weights-as-rows product needs panels of at least 8 columns.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightRows<TSimd, TVec, TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        int stride = PanelGemm.PackedStride<TSimd, TVec>(k);
        float* packed = PackBuffer.Get(PanelGemm.PanelCount<TSimd, TVec>(m) * stride);
        fixed (float* pa = a, pb = b, pbias = bias, pc = c)
        {
            // Panels of aᵀ: B(p,j) = a[j·k + p], no column bias.
            var pack = new PanelJob { B = pa, N = m, K = k, BDepthStride = 1, BColumnStride = k };
            PanelGemm.PackAll<TSimd, TVec>(in pack, packed);
            // cᵀ(i,j) = Σ_p b[i·k + p] · a[j·k + p] + bias[i], stored at c[j·n + i].
            var job = new PanelJob
            {
                A = pb, RowBias = bias.IsEmpty ? null : pbias, C = pc, M = n, N = m, K = k, ARowStride = k, ADepthStride = 1,
                Packed = packed, PackedStride = stride, TransposedC = true,
                NegativeSlope = PanelGemm.NegativeSlope(activation),
            };
            RunJob<TSimd, TVec, TActivation>(in job, c, n, activation);
        }
    }

    /// <summary><c>c = act(a · Wᵀ + bias)</c> with <c>W</c> and <c>bias</c> read from their packed panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackedPanels<TSimd, TVec, TActivation>(ReadOnlySpan<float> a, PackedWeights packed, Span<float> c, int m, TActivation activation)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        int n = packed.Outputs, k = packed.Inputs;
        fixed (float* pa = a, pc = c)
        {
            var job = new PanelJob
            {
                A = pa, C = pc, M = m, N = n, K = k, ARowStride = k, ADepthStride = 1,
                Packed = packed.Panels, PackedStride = packed.PanelStride,
                NegativeSlope = PanelGemm.NegativeSlope(activation),
            };
            RunJob<TSimd, TVec, TActivation>(in job, c, n, activation);
        }
    }

    /// <summary>
    /// <c>c[m,n] = act(A · B + columnBias[n] + rowBias[m])</c> with <c>A(i,p) = a[i·aRowStride + p·aDepthStride]</c> and
    /// <c>B(p,j) = b[p·bDepthStride + j·bColumnStride]</c>, always by the packed kernel (any <c>m ≥ 1</c>): the entry
    /// point of convolutions, whose operands are read transposed or not as the shape favours, and whose bias is per
    /// row when output channels are the rows. Either bias may be empty. The caller has checked the lengths.
    /// </summary>
    internal static unsafe void MultiplyStridedAt<TActivation>(ReadOnlySpan<float> a, nint aRowStride, nint aDepthStride, ReadOnlySpan<float> b, nint bDepthStride, nint bColumnStride,
        ReadOnlySpan<float> columnBias, ReadOnlySpan<float> rowBias, Span<float> c, int m, int n, int k, TActivation activation, SimdWidth width)
        where TActivation : struct, IActivation
    {
        Guard.Sizes(m, n, k);
        if (m == 0 || n == 0)
        {
            return;
        }
        switch (width)
        {
            case SimdWidth.Vector512: Strided<Simd512, Vector512<float>, TActivation>(a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, columnBias, rowBias, c, m, n, k, activation); break;
            case SimdWidth.Vector256: Strided<Simd256, Vector256<float>, TActivation>(a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, columnBias, rowBias, c, m, n, k, activation); break;
            case SimdWidth.Vector128: Strided<Simd128, Vector128<float>, TActivation>(a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, columnBias, rowBias, c, m, n, k, activation); break;
            default: Strided<SimdScalar, float, TActivation>(a, aRowStride, aDepthStride, b, bDepthStride, bColumnStride, columnBias, rowBias, c, m, n, k, activation); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Strided<TSimd, TVec, TActivation>(ReadOnlySpan<float> a, nint aRowStride, nint aDepthStride, ReadOnlySpan<float> b, nint bDepthStride, nint bColumnStride,
        ReadOnlySpan<float> columnBias, ReadOnlySpan<float> rowBias, Span<float> c, int m, int n, int k, TActivation activation)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        fixed (float* pa = a, pb = b, pbias = columnBias, prow = rowBias, pc = c)
        {
            var job = new PanelJob
            {
                A = pa, B = pb, Bias = columnBias.IsEmpty ? null : pbias, RowBias = rowBias.IsEmpty ? null : prow, C = pc, M = m, N = n, K = k,
                ARowStride = aRowStride, ADepthStride = aDepthStride, BDepthStride = bDepthStride, BColumnStride = bColumnStride,
                NegativeSlope = PanelGemm.NegativeSlope(activation),
            };
            RunJob<TSimd, TVec, TActivation>(in job, c, n, activation);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // A few rows: c = act(a · bᵀ + bias) as dot products of rows of a with rows of b.
    // ---------------------------------------------------------------------------------------------------------

    /// <summary>Rows of <c>b</c> per dot-product block.</summary>
    private const int DotRows = 8;

    /// <summary>
    /// Weights (<c>n·k</c>) from which a matrix-vector product is split across threads: reading the weights is its
    /// limit, and each core streams its share from its own cache.
    /// </summary>
    internal const int ParallelDotWeights = 1 << 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotProducts<TSimd, TVec, TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation,
        float* rowBlocks = null)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        int blocks = (n + DotRows - 1) / DotRows;
        fixed (float* pa = a, pb = b, pc = c)
        {
            // Packed = the row blocks of PackedWeights, or null to read b as stored.
            var job = new PanelJob { A = pa, B = pb, C = pc, M = m, N = n, K = k, Packed = rowBlocks };
            int threads = (long)n * k >= ParallelDotWeights ? KernelOptions.MaxThreads : 1;
            KernelPool.Run(in job, &DotBlocks<TSimd, TVec>, blocks, threads);
        }
        for (int i = 0; i < m; i++)
        {
            FinishRows(bias, c.Slice(i * n, n), n, activation);
        }
    }

    /// <summary>
    /// <c>c[:, 8·start .. 8·end] = a · b[8·start .. 8·end, :]ᵀ</c>: one thread's share of blocks of 8 rows of <c>b</c>,
    /// read from the row blocks packed in <see cref="PanelJob.Packed"/> if any, else as stored; the rows past the last
    /// whole block always as stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotBlocks<TSimd, TVec>(in PanelJob job, int start, int end) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        ref float a0 = ref Unsafe.AsRef<float>(job.A);
        ref float b0 = ref Unsafe.AsRef<float>(job.B);
        ref float c0 = ref Unsafe.AsRef<float>(job.C);
        int n = job.N, k = job.K;
        int jEnd = Math.Min(end * DotRows, n);
        bool packed = job.Packed != null;
        DotLayout layout = packed ? DotLayout.Interleaved(k, TSimd.Count) : DotLayout.AsStored(k, TSimd.Count);
        ref float w0 = ref packed ? ref Unsafe.AsRef<float>(job.Packed) : ref b0;
        for (int i = 0; i < job.M; i++)
        {
            ref float x = ref Unsafe.Add(ref a0, i * (nint)k);
            ref float row = ref Unsafe.Add(ref c0, i * (nint)n);
            int j = start * DotRows;
            for (; j + DotRows <= jEnd; j += DotRows)
            {
                // A block of 8 rows takes 8·k floats in either layout.
                Dot8<TSimd, TVec>(ref x, ref Unsafe.Add(ref w0, j * (nint)k), k, in layout, ref Unsafe.Add(ref row, j));
            }
            for (; j < jEnd; j += 4)
            {
                DotTile1x4<TSimd, TVec>(ref a0, ref b0, ref c0, i, j, n, k);
            }
        }
    }

    /// <summary>
    /// Where the terms of a block of 8 rows of <c>W[n,k]</c> lie, relative to the block's start, for <see cref="Dot8"/>:
    /// its chunks of <c>2V</c> terms (row <c>r</c>'s at <c>r·MainRow</c>, the next chunk <c>MainChunk</c> further), then
    /// one vector of <c>V</c> terms if that many are left (row <c>r</c>'s at <c>VectorStart + r·VectorRow</c>), then
    /// the last <c>k mod V</c> terms one by one (row <c>r</c>'s at <c>TailStart + r·TailRow</c>).
    /// </summary>
    /// <remarks>
    /// Two layouts: the rows as stored (<see cref="AsStored"/>: 8 rows, <c>k</c> apart, read side by side), and the
    /// rows interleaved chunk by chunk (<see cref="Interleaved"/>, packed by <see cref="PackRowBlocks"/>), so a block is
    /// read as one contiguous stream. A batch-1 product reads every weight once, so its speed is how fast one core
    /// streams the weights from the cache that holds them; the hardware prefetcher follows one stream better than 8.
    /// Measured on MLP-M's three layers at Vector256 (2.1 MB, from L3, one core): 29.5 µs as stored, 22.7 µs
    /// interleaved, against 22.0 µs for merely reading the same bytes. Both layouts give the same bits: the same terms
    /// go to the same accumulators in the same order.
    /// </remarks>
    private readonly struct DotLayout
    {
        public readonly nint MainRow, MainChunk, VectorStart, VectorRow, TailStart, TailRow;

        private DotLayout(nint mainRow, nint mainChunk, nint vectorStart, nint vectorRow, nint tailStart, nint tailRow)
            => (MainRow, MainChunk, VectorStart, VectorRow, TailStart, TailRow) = (mainRow, mainChunk, vectorStart, vectorRow, tailStart, tailRow);

        /// <summary>Row <c>r</c>, term <c>p</c> at <c>r·k + p</c>.</summary>
        public static DotLayout AsStored(nint k, nint v)
        {
            (nint chunks, nint vector, _) = Split(k, v);
            return new DotLayout(k, 2 * v, chunks, k, chunks + vector, k);
        }

        /// <summary>Chunk by chunk, the 8 rows' <c>2V</c> terms one after the other; then their vectors of <c>V</c>; then their tails.</summary>
        public static DotLayout Interleaved(nint k, nint v)
        {
            (nint chunks, nint vector, nint tail) = Split(k, v);
            return new DotLayout(2 * v, DotRows * 2 * v, DotRows * chunks, vector, DotRows * (chunks + vector), tail);
        }

        /// <summary>Terms in whole chunks of <c>2V</c>, in the one vector after them (<c>V</c> or 0), and left over.</summary>
        public static (nint Chunks, nint Vector, nint Tail) Split(nint k, nint v)
        {
            nint chunks = k - k % (2 * v), vector = k - chunks >= v ? v : 0;
            return (chunks, vector, k - chunks - vector);
        }
    }

    /// <summary>
    /// Packs the whole blocks of 8 rows of <paramref name="w"/> <c>[n,k]</c> into <paramref name="destination"/>
    /// (<c>⌊n/8⌋·8·k</c> floats, block <c>j/8</c> at <c>j·k</c>) in <see cref="DotLayout.Interleaved"/> order for vectors of
    /// <paramref name="v"/> floats; the rows past the last whole block are read as stored.
    /// </summary>
    internal static unsafe void PackRowBlocks(ReadOnlySpan<float> w, int n, int k, int v, float* destination)
    {
        DotLayout layout = DotLayout.Interleaved(k, v);
        (nint chunks, nint vector, nint tail) = DotLayout.Split(k, v);
        for (int j = 0; j + DotRows <= n; j += DotRows)
        {
            float* block = destination + (nint)j * k;
            for (int r = 0; r < DotRows; r++)
            {
                ReadOnlySpan<float> row = w.Slice((j + r) * k, k);
                for (nint p = 0; p < chunks; p += 2 * v)
                {
                    row.Slice((int)p, 2 * v).CopyTo(new Span<float>(block + p / (2 * v) * layout.MainChunk + r * layout.MainRow, 2 * v));
                }
                row.Slice((int)chunks, (int)vector).CopyTo(new Span<float>(block + layout.VectorStart + r * layout.VectorRow, (int)vector));
                row.Slice((int)(chunks + vector), (int)tail).CopyTo(new Span<float>(block + layout.TailStart + r * layout.TailRow, (int)tail));
            }
        }
    }

    /// <summary>
    /// <c>c[0..8] = x[:] · w[0..8, :]ᵀ</c> for 8 rows of <c>w</c> laid out as <paramref name="layout"/> says: the chunks
    /// of <c>2V</c> terms into 16 independent accumulators (two per row, enough to keep both FMA pipes busy while the
    /// loads of <c>w</c> stream in), then one vector, then the last terms one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot8<TSimd, TVec>(ref float x, ref float w, int k, in DotLayout layout, ref float c)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        nint v = TSimd.Count;
        nint r1 = layout.MainRow, r2 = 2 * r1, r3 = 3 * r1, r4 = 4 * r1, r5 = 5 * r1, r6 = 6 * r1, r7 = 7 * r1;

        // sR: row R, terms p ≡ 0 … V−1 (mod 2V); tR: terms p ≡ V … 2V−1.
        TVec s0 = TSimd.Zero, s1 = TSimd.Zero, s2 = TSimd.Zero, s3 = TSimd.Zero, s4 = TSimd.Zero, s5 = TSimd.Zero, s6 = TSimd.Zero, s7 = TSimd.Zero;
        TVec t0 = TSimd.Zero, t1 = TSimd.Zero, t2 = TSimd.Zero, t3 = TSimd.Zero, t4 = TSimd.Zero, t5 = TSimd.Zero, t6 = TSimd.Zero, t7 = TSimd.Zero;
        ref float chunk = ref w;
        nint p = 0;
        for (; p + 2 * v <= k; p += 2 * v, chunk = ref Unsafe.Add(ref chunk, layout.MainChunk))
        {
            TVec x0 = TSimd.Load(ref x, p), x1 = TSimd.Load(ref x, p + v);
            s0 = TSimd.MultiplyAdd(x0, TSimd.Load(ref chunk, 0), s0); t0 = TSimd.MultiplyAdd(x1, TSimd.Load(ref chunk, v), t0);
            s1 = TSimd.MultiplyAdd(x0, TSimd.Load(ref chunk, r1), s1); t1 = TSimd.MultiplyAdd(x1, TSimd.Load(ref chunk, r1 + v), t1);
            s2 = TSimd.MultiplyAdd(x0, TSimd.Load(ref chunk, r2), s2); t2 = TSimd.MultiplyAdd(x1, TSimd.Load(ref chunk, r2 + v), t2);
            s3 = TSimd.MultiplyAdd(x0, TSimd.Load(ref chunk, r3), s3); t3 = TSimd.MultiplyAdd(x1, TSimd.Load(ref chunk, r3 + v), t3);
            s4 = TSimd.MultiplyAdd(x0, TSimd.Load(ref chunk, r4), s4); t4 = TSimd.MultiplyAdd(x1, TSimd.Load(ref chunk, r4 + v), t4);
            s5 = TSimd.MultiplyAdd(x0, TSimd.Load(ref chunk, r5), s5); t5 = TSimd.MultiplyAdd(x1, TSimd.Load(ref chunk, r5 + v), t5);
            s6 = TSimd.MultiplyAdd(x0, TSimd.Load(ref chunk, r6), s6); t6 = TSimd.MultiplyAdd(x1, TSimd.Load(ref chunk, r6 + v), t6);
            s7 = TSimd.MultiplyAdd(x0, TSimd.Load(ref chunk, r7), s7); t7 = TSimd.MultiplyAdd(x1, TSimd.Load(ref chunk, r7 + v), t7);
        }
        if (p + v <= k)
        {
            ref float vector = ref Unsafe.Add(ref w, layout.VectorStart);
            nint q = layout.VectorRow;
            TVec x0 = TSimd.Load(ref x, p);
            s0 = TSimd.MultiplyAdd(x0, TSimd.Load(ref vector, 0), s0); s1 = TSimd.MultiplyAdd(x0, TSimd.Load(ref vector, q), s1);
            s2 = TSimd.MultiplyAdd(x0, TSimd.Load(ref vector, 2 * q), s2); s3 = TSimd.MultiplyAdd(x0, TSimd.Load(ref vector, 3 * q), s3);
            s4 = TSimd.MultiplyAdd(x0, TSimd.Load(ref vector, 4 * q), s4); s5 = TSimd.MultiplyAdd(x0, TSimd.Load(ref vector, 5 * q), s5);
            s6 = TSimd.MultiplyAdd(x0, TSimd.Load(ref vector, 6 * q), s6); s7 = TSimd.MultiplyAdd(x0, TSimd.Load(ref vector, 7 * q), s7);
            p += v;
        }

        ref float xTail = ref Unsafe.Add(ref x, p);
        ref float tail = ref Unsafe.Add(ref w, layout.TailStart);
        nint terms = k - p, t = layout.TailRow;
        c = Finish(TSimd.Sum(TSimd.Add(s0, t0)), ref xTail, ref tail, 0, terms);
        Unsafe.Add(ref c, 1) = Finish(TSimd.Sum(TSimd.Add(s1, t1)), ref xTail, ref Unsafe.Add(ref tail, t), 0, terms);
        Unsafe.Add(ref c, 2) = Finish(TSimd.Sum(TSimd.Add(s2, t2)), ref xTail, ref Unsafe.Add(ref tail, 2 * t), 0, terms);
        Unsafe.Add(ref c, 3) = Finish(TSimd.Sum(TSimd.Add(s3, t3)), ref xTail, ref Unsafe.Add(ref tail, 3 * t), 0, terms);
        Unsafe.Add(ref c, 4) = Finish(TSimd.Sum(TSimd.Add(s4, t4)), ref xTail, ref Unsafe.Add(ref tail, 4 * t), 0, terms);
        Unsafe.Add(ref c, 5) = Finish(TSimd.Sum(TSimd.Add(s5, t5)), ref xTail, ref Unsafe.Add(ref tail, 5 * t), 0, terms);
        Unsafe.Add(ref c, 6) = Finish(TSimd.Sum(TSimd.Add(s6, t6)), ref xTail, ref Unsafe.Add(ref tail, 6 * t), 0, terms);
        Unsafe.Add(ref c, 7) = Finish(TSimd.Sum(TSimd.Add(s7, t7)), ref xTail, ref Unsafe.Add(ref tail, 7 * t), 0, terms);
    }

    /// <summary>A dot product's vector sum plus its terms <c>[p, k)</c>, which did not fill a vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(float sum, ref float x, ref float w, nint p, nint k)
    {
        for (; p < k; p++)
        {
            sum = SimdScalar.MultiplyAdd(Unsafe.Add(ref x, p), Unsafe.Add(ref w, p), sum);
        }
        return sum;
    }

    /// <summary>Adds the bias to each row of a finished block of <c>c</c> and applies the activation, while it is in cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishRows<TActivation>(ReadOnlySpan<float> bias, Span<float> rows, int n, TActivation activation)
        where TActivation : struct, IActivation
    {
        if (!bias.IsEmpty)
        {
            for (int r = 0; r < rows.Length; r += n)
            {
                Span<float> row = rows.Slice(r, n);
                TensorPrimitives.Add(row, bias, row);
            }
        }
        activation.Forward(rows, n);
    }

    /// <summary><c>c[i, j..j+4] = a[i, :] · b[j..j+4, :]ᵀ</c>, for the columns left over after the 8-row blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotTile1x4<TSimd, TVec>(ref float a, ref float b, ref float c, int i, int j, int n, int k)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        nint stride = k;
        ref float a0 = ref Unsafe.Add(ref a, i * stride);
        ref float b0 = ref Unsafe.Add(ref b, j * stride);
        ref float b1 = ref Unsafe.Add(ref b, Math.Min(j + 1, n - 1) * stride);
        ref float b2 = ref Unsafe.Add(ref b, Math.Min(j + 2, n - 1) * stride);
        ref float b3 = ref Unsafe.Add(ref b, Math.Min(j + 3, n - 1) * stride);

        TVec c0 = TSimd.Zero, c1 = TSimd.Zero, c2 = TSimd.Zero, c3 = TSimd.Zero;
        nint p = 0;
        for (; p <= k - TSimd.Count; p += TSimd.Count)
        {
            TVec x = TSimd.Load(ref a0, p);
            c0 = TSimd.MultiplyAdd(x, TSimd.Load(ref b0, p), c0);
            c1 = TSimd.MultiplyAdd(x, TSimd.Load(ref b1, p), c1);
            c2 = TSimd.MultiplyAdd(x, TSimd.Load(ref b2, p), c2);
            c3 = TSimd.MultiplyAdd(x, TSimd.Load(ref b3, p), c3);
        }

        ref float row = ref Unsafe.Add(ref c, i * (nint)n + j);
        StoreRow(ref row, n - j, Finish<TSimd, TVec>(c0, ref a0, ref b0, p, k), Finish<TSimd, TVec>(c1, ref a0, ref b1, p, k), Finish<TSimd, TVec>(c2, ref a0, ref b2, p, k), Finish<TSimd, TVec>(c3, ref a0, ref b3, p, k));
    }

    /// <summary>The sum of a dot product's vector accumulator plus its terms <c>p..k</c> that did not fill a vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish<TSimd, TVec>(TVec accumulator, ref float x, ref float w, nint p, nint k)
        where TSimd : struct, ISimd<TVec> where TVec : struct
        => Finish(TSimd.Sum(accumulator), ref x, ref w, p, k);

    /// <summary>Stores the first <paramref name="valid"/> (at most 4) of four values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float row, int valid, float s0, float s1, float s2, float s3)
    {
        row = s0;
        if (valid > 1) Unsafe.Add(ref row, 1) = s1;
        if (valid > 2) Unsafe.Add(ref row, 2) = s2;
        if (valid > 3) Unsafe.Add(ref row, 3) = s3;
    }

    // ---------------------------------------------------------------------------------------------------------
    // A few rows: c = A · b where A(i, p) = a[i·aRowStride + p·aDepthStride], broadcasting each A(i, p) into a row of b ("axpy").
    // ---------------------------------------------------------------------------------------------------------

    private static void Axpy(ReadOnlySpan<float> a, int aRowStride, int aDepthStride, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, SimdWidth width)
    {
        switch (width)
        {
            case SimdWidth.Vector512: Axpy<Simd512, Vector512<float>>(a, aRowStride, aDepthStride, b, c, m, n, k); break;
            case SimdWidth.Vector256: Axpy<Simd256, Vector256<float>>(a, aRowStride, aDepthStride, b, c, m, n, k); break;
            case SimdWidth.Vector128: Axpy<Simd128, Vector128<float>>(a, aRowStride, aDepthStride, b, c, m, n, k); break;
            default: Axpy<SimdScalar, float>(a, aRowStride, aDepthStride, b, c, m, n, k); break;
        }
    }

    /// <summary>Whole vectors of columns at <typeparamref name="TSimd"/>, then the remaining columns one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy<TSimd, TVec>(ReadOnlySpan<float> a, int aRowStride, int aDepthStride, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        var panel = new AxpyPanel(ref MemoryMarshal.GetReference(a), aRowStride, aDepthStride, ref MemoryMarshal.GetReference(b), ref MemoryMarshal.GetReference(c), n, k);
        int vectorColumns = n - n % TSimd.Count;
        panel.Run<TSimd, TVec>(m, 0, vectorColumns);
        panel.Run<SimdScalar, float>(m, vectorColumns, n);
    }

    /// <summary>The operands of one <c>c = A · b</c>, with the register tiles that compute it.</summary>
    private readonly ref struct AxpyPanel
    {
        private readonly ref float _a;
        private readonly ref float _b;
        private readonly ref float _c;
        private readonly nint _aRowStride;
        private readonly nint _aDepthStride;
        private readonly nint _n;
        private readonly nint _k;

        public AxpyPanel(ref float a, nint aRowStride, nint aDepthStride, ref float b, ref float c, int n, int k)
        {
            _a = ref a;
            _b = ref b;
            _c = ref c;
            _aRowStride = aRowStride;
            _aDepthStride = aDepthStride;
            _n = n;
            _k = k;
        }

        /// <summary>Computes columns <c>[jStart, jEnd)</c> of every row, a whole number of vectors wide.</summary>
        public void Run<TSimd, TVec>(int m, int jStart, int jEnd) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            for (int i = 0; i < m; i++)
            {
                int j = jStart;
                for (; j + 4 * TSimd.Count <= jEnd; j += 4 * TSimd.Count)
                {
                    Tile1x4<TSimd, TVec>(i, j);
                }
                for (; j < jEnd; j += TSimd.Count)
                {
                    Tile1x1<TSimd, TVec>(i, j);
                }
            }
        }

        /// <summary><c>c[i, j..j+4V] = A[i, :] · b[:, j..j+4V]</c>.</summary>
        private void Tile1x4<TSimd, TVec>(int i, int j) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            nint ds = _aDepthStride, v = TSimd.Count;
            ref float ai = ref Unsafe.Add(ref _a, i * _aRowStride);
            ref float bj = ref Unsafe.Add(ref _b, j);
            TVec c0 = TSimd.Zero, c1 = TSimd.Zero, c2 = TSimd.Zero, c3 = TSimd.Zero;
            for (nint p = 0; p < _k; p++)
            {
                ref float bp = ref Unsafe.Add(ref bj, p * _n);
                TVec x = TSimd.Broadcast(Unsafe.Add(ref ai, p * ds));
                c0 = TSimd.MultiplyAdd(x, TSimd.Load(ref bp, 0), c0);
                c1 = TSimd.MultiplyAdd(x, TSimd.Load(ref bp, v), c1);
                c2 = TSimd.MultiplyAdd(x, TSimd.Load(ref bp, 2 * v), c2);
                c3 = TSimd.MultiplyAdd(x, TSimd.Load(ref bp, 3 * v), c3);
            }
            ref float row = ref Unsafe.Add(ref _c, i * _n + j);
            TSimd.Store(c0, ref row, 0);
            TSimd.Store(c1, ref row, v);
            TSimd.Store(c2, ref row, 2 * v);
            TSimd.Store(c3, ref row, 3 * v);
        }

        /// <summary><c>c[i, j..j+V] = A[i, :] · b[:, j..j+V]</c>.</summary>
        private void Tile1x1<TSimd, TVec>(int i, int j) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            nint ds = _aDepthStride;
            ref float ai = ref Unsafe.Add(ref _a, i * _aRowStride);
            ref float bj = ref Unsafe.Add(ref _b, j);
            TVec c0 = TSimd.Zero;
            for (nint p = 0; p < _k; p++)
            {
                c0 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref ai, p * ds)), TSimd.Load(ref bj, p * _n), c0);
            }
            TSimd.Store(c0, ref _c, i * _n + j);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // sums = Σ_i a[i, :]
    // ---------------------------------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumRows<TSimd, TVec>(ReadOnlySpan<float> a, Span<float> sums, int m, int n)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float s0 = ref MemoryMarshal.GetReference(sums);
        int vectorColumns = n - n % TSimd.Count;
        SumColumns<TSimd, TVec>(ref a0, ref s0, m, n, 0, vectorColumns);
        SumColumns<SimdScalar, float>(ref a0, ref s0, m, n, vectorColumns, n);
    }

    /// <summary>Sums columns <c>[jStart, jEnd)</c>, a whole number of vectors wide, down the rows.</summary>
    /// <remarks>
    /// Four vectors of columns at a time: one vector per pass walked the rows at a stride of <c>n</c> floats (2 KB for
    /// <c>n = 512</c>, which maps every row to the same few L1 sets) behind one dependent chain of adds; four independent
    /// chains over 256 contiguous bytes per row took MLP-M's bias gradient <c>64 × 512</c> from 6.4 to 2.2 µs. Each column is
    /// still summed down the rows in order, so the bits are unchanged.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumColumns<TSimd, TVec>(ref float a, ref float sums, int m, int n, int jStart, int jEnd)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int j0 = jStart;
        for (; j0 + 4 * TSimd.Count <= jEnd; j0 += 4 * TSimd.Count)
        {
            TVec sum0 = TSimd.Zero, sum1 = TSimd.Zero, sum2 = TSimd.Zero, sum3 = TSimd.Zero;
            for (int i = 0; i < m; i++)
            {
                nint row = i * (nint)n + j0;
                sum0 = TSimd.Add(sum0, TSimd.Load(ref a, row));
                sum1 = TSimd.Add(sum1, TSimd.Load(ref a, row + TSimd.Count));
                sum2 = TSimd.Add(sum2, TSimd.Load(ref a, row + 2 * TSimd.Count));
                sum3 = TSimd.Add(sum3, TSimd.Load(ref a, row + 3 * TSimd.Count));
            }
            TSimd.Store(sum0, ref sums, j0);
            TSimd.Store(sum1, ref sums, j0 + TSimd.Count);
            TSimd.Store(sum2, ref sums, j0 + 2 * TSimd.Count);
            TSimd.Store(sum3, ref sums, j0 + 3 * TSimd.Count);
        }
        for (int j = j0; j < jEnd; j += TSimd.Count)
        {
            TVec sum = TSimd.Zero;
            for (int i = 0; i < m; i++)
            {
                sum = TSimd.Add(sum, TSimd.Load(ref a, i * (nint)n + j));
            }
            TSimd.Store(sum, ref sums, j);
        }
    }
}
