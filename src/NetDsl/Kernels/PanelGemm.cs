using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetDsl.Kernels;

/// <summary>
/// The operands of one product <c>c[m,n] = epilogue(A[m,k] · B[k,n] + bias[n])</c>, with both factors read through
/// strides so the three products of a dense layer are all this one kernel:
/// <list type="table">
/// <item><term>forward <c>x · Wᵀ</c></term><description><c>A(i,p) = x[i·k + p]</c>, <c>B(p,j) = W[j·k + p]</c> (W is <c>[n,k]</c>)</description></item>
/// <item><term>input gradient <c>dz · W</c></term><description><c>A(i,p) = dz[i·k + p]</c>, <c>B(p,j) = W[p·n + j]</c></description></item>
/// <item><term>weight gradient <c>dzᵀ · x</c></term><description><c>A(i,p) = dz[p·m + i]</c>, <c>B(p,j) = x[p·n + j]</c></description></item>
/// </list>
/// Pointers rather than spans, so a job can be handed to a worker thread; the caller keeps the spans pinned until the
/// job is done.
/// </summary>
internal unsafe struct PanelJob
{
    public float* A;
    public float* B;
    /// <summary><c>[n]</c>, or null for no bias.</summary>
    public float* Bias;
    /// <summary><c>[m]</c>, a bias per row of <c>c</c> (a convolution's per-channel bias), or null for none.</summary>
    public float* RowBias;
    /// <summary><c>[m,n]</c> row-major.</summary>
    public float* C;
    public int M, N, K;
    /// <summary><c>A(i,p) = A[i·ARowStride + p·ADepthStride]</c>.</summary>
    public nint ARowStride, ADepthStride;
    /// <summary><c>B(p,j) = B[p·BDepthStride + j·BColumnStride]</c>; <c>BColumnStride == 1</c> means rows of B are contiguous.</summary>
    public nint BDepthStride, BColumnStride;
    /// <summary>The slope of a fused <see cref="LeakyReLUActivation"/> (unused by other activations).</summary>
    public float NegativeSlope;
    /// <summary>
    /// B's panels packed in advance (<see cref="PackedWeights"/>: panel <c>q</c> at <c>Packed + q·PackedStride</c>, 64-byte
    /// aligned), so the product skips packing; null to pack each panel on the way from <see cref="B"/> and <see cref="Bias"/>.
    /// </summary>
    public float* Packed;
    /// <summary>Floats from one packed panel to the next (see <see cref="Packed"/>).</summary>
    public nint PackedStride;
    /// <summary>
    /// <c>c</c> is stored transposed, <c>c(i,j)</c> at <c>C[j·M + i]</c>, and its panels are all packed in advance
    /// (<see cref="Packed"/> is set): the weights-as-rows forward <c>yᵀ = W · xᵀ</c> of
    /// <see cref="Gemm.MultiplyTransposedB{TActivation}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, TActivation)"/>
    /// at small batches. A block then runs row tiles outermost, so each block of rows of A is read once.
    /// </summary>
    public bool TransposedC;
    /// <summary>
    /// The panels are all packed in advance (<see cref="Packed"/> is set, a last panel at most half full at half width:
    /// <see cref="PanelGemm.PackAll{TSimd, TVec}(in PanelJob, float*, bool)"/>) and a block runs row tiles outermost, as for
    /// <see cref="TransposedC"/>, but <c>c</c> is stored as it is: the weight gradient <c>dW = dzᵀ · x</c> of
    /// <see cref="Gemm.MultiplyTransposedA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>.
    /// </summary>
    public bool RowsOuter;
}

/// <summary>
/// Register-blocked, panel-packed matrix product (the GotoBLAS / BLIS scheme, reduced to what dense layers need).
/// </summary>
/// <remarks>
/// <para>
/// The columns of <c>c</c> are cut into panels of <c>NR = 2</c> vectors (32 floats at Vector512). Each panel of B,
/// <c>B[0..k, j..j+NR]</c>, is first copied ("packed") into a contiguous, 64-byte-aligned buffer, <c>k</c> rows of
/// <c>NR</c> floats behind the panel's <c>NR</c> bias values, zero-padded past column <c>n</c>; a whole panel of a
/// row-major B without bias is read where it is stored instead (<see cref="ReadsInPlace{TSimd, TVec}"/>). The micro-kernel then
/// computes a tile of <c>MR = 8</c> rows × <c>NR</c> columns of <c>c</c> in 16 vector registers: for each <c>p</c> it
/// loads the two vectors <c>B[p, j..j+NR]</c> (aligned, consecutive) and broadcasts the eight <c>A(i..i+8, p)</c> into
/// 16 FMAs. Sixteen independent accumulators cover the FMA latency; 10 loads per 16 FMAs stay under the load ports'
/// limit. Eight rows rather than six read each panel from L2 a quarter fewer times and divide a batch of 256 into
/// whole tiles: MLP-M's 784 → 512 layer at batch 256 went from 110.4 to 111.4 GFLOP/s.
/// </para>
/// <para>
/// Packing costs <c>k·NR</c> copies per panel and is repaid over the <c>m/MR</c> tiles that reuse the panel, which
/// is why the public entry points use this kernel only when <c>m</c> is large enough. Tiles are independent, so
/// threads share blocks of rows and panels (<see cref="Run{TSimd, TVec, TActivation}"/>): each element of <c>c</c> is
/// computed by one thread in the same order whatever the thread count, and results are bit-identical for any
/// <see cref="KernelOptions.MaxThreads"/>.
/// </para>
/// <para>
/// The epilogue runs in registers on the finished tile: the bias per column and/or per row (the accumulators start
/// from it) and, for
/// <see cref="IdentityActivation"/>, <see cref="ReLUActivation"/> and <see cref="LeakyReLUActivation"/>, the
/// activation. Other activations run on whole rows after the product.
/// </para>
/// </remarks>
internal static unsafe class PanelGemm
{
    /// <summary>Rows of <c>c</c> per micro-tile.</summary>
    public const int MR = 8;

    /// <summary>Whether the activation runs inside the micro-kernel's epilogue (so the caller must not apply it again).</summary>
    public static bool IsFused<TActivation>() where TActivation : struct, IActivation
        => typeof(TActivation) == typeof(IdentityActivation)
        || typeof(TActivation) == typeof(ReLUActivation)
        || typeof(TActivation) == typeof(LeakyReLUActivation);

    /// <summary>The slope a fused <see cref="LeakyReLUActivation"/> carries into <see cref="PanelJob.NegativeSlope"/>; 0 for other activations.</summary>
    public static float NegativeSlope<TActivation>(TActivation activation) where TActivation : struct, IActivation
        => typeof(TActivation) == typeof(LeakyReLUActivation) ? Unsafe.As<TActivation, LeakyReLUActivation>(ref activation).NegativeSlope : 0f;

    /// <summary>Number of column panels of a product <paramref name="n"/> columns wide at a width of <typeparamref name="TSimd"/>.</summary>
    public static int PanelCount<TSimd, TVec>(int n) where TSimd : struct, ISimd<TVec> where TVec : struct
        => (n + 2 * TSimd.Count - 1) / (2 * TSimd.Count);

    /// <summary>Floats of packing buffer one thread needs for a depth of <paramref name="k"/>: bias row plus <c>k</c> rows of <c>NR</c>.</summary>
    public static int PackLength<TSimd, TVec>(int k) where TSimd : struct, ISimd<TVec> where TVec : struct
        => (k + 1) * 2 * TSimd.Count;

    /// <summary>Below this many flops an item of a threaded product takes more than one panel: claiming one costs about 0.1 µs.</summary>
    private const long MinItemFlops = 1L << 18;

    /// <summary>
    /// Computes the whole job on up to <paramref name="threads"/> threads. The work is a grid of items, each a block of
    /// row tiles by a group of column panels: whole panels (each packed once) when there are at least two per thread,
    /// else each panel also cut into blocks of rows (each block packs the panel again, a cost of <c>k·NR</c> copies
    /// against its tiles' <c>k·MR·NR</c> FMAs), so that a product with one or two panels, such as a 10-class output
    /// layer, is shared too. A job whose panels are all packed in advance and that runs row tiles outermost
    /// (<see cref="PanelJob.TransposedC"/>, <see cref="PanelJob.RowsOuter"/>) is cut into blocks of whole rows alone when
    /// it has at least two row tiles per thread. Each element of <c>c</c> is computed by one thread in one order
    /// whatever the grid.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TSimd, TVec, TActivation>(in PanelJob job, int threads)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        int panels = PanelCount<TSimd, TVec>(job.N), rowTiles = (job.M + MR - 1) / MR;
        if (threads <= 1)
        {
            RunBlock<TSimd, TVec, TActivation>(in job, 0, job.M, 0, panels, job.Packed != null ? null : PackBuffer.Get(PackLength<TSimd, TVec>(job.K)));
            return;
        }
        long panelFlops = 2L * job.M * job.K * 2 * TSimd.Count;
        int panelsPerGroup = (int)Math.Min(panels, Math.Max(1, MinItemFlops / Math.Max(1, panelFlops)));
        int groups = (panels + panelsPerGroup - 1) / panelsPerGroup;
        int rowBlocks = groups >= 2 * threads ? 1 : Math.Min(rowTiles, (2 * threads + groups - 1) / groups);
        groups = Math.Min(groups, KernelPool.MaxItems / rowBlocks);
        if ((job.RowsOuter || job.TransposedC) && rowTiles >= 2 * threads)
        {
            // Its panels are all packed already, so blocks of whole rows cost no extra packing: each thread reads its
            // own rows of A once (transposed: its share of a layer's weights, not all of them for its panels) and
            // keeps them in its L1 across all the panels, and writes contiguous rows of c (a weight gradient's rows,
            // which an optimizer's share of the parameters then reads).
            groups = 1;
            rowBlocks = Math.Min(rowTiles, 4 * threads);
        }
        // Which items the caller claims depends on timing: it may claim none of this product today and one tomorrow.
        // Size its packing buffer now, so a later claim never allocates on the calling thread.
        if (job.Packed == null)
        {
            PackBuffer.Get(PackLength<TSimd, TVec>(job.K));
        }
        fixed (PanelJob* jobPointer = &job)
        {
            var grid = new Grid { Job = jobPointer, Panels = panels, Groups = groups, RowTiles = rowTiles, RowBlocks = rowBlocks };
            KernelPool.RunItems(&grid, &RunItem<TSimd, TVec, TActivation>, groups * rowBlocks, threads);
        }
    }

    /// <summary>A threaded product's items: <see cref="Groups"/> groups of panels × <see cref="RowBlocks"/> blocks of row tiles.</summary>
    private struct Grid
    {
        public PanelJob* Job;
        public int Panels, Groups, RowTiles, RowBlocks;
    }

    /// <summary>Item <paramref name="item"/> of a <see cref="Grid"/>: neighbouring items share a group of panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunItem<TSimd, TVec, TActivation>(void* state, int item)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        var grid = (Grid*)state;
        int group = item / grid->RowBlocks, block = item % grid->RowBlocks;
        int panelStart = (int)((long)grid->Panels * group / grid->Groups), panelEnd = (int)((long)grid->Panels * (group + 1) / grid->Groups);
        int tileStart = (int)((long)grid->RowTiles * block / grid->RowBlocks), tileEnd = (int)((long)grid->RowTiles * (block + 1) / grid->RowBlocks);
        ref readonly PanelJob job = ref *grid->Job;
        RunBlock<TSimd, TVec, TActivation>(in job, tileStart * MR, Math.Min(tileEnd * MR, job.M), panelStart, panelEnd,
            job.Packed != null ? null : PackBuffer.Get(PackLength<TSimd, TVec>(job.K)));
    }

    /// <summary>Computes column panels <c>[panelStart, panelEnd)</c> of the job, packing each into <paramref name="pack"/> (64-byte aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunPanels<TSimd, TVec, TActivation>(in PanelJob job, int panelStart, int panelEnd, float* pack)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
        => RunBlock<TSimd, TVec, TActivation>(in job, 0, job.M, panelStart, panelEnd, pack);

    /// <summary>
    /// Computes rows <c>[rowStart, rowEnd)</c> (<paramref name="rowStart"/> a multiple of <see cref="MR"/>) of column
    /// panels <c>[panelStart, panelEnd)</c>, packing each panel into <paramref name="pack"/> (64-byte aligned), or
    /// reading it from <see cref="PanelJob.Packed"/> when the job has its panels packed in advance.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunBlock<TSimd, TVec, TActivation>(in PanelJob job, int rowStart, int rowEnd, int panelStart, int panelEnd, float* pack)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        int nr = 2 * TSimd.Count;
        if (job.TransposedC || job.RowsOuter)
        {
            // Transposed: A is the large operand here (a layer's weights), the few packed panels the small one (the
            // batch): row tiles outermost read each row of A once, from memory, while the panels stay in L2.
            // Rows outer: each block of rows of c is written whole, left to right, while its rows of A stay in L1.
            for (int i = rowStart; i < rowEnd; i += MR)
            {
                for (int panel = panelStart; panel < panelEnd; panel++)
                {
                    float* data = job.Packed + panel * job.PackedStride;
                    if (job.RowsOuter && IsHalfPanel<TSimd, TVec>(job.N, panel * nr))
                    {
                        Tile<Simd256, Vector256<float>, TActivation>(in job, data, data + Simd256.Count * 2, Simd256.Count * 2, i, panel * nr);
                    }
                    else
                    {
                        Tile<TSimd, TVec, TActivation>(in job, data, data + nr, nr, i, panel * nr);
                    }
                }
            }
            return;
        }
        for (int panel = panelStart; panel < panelEnd; panel++)
        {
            int j = panel * nr;
            if (job.Packed != null)
            {
                float* data = job.Packed + panel * job.PackedStride;
                for (int i = rowStart; i < rowEnd; i += MR)
                {
                    Tile<TSimd, TVec, TActivation>(in job, data, data + nr, nr, i, j);
                }
            }
            else if (IsHalfPanel<TSimd, TVec>(job.N, j))
            {
                // A last panel at most half full runs at Vector256, two vectors of 8 instead of 16, rather than
                // multiply-adding columns of zeros: each element is the same sum in the same order. MLP-M's weight
                // gradient 512 × 784 at depth 64 (24 whole panels and 16 columns), one core, 4 runs alternated:
                // medians 500-513 → 485-496 µs in three, a noisy run in the fourth.
                UnpackedPanel<Simd256, Vector256<float>, TActivation>(in job, rowStart, rowEnd, j, pack);
            }
            else
            {
                UnpackedPanel<TSimd, TVec, TActivation>(in job, rowStart, rowEnd, j, pack);
            }
        }
    }

    /// <summary>
    /// Rows <c>[rowStart, rowEnd)</c> of the panel at column <paramref name="j"/> of a job without packed panels: read
    /// from <c>B</c> where it is stored when <see cref="ReadsInPlace{TSimd, TVec}"/>, else packed into <paramref name="pack"/> first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnpackedPanel<TSimd, TVec, TActivation>(in PanelJob job, int rowStart, int rowEnd, int j, float* pack)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        nint nr = 2 * TSimd.Count;
        float* bias = pack, rows = pack + nr;
        nint rowStride = nr;
        if (ReadsInPlace<TSimd, TVec>(in job, j))
        {
            bias = ZeroRow;
            rows = job.B + j;
            rowStride = job.BDepthStride;
        }
        else
        {
            Pack<TSimd, TVec>(in job, j, pack);
        }
        for (int i = rowStart; i < rowEnd; i += MR)
        {
            Tile<TSimd, TVec, TActivation>(in job, bias, rows, rowStride, i, j);
        }
    }

    /// <summary>Floats a panel read in place may span in <c>B</c> (1 MB): a few hundred pages, and half of one core's L2.</summary>
    private const long InPlaceSpanFloats = 1 << 18;

    /// <summary>
    /// Whether the tiles read the panel at column <paramref name="j"/> from <c>B</c> itself rather than from a packed
    /// copy: its rows are <c>NR</c> contiguous floats (a whole panel of row-major <c>B</c>), there is no column bias to
    /// put in front of them (they start from <see cref="ZeroRow"/>), and its <c>k</c> rows span at most
    /// <see cref="InPlaceSpanFloats"/>.
    /// </summary>
    /// <remarks>
    /// The tiles of a panel read it from L2 either way (<c>k</c> rows of two cache lines, 32 KB at <c>k = 256</c>,
    /// more than L1 keeps beside <c>A</c>), so the copy buys nothing when the rows are already contiguous.
    /// MLP-M's input gradient <c>dz · W</c> 64 × 512 at depth 256 inside the training step (one core, best of 400
    /// steps, 10 runs alternated): 158.4–159.3 → 145.6–145.9 µs.
    /// </remarks>
    private static bool ReadsInPlace<TSimd, TVec>(in PanelJob job, int j) where TSimd : struct, ISimd<TVec> where TVec : struct
        => job.BColumnStride == 1 && job.Bias == null && j + 2 * TSimd.Count <= job.N && (long)job.BDepthStride * job.K <= InPlaceSpanFloats;

    /// <summary>Holds <see cref="ZeroRow"/>: pinned, and referenced here so that it lives as long as the process.</summary>
    private static readonly float[] ZeroRowStorage = GC.AllocateArray<float>(2 * 16 + 16, pinned: true);

    /// <summary>The bias row of a panel read in place: 32 zeros, 64-byte aligned.</summary>
    private static readonly float* ZeroRow = PackBuffer.Align64((float*)Unsafe.AsPointer(ref ZeroRowStorage[0]));

    /// <summary>
    /// Floats from one packed panel to the next for a depth of <paramref name="k"/>: <see cref="PackLength{TSimd, TVec}"/>
    /// rounded up to a 64-byte multiple, so every panel of a <see cref="PackedWeights"/> starts on a cache line.
    /// </summary>
    public static int PackedStride<TSimd, TVec>(int k) where TSimd : struct, ISimd<TVec> where TVec : struct
        => (PackLength<TSimd, TVec>(k) + 15) & ~15;

    /// <summary>
    /// Whether the panel at column <paramref name="j"/> of a product <paramref name="n"/> columns wide runs at
    /// <see cref="Simd256"/>: a last panel at most half full of a <see cref="Simd512"/> product.
    /// </summary>
    private static bool IsHalfPanel<TSimd, TVec>(int n, int j) where TSimd : struct, ISimd<TVec> where TVec : struct
        => typeof(TSimd) == typeof(Simd512) && n - j <= Simd256.Count * 2;

    /// <summary>
    /// Packs every column panel of the job's <c>B</c> and bias into <paramref name="destination"/> (64-byte aligned),
    /// panel <c>q</c> at <c>destination + q·</c><see cref="PackedStride{TSimd, TVec}"/>: the layout <see cref="RunBlock{TSimd, TVec, TActivation}"/> reads
    /// from <see cref="PanelJob.Packed"/>, and the same values it would pack on the way. With
    /// <paramref name="halfLastPanel"/> (for <see cref="PanelJob.RowsOuter"/> jobs), a last panel at most half full is
    /// packed at <see cref="Simd256"/>, the width it runs at.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackAll<TSimd, TVec>(in PanelJob job, float* destination, bool halfLastPanel = false) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int nr = 2 * TSimd.Count, stride = PackedStride<TSimd, TVec>(job.K);
        for (int panel = 0, count = PanelCount<TSimd, TVec>(job.N); panel < count; panel++)
        {
            if (halfLastPanel && IsHalfPanel<TSimd, TVec>(job.N, panel * nr))
            {
                Pack<Simd256, Vector256<float>>(in job, panel * nr, destination + (nint)panel * stride);
            }
            else
            {
                Pack<TSimd, TVec>(in job, panel * nr, destination + (nint)panel * stride);
            }
        }
    }

    /// <summary>
    /// <c>pack[0, :] = bias[j..j+NR]</c>, <c>pack[1 + p, :] = B[p, j..j+NR]</c>, zeros past column <c>n</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack<TSimd, TVec>(in PanelJob job, int j, float* pack) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int nr = 2 * TSimd.Count;
        int valid = Math.Min(nr, job.N - j);
        nint k = job.K;
        for (int c = 0; c < nr; c++)
        {
            pack[c] = job.Bias != null && c < valid ? job.Bias[j + c] : 0f;
        }
        float* rows = pack + nr;
        if (job.BColumnStride == 1 && valid == nr)
        {
            // Rows of B are contiguous: copy NR floats per row, two vectors at a time.
            float* b = job.B + j;
            for (nint p = 0; p < k; p++)
            {
                ref float source = ref Unsafe.AsRef<float>(b + p * job.BDepthStride);
                ref float destination = ref Unsafe.AsRef<float>(rows + p * nr);
                TSimd.Store(TSimd.Load(ref source, 0), ref destination, 0);
                TSimd.Store(TSimd.Load(ref source, TSimd.Count), ref destination, TSimd.Count);
            }
        }
        else if (job.BDepthStride == 1 && valid == nr && nr % 4 == 0 && Sse.IsSupported)
        {
            // B(p, j) = W[j, p], W row-major [n,k]: a transpose, by 8×8 blocks in AVX registers or 4×4 blocks in SSE
            // registers (panels of a multiple of 4 columns only: the scalar width's 2-column panels take the path
            // below). Sixteen depths (one cache line of each row of W) at a time, all of them for eight or four rows
            // before the next: the NR rows of W read together are k floats apart, and when that is a multiple of 512
            // bytes they share few L1 sets (k = 512: two sets for 32 lines), so a line must be used whole before the
            // next rows evict it. Measured per call on MLP-M's weights (256×512; 512×784): 36 and 49 µs stepping 4
            // depths over all rows by 4×4 blocks, 17 and 50 µs by lines, 15 and 35 µs by lines of 8×8 blocks
            // starting on a line boundary.
            float* w = job.B + j * job.BColumnStride;
            nint ws = job.BColumnStride;
            nint p = 0;
            if (k % 16 == 0 && ((nuint)w & 3) == 0)
            {
                // Rows k floats apart start at the same offset in a cache line: copy the depths before the first line
                // boundary one by one, so that each 16-depth block below reads whole lines.
                nint head = Math.Min(k, (nint)((64 - ((nuint)w & 63)) & 63) / sizeof(float));
                for (; p < head; p++)
                {
                    for (int c = 0; c < nr; c++) rows[p * nr + c] = w[c * ws + p];
                }
            }
            if (Avx.IsSupported && nr % 8 == 0)
            {
                for (; p + 16 <= k; p += 16)
                {
                    for (int c = 0; c < nr; c += 8)
                    {
                        Transpose8x8(w + c * ws + p, ws, rows + p * nr + c, nr);
                        Transpose8x8(w + c * ws + p + 8, ws, rows + (p + 8) * nr + c, nr);
                    }
                }
            }
            for (; p + 16 <= k; p += 16)
            {
                for (int c = 0; c < nr; c += 4)
                {
                    for (nint q = p; q < p + 16; q += 4)
                    {
                        Transpose4x4(w + c * ws + q, ws, rows + q * nr + c, nr);
                    }
                }
            }
            for (; p + 4 <= k; p += 4)
            {
                for (int c = 0; c < nr; c += 4)
                {
                    Transpose4x4(w + c * ws + p, ws, rows + p * nr + c, nr);
                }
            }
            for (; p < k; p++)
            {
                for (int c = 0; c < nr; c++) rows[p * nr + c] = w[c * ws + p];
            }
        }
        else if (job.BDepthStride == 1)
        {
            // The same transpose one float at a time (no SSE, or the last panel), row by row of W.
            for (int c = 0; c < valid; c++)
            {
                float* w = job.B + (j + c) * job.BColumnStride;
                float* column = rows + c;
                for (nint p = 0; p < k; p++)
                {
                    column[p * nr] = w[p];
                }
            }
            for (nint p = 0; p < k; p++)
            {
                for (int c = valid; c < nr; c++) rows[p * nr + c] = 0f;
            }
        }
        else
        {
            for (nint p = 0; p < k; p++)
            {
                float* b = job.B + p * job.BDepthStride + j * job.BColumnStride;
                for (int c = 0; c < nr; c++)
                {
                    rows[p * nr + c] = c < valid ? b[c * job.BColumnStride] : 0f;
                }
            }
        }
    }

    /// <summary>
    /// <c>destination[q·destinationStride + r] = source[r·sourceStride + q]</c> for <c>r, q</c> in 0..3: a 4×4 block
    /// transposed in SSE registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        Vector128<float> r0 = Sse.LoadVector128(source), r1 = Sse.LoadVector128(source + sourceStride);
        Vector128<float> r2 = Sse.LoadVector128(source + 2 * sourceStride), r3 = Sse.LoadVector128(source + 3 * sourceStride);
        // r0 = (a0 a1 a2 a3), r1 = (b0 ..), ...: columns become (a_q b_q c_q d_q).
        Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1); // a0 b0 a1 b1 | a2 b2 a3 b3
        Vector128<float> t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3); // c0 d0 c1 d1 | c2 d2 c3 d3
        Sse.Store(destination, Sse.MoveLowToHigh(t0, t2));
        Sse.Store(destination + destinationStride, Sse.MoveHighToLow(t2, t0));
        Sse.Store(destination + 2 * destinationStride, Sse.MoveLowToHigh(t1, t3));
        Sse.Store(destination + 3 * destinationStride, Sse.MoveHighToLow(t3, t1));
    }

    /// <summary>
    /// <c>destination[q·destinationStride + r] = source[r·sourceStride + q]</c> for <c>r, q</c> in 0..7: an 8×8 block
    /// transposed in AVX registers (pairs, then quadruples within each 128-bit lane, then lanes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, nint sourceStride, float* destination, nint destinationStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + sourceStride);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * sourceStride), r3 = Avx.LoadVector256(source + 3 * sourceStride);
        Vector256<float> r4 = Avx.LoadVector256(source + 4 * sourceStride), r5 = Avx.LoadVector256(source + 5 * sourceStride);
        Vector256<float> r6 = Avx.LoadVector256(source + 6 * sourceStride), r7 = Avx.LoadVector256(source + 7 * sourceStride);
        // tXY: rows X, Y interleaved (per lane: X0 Y0 X1 Y1 | X4 Y4 X5 Y5, or elements 2, 3 | 6, 7).
        Vector256<float> t01 = Avx.UnpackLow(r0, r1), u01 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t23 = Avx.UnpackLow(r2, r3), u23 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t45 = Avx.UnpackLow(r4, r5), u45 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t67 = Avx.UnpackLow(r6, r7), u67 = Avx.UnpackHigh(r6, r7);
        // sQ: rows 0..3 (or 4..7) of columns Q and Q + 4, one per lane.
        Vector256<float> s0 = Avx.Shuffle(t01, t23, 0x44), s1 = Avx.Shuffle(t01, t23, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(u01, u23, 0x44), s3 = Avx.Shuffle(u01, u23, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t45, t67, 0x44), s5 = Avx.Shuffle(t45, t67, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(u45, u67, 0x44), s7 = Avx.Shuffle(u45, u67, 0xEE);
        Avx.Store(destination, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(destination + destinationStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(destination + 2 * destinationStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(destination + 3 * destinationStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(destination + 4 * destinationStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(destination + 5 * destinationStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(destination + 6 * destinationStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(destination + 7 * destinationStride, Avx.Permute2x128(s3, s7, 0x31));
    }

    /// <summary>
    /// <c>c[i..i+MR, j..j+NR] = epilogue(A[i..i+MR, :] · panel + bias)</c>, the panel's bias row at <paramref name="biasRow"/>
    /// and its row <c>p</c> at <c>rows + p·rowStride</c> (a packed panel, or <c>B</c> read in place). Rows past <c>m</c>
    /// read row <c>m - 1</c> of A and columns past <c>n</c> read the panel's zero padding; neither is stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TSimd, TVec, TActivation>(in PanelJob job, float* biasRow, float* rows, nint rowStride, int i, int j)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        nint v = TSimd.Count, nr = 2 * v, ds = job.ADepthStride, rs = job.ARowStride;
        int last = job.M - 1;
        float* a0 = job.A + Math.Min(i, last) * rs;
        float* a1 = job.A + Math.Min(i + 1, last) * rs;
        float* a2 = job.A + Math.Min(i + 2, last) * rs;
        float* a3 = job.A + Math.Min(i + 3, last) * rs;
        float* a4 = job.A + Math.Min(i + 4, last) * rs;
        float* a5 = job.A + Math.Min(i + 5, last) * rs;
        float* a6 = job.A + Math.Min(i + 6, last) * rs;
        float* a7 = job.A + Math.Min(i + 7, last) * rs;

        // cRH: row R of the tile, half H (vector) of its NR columns; each starts from the bias.
        ref float bp = ref Unsafe.AsRef<float>(biasRow);
        TVec bias0 = TSimd.Load(ref bp, 0), bias1 = TSimd.Load(ref bp, v);
        bp = ref Unsafe.AsRef<float>(rows);
        TVec c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
        TVec c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
        TVec c60 = bias0, c61 = bias1, c70 = bias0, c71 = bias1;
        if (job.RowBias != null)
        {
            float* rb = job.RowBias;
            TVec r = TSimd.Broadcast(rb[Math.Min(i, last)]); c00 = TSimd.Add(c00, r); c01 = TSimd.Add(c01, r);
            r = TSimd.Broadcast(rb[Math.Min(i + 1, last)]); c10 = TSimd.Add(c10, r); c11 = TSimd.Add(c11, r);
            r = TSimd.Broadcast(rb[Math.Min(i + 2, last)]); c20 = TSimd.Add(c20, r); c21 = TSimd.Add(c21, r);
            r = TSimd.Broadcast(rb[Math.Min(i + 3, last)]); c30 = TSimd.Add(c30, r); c31 = TSimd.Add(c31, r);
            r = TSimd.Broadcast(rb[Math.Min(i + 4, last)]); c40 = TSimd.Add(c40, r); c41 = TSimd.Add(c41, r);
            r = TSimd.Broadcast(rb[Math.Min(i + 5, last)]); c50 = TSimd.Add(c50, r); c51 = TSimd.Add(c51, r);
            r = TSimd.Broadcast(rb[Math.Min(i + 6, last)]); c60 = TSimd.Add(c60, r); c61 = TSimd.Add(c61, r);
            r = TSimd.Broadcast(rb[Math.Min(i + 7, last)]); c70 = TSimd.Add(c70, r); c71 = TSimd.Add(c71, r);
        }
        nint k = job.K;
        for (nint p = 0; p < k; p++)
        {
            TVec w0 = TSimd.Load(ref bp, 0), w1 = TSimd.Load(ref bp, v);
            bp = ref Unsafe.Add(ref bp, rowStride);
            nint o = p * ds;
            TVec x = TSimd.Broadcast(a0[o]);
            c00 = TSimd.MultiplyAdd(x, w0, c00); c01 = TSimd.MultiplyAdd(x, w1, c01);
            x = TSimd.Broadcast(a1[o]);
            c10 = TSimd.MultiplyAdd(x, w0, c10); c11 = TSimd.MultiplyAdd(x, w1, c11);
            x = TSimd.Broadcast(a2[o]);
            c20 = TSimd.MultiplyAdd(x, w0, c20); c21 = TSimd.MultiplyAdd(x, w1, c21);
            x = TSimd.Broadcast(a3[o]);
            c30 = TSimd.MultiplyAdd(x, w0, c30); c31 = TSimd.MultiplyAdd(x, w1, c31);
            x = TSimd.Broadcast(a4[o]);
            c40 = TSimd.MultiplyAdd(x, w0, c40); c41 = TSimd.MultiplyAdd(x, w1, c41);
            x = TSimd.Broadcast(a5[o]);
            c50 = TSimd.MultiplyAdd(x, w0, c50); c51 = TSimd.MultiplyAdd(x, w1, c51);
            x = TSimd.Broadcast(a6[o]);
            c60 = TSimd.MultiplyAdd(x, w0, c60); c61 = TSimd.MultiplyAdd(x, w1, c61);
            x = TSimd.Broadcast(a7[o]);
            c70 = TSimd.MultiplyAdd(x, w0, c70); c71 = TSimd.MultiplyAdd(x, w1, c71);
        }

        if (job.TransposedC)
        {
            StoreTransposed<TSimd, TVec, TActivation>(in job, i, j, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71);
            return;
        }
        float slope = job.NegativeSlope;
        nint n = job.N;
        if (i + MR <= job.M && j + nr <= n)
        {
            ref float row = ref Unsafe.AsRef<float>(job.C + i * n + j);
            StorePair<TSimd, TVec, TActivation>(c00, c01, ref row, slope); row = ref Unsafe.Add(ref row, n);
            StorePair<TSimd, TVec, TActivation>(c10, c11, ref row, slope); row = ref Unsafe.Add(ref row, n);
            StorePair<TSimd, TVec, TActivation>(c20, c21, ref row, slope); row = ref Unsafe.Add(ref row, n);
            StorePair<TSimd, TVec, TActivation>(c30, c31, ref row, slope); row = ref Unsafe.Add(ref row, n);
            StorePair<TSimd, TVec, TActivation>(c40, c41, ref row, slope); row = ref Unsafe.Add(ref row, n);
            StorePair<TSimd, TVec, TActivation>(c50, c51, ref row, slope); row = ref Unsafe.Add(ref row, n);
            StorePair<TSimd, TVec, TActivation>(c60, c61, ref row, slope); row = ref Unsafe.Add(ref row, n);
            StorePair<TSimd, TVec, TActivation>(c70, c71, ref row, slope);
            return;
        }

        StoreEdge<TSimd, TVec, TActivation>(in job, i, j, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71);
    }

    /// <summary>An edge tile: finishes it in a buffer, then copies the rows and columns that exist.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StoreEdge<TSimd, TVec, TActivation>(in PanelJob job, int i, int j,
        TVec c00, TVec c01, TVec c10, TVec c11, TVec c20, TVec c21, TVec c30, TVec c31, TVec c40, TVec c41, TVec c50, TVec c51, TVec c60, TVec c61, TVec c70, TVec c71)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        nint nr = 2 * TSimd.Count;
        float slope = job.NegativeSlope;
        float* tile = stackalloc float[MR * 2 * 16];
        StoreTile<TSimd, TVec, TActivation>(tile, slope, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71);
        int rows = Math.Min(MR, job.M - i), columns = (int)Math.Min(nr, job.N - j);
        for (int r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>(tile + r * nr, columns).CopyTo(new Span<float>(job.C + (i + r) * (nint)job.N + j, columns));
        }
    }

    /// <summary>
    /// A tile of a <see cref="PanelJob.TransposedC"/> job: finishes it in a buffer, then writes column <c>j + c</c> of the
    /// tile as the <c>MR</c> consecutive floats <c>C[(j + c)·M + i ..]</c>, by 8×8 AVX transposes where a block of 8
    /// columns is whole, else one float at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void StoreTransposed<TSimd, TVec, TActivation>(in PanelJob job, int i, int j,
        TVec c00, TVec c01, TVec c10, TVec c11, TVec c20, TVec c21, TVec c30, TVec c31, TVec c40, TVec c41, TVec c50, TVec c51, TVec c60, TVec c61, TVec c70, TVec c71)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        int nr = 2 * TSimd.Count;
        float slope = job.NegativeSlope;
        float* tile = stackalloc float[MR * 2 * 16];
        StoreTile<TSimd, TVec, TActivation>(tile, slope, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71);
        nint m = job.M;
        int rows = (int)Math.Min(MR, m - i), columns = Math.Min(nr, job.N - j);
        float* c0 = job.C + j * m + i;
        int c = 0;
        if (Avx.IsSupported && rows == MR)
        {
            for (; c + 8 <= columns; c += 8)
            {
                Transpose8x8(tile + c, nr, c0 + c * m, m);
            }
        }
        for (; c < columns; c++)
        {
            for (int r = 0; r < rows; r++)
            {
                c0[c * m + r] = tile[r * nr + c];
            }
        }
    }

    /// <summary>The finished tile, through the fused part of the epilogue, into <paramref name="tile"/>: <c>MR</c> rows of <c>NR</c> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile<TSimd, TVec, TActivation>(float* tile, float slope,
        TVec c00, TVec c01, TVec c10, TVec c11, TVec c20, TVec c21, TVec c30, TVec c31, TVec c40, TVec c41, TVec c50, TVec c51, TVec c60, TVec c61, TVec c70, TVec c71)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        nint nr = 2 * TSimd.Count;
        ref float t = ref Unsafe.AsRef<float>(tile);
        StorePair<TSimd, TVec, TActivation>(c00, c01, ref t, slope);
        StorePair<TSimd, TVec, TActivation>(c10, c11, ref Unsafe.Add(ref t, nr), slope);
        StorePair<TSimd, TVec, TActivation>(c20, c21, ref Unsafe.Add(ref t, 2 * nr), slope);
        StorePair<TSimd, TVec, TActivation>(c30, c31, ref Unsafe.Add(ref t, 3 * nr), slope);
        StorePair<TSimd, TVec, TActivation>(c40, c41, ref Unsafe.Add(ref t, 4 * nr), slope);
        StorePair<TSimd, TVec, TActivation>(c50, c51, ref Unsafe.Add(ref t, 5 * nr), slope);
        StorePair<TSimd, TVec, TActivation>(c60, c61, ref Unsafe.Add(ref t, 6 * nr), slope);
        StorePair<TSimd, TVec, TActivation>(c70, c71, ref Unsafe.Add(ref t, 7 * nr), slope);
    }

    /// <summary>Applies the fused part of the epilogue to two vectors and stores them side by side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair<TSimd, TVec, TActivation>(TVec first, TVec second, ref float destination, float slope)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        TSimd.Store(Activate<TSimd, TVec, TActivation>(first, slope), ref destination, 0);
        TSimd.Store(Activate<TSimd, TVec, TActivation>(second, slope), ref destination, TSimd.Count);
    }

    /// <summary>The activation if it is fused (a JIT-time choice), else the value unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Activate<TSimd, TVec, TActivation>(TVec z, float slope)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        if (typeof(TActivation) == typeof(ReLUActivation))
        {
            return new ReLUForward().Invoke<TSimd, TVec>(z);
        }
        if (typeof(TActivation) == typeof(LeakyReLUActivation))
        {
            return new LeakyReLUForward(slope).Invoke<TSimd, TVec>(z);
        }
        return z;
    }
}
