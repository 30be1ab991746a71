using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetDsl.Kernels;

// ---------------------------------------------------------------------------------------------------------------------
// Batch-1 products input by input: c = a · bᵀ read column by column of b, so that a zero input skips its column.
// ---------------------------------------------------------------------------------------------------------------------

/// <remarks>
/// <para>
/// <b>Column groups.</b> A batch-1 product reads every weight once, so its speed is how fast one core streams them
/// (<see cref="DotLayout"/>). The only way to read less is to skip weights that cannot change the result: those that
/// multiply a zero input. A dense layer after a ReLU sees about half its inputs at zero, and so does a layer over
/// images with a dark background. Dot products read rows of <c>W</c>, where a zero input is one term in each row; read
/// input by input, a zero input is a whole column of <c>W</c> that need not be read at all.
/// </para>
/// <para>
/// <see cref="PackColumnGroups"/> stores <c>W</c> for that: in groups of <c>G</c> rows (8 vectors, <see cref="ColumnGroupRows"/>),
/// each group input by input, <c>G</c> floats for each. The product (<see cref="ColumnProducts{TSimd, TVec, TActivation}"/>)
/// keeps a group's <c>G</c> sums in 8 vector registers and adds <c>x_p · W[:, p]</c> for each input <c>p</c> that is
/// not zero.
/// </para>
/// <para>
/// <b>Same bits as <see cref="Dot8"/>.</b> The inputs are visited in the order that gives each output exactly the
/// sequence of operations <see cref="Dot8"/> performs at <see cref="SimdWidth.Vector256"/> (the width of batch-1
/// products, <see cref="SimdDispatch.BestForStreaming"/>): the terms <c>p ≡ l (mod 16)</c> accumulated from zero in
/// increasing <c>p</c> (lane <c>l</c> of its first accumulator for <c>l &lt; 8</c>, of its second for the others), the
/// one vector past the last whole chunk into the first, the two added lane by lane, the 8 lanes summed as
/// <see cref="Vector256.Sum{T}(Vector256{T})"/> sums them, <c>((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))</c>,
/// and the last <c>k mod 8</c> terms added one by one. Skipping a zero input leaves the bits unchanged too: the
/// accumulators start at +0 and so never hold −0, and adding ±0 to anything else changes nothing. It would change a
/// result if a skipped column held an infinity or a NaN (<c>0 · ∞</c> is NaN), so weights that are not all finite are
/// never skipped. The tests check the bits against the dot products at every shape class.
/// </para>
/// <para>
/// <b>Measured</b> on one core here (Zen 4), a 512 → 256 layer at batch 1 with its weights in L2: 4.8 µs from the row
/// blocks whatever the inputs; from the column groups 5.1 µs with no zero input, 3.0 µs with half of them zero, 2.05 µs
/// with three quarters, and 0.66 µs with all (the fixed cost: listing the nonzero inputs, adding the lanes). With no
/// zero input the column groups are 3–7 % slower than the row blocks, which is why only layers whose inputs are often
/// zero are packed this way (<see cref="PackedWeights(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, bool)"/>), and why
/// a row with fewer than one zero input in 8 is read whole, without a list.
/// </para>
/// </remarks>
public static partial class Gemm
{
    /// <summary>Segments of the column order: 8 pairs of residue classes mod 16, then the tail.</summary>
    internal const int ColumnSegments = 17;

    /// <summary>Inputs that must be zero, out of every 8, before a product skips them rather than reads every column.</summary>
    private const int SparseEighths = 1;

    /// <summary>Rows of <c>W</c> per column group: 8 vectors of <paramref name="width"/>.</summary>
    internal static int ColumnGroupRows(SimdWidth width) => 8 * SimdDispatch.Lanes(width);

    /// <summary>
    /// <paramref name="width"/> (<see cref="SimdDispatch.Best"/> outside tests) if column groups of it serve a product of
    /// <paramref name="n"/> outputs whose few-row products run at <paramref name="dotWidth"/>, else
    /// <see cref="SimdWidth.Scalar"/> (the rows stay in <see cref="PackRowBlocks"/> blocks): the bits are matched only
    /// for dot products at <see cref="SimdWidth.Vector256"/>, and only whole groups of rows are served.
    /// </summary>
    internal static SimdWidth ColumnGroupWidth(int n, SimdWidth dotWidth, SimdWidth width)
    {
        bool serves = dotWidth == SimdWidth.Vector256 && width is SimdWidth.Vector512 or SimdWidth.Vector256 && n % ColumnGroupRows(width) == 0;
        return serves ? width : SimdWidth.Scalar;
    }

    /// <summary>
    /// The column order for depth <paramref name="k"/>: <paramref name="order"/>[position] = the input at that position,
    /// and <paramref name="segmentEnds"/>[s] = the end of segment <c>s</c> (<see cref="ColumnSegments"/> of them).
    /// Segment <c>2l</c> holds the inputs <c>p ≡ l (mod 16)</c> of the whole chunks of 16 and then input
    /// <c>chunks + l</c> if a vector of 8 follows them; segment <c>2l + 1</c> the inputs <c>p ≡ l + 8</c>; segment 16
    /// the last inputs, in order.
    /// </summary>
    internal static void ColumnOrder(int k, Span<int> order, Span<int> segmentEnds)
    {
        (nint chunks, nint vector, _) = DotLayout.Split(k, 8);
        int position = 0;
        for (int l = 0; l < 8; l++)
        {
            for (int p = l; p < chunks; p += 16)
            {
                order[position++] = p;
            }
            if (vector > 0)
            {
                order[position++] = (int)chunks + l;
            }
            segmentEnds[2 * l] = position;
            for (int p = l + 8; p < chunks; p += 16)
            {
                order[position++] = p;
            }
            segmentEnds[2 * l + 1] = position;
        }
        for (int p = (int)(chunks + vector); p < k; p++)
        {
            order[position++] = p;
        }
        segmentEnds[ColumnSegments - 1] = position;
    }

    /// <summary>
    /// Packs <paramref name="w"/> <c>[n,k]</c> into <paramref name="destination"/> (<c>n·k</c> floats) as groups of
    /// <paramref name="groupRows"/> rows, group <c>g</c> at <c>g·groupRows·k</c>, each input by input in
    /// <paramref name="order"/>: <c>W[g·G + r, order[q]]</c> at <c>q·G + r</c>.
    /// </summary>
    internal static unsafe void PackColumnGroups(ReadOnlySpan<float> w, int n, int k, int groupRows, ReadOnlySpan<int> order, float* destination)
    {
        for (int g = 0; g < n; g += groupRows)
        {
            float* group = destination + (nint)g * k;
            for (int q = 0; q < k; q++)
            {
                int p = order[q];
                for (int r = 0; r < groupRows; r++)
                {
                    group[(nint)q * groupRows + r] = w[(g + r) * k + p];
                }
            }
        }
    }

    /// <summary>The operands of <see cref="ColumnGroups{TSimd, TVec, TInputs}"/>.</summary>
    private unsafe struct ColumnJob
    {
        /// <summary>The column groups (<see cref="PackColumnGroups"/>).</summary>
        public float* Groups;
        /// <summary>The row's sums <c>[n]</c>.</summary>
        public float* C;
        /// <summary>The input row <c>[k]</c>, read at every position by <see cref="EveryInput"/>.</summary>
        public float* X;
        /// <summary>The input at each position (<see cref="ColumnOrder"/>).</summary>
        public int* Order;
        /// <summary>Where each segment ends: in positions for <see cref="EveryInput"/>, in listed inputs for <see cref="ListedInputs"/>.</summary>
        public int* SegmentEnds;
        /// <summary>The inputs that are not zero, in column order (<see cref="ListedInputs"/>): their values and positions.</summary>
        public float* Values;
        public int* Positions;
        public int K;
    }

    /// <summary>
    /// <c>c[m,n] = act(a · bᵀ + bias)</c> for <paramref name="m"/> below <see cref="PanelMinRows"/> from the column groups
    /// of <paramref name="packed"/>, skipping the inputs that are zero where enough of a row's are: the bits of
    /// <see cref="DotProducts"/> at <see cref="SimdWidth.Vector256"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    private static unsafe void ColumnProducts<TSimd, TVec, TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k,
        TActivation activation, PackedWeights packed)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        int groups = n / ColumnGroupRows(packed.ColumnWidth);
        int threads = (long)n * k >= ParallelDotWeights ? KernelOptions.MaxThreads : 1;
        int* listEnds = stackalloc int[ColumnSegments];
        fixed (float* pa = a, pc = c)
        fixed (int* order = packed.ColumnOrder, segmentEnds = packed.ColumnSegmentEnds)
        {
            for (int i = 0; i < m; i++)
            {
                float* x = pa + (nint)i * k;
                var job = new ColumnJob { Groups = packed.ColumnGroups, C = pc + (nint)i * n, X = x, Order = order, SegmentEnds = segmentEnds, K = k };
                if (packed.ColumnsFinite && CountZeros(x, k) * 8 >= SparseEighths * k)
                {
                    // List the inputs that are not zero, in column order, and where each segment's list ends.
                    // Each list has room for 8 more entries than inputs (ListNonzeroInputs stores 8 lanes at a time).
                    float* values = PackBuffer.Get(2 * k + 16);
                    int* positions = (int*)(values + k + 8);
                    ListNonzeroInputs(x, order, segmentEnds, values, positions, listEnds);
                    job.Values = values;
                    job.Positions = positions;
                    job.SegmentEnds = listEnds;
                    KernelRange.Run(&job, &ColumnGroups<TSimd, TVec, ListedInputs>, groups, threads);
                }
                else
                {
                    KernelRange.Run(&job, &ColumnGroups<TSimd, TVec, EveryInput>, groups, threads);
                }
            }
        }
        for (int i = 0; i < m; i++)
        {
            FinishRows(bias, c.Slice(i * n, n), n, activation);
        }
    }

    /// <summary>
    /// Writes the inputs of <paramref name="x"/> that are not zero (either sign) in column order (<paramref name="order"/>)
    /// to <paramref name="values"/>, their positions to <paramref name="positions"/>, and where each segment's list
    /// ends to <paramref name="listEnds"/>. Each list needs room for 8 entries past its last.
    /// </summary>
    [SkipLocalsInit]
    internal static unsafe void ListNonzeroInputs(float* x, int* order, int* segmentEnds, float* values, int* positions, int* listEnds, bool vectorized = true)
    {
        int count = 0, position = 0;
        if (vectorized && Avx512F.VL.IsSupported)
        {
            // 8 positions at a time: gather their inputs, then compress the nonzero ones and their positions into the lists.
            Vector256<int> lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            for (int s = 0; s < ColumnSegments; s++)
            {
                for (int end = segmentEnds[s]; position < end; position += 8)
                {
                    Vector256<int> inside = Vector256.LessThan(lanes, Vector256.Create(end - position));
                    Vector256<int> index = Avx2.MaskLoad(order + position, inside);
                    Vector256<float> value = Avx2.GatherMaskVector256(Vector256<float>.Zero, x, index, inside.AsSingle(), 4);
                    Vector256<float> keep = ~Vector256.Equals(value, Vector256<float>.Zero) & inside.AsSingle();
                    // Compressed in a register and stored whole (the store form of compress is slow on Zen 4): the
                    // lanes past the kept ones are overwritten by the next store, or lie past the lists' ends.
                    Avx512F.VL.Compress(Vector256<float>.Zero, keep, value).Store(values + count);
                    Avx512F.VL.Compress(Vector256<int>.Zero, keep.AsInt32(), Vector256.Create(position) + lanes).Store(positions + count);
                    count += BitOperations.PopCount(keep.ExtractMostSignificantBits());
                }
                position = segmentEnds[s];
                listEnds[s] = count;
            }
            return;
        }
        for (int s = 0; s < ColumnSegments; s++)
        {
            for (int end = segmentEnds[s]; position < end; position++)
            {
                float value = x[order[position]];
                values[count] = value;
                positions[count] = position;
                count += value != 0 ? 1 : 0;
            }
            listEnds[s] = count;
        }
    }

    /// <summary>The number of zeros (either sign) in <c>x[0..k)</c>.</summary>
    private static unsafe int CountZeros(float* x, int k)
    {
        int zeros = 0, p = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; p + 8 <= k; p += 8)
            {
                zeros += BitOperations.PopCount(Vector256.Equals(Vector256.Load(x + p), Vector256<float>.Zero).ExtractMostSignificantBits());
            }
        }
        for (; p < k; p++)
        {
            zeros += x[p] == 0 ? 1 : 0;
        }
        return zeros;
    }

    /// <summary>The column groups <c>[start, end)</c> of one row: each group's <c>G</c> sums, as <see cref="Dot8"/> forms them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    private static unsafe void ColumnGroups<TSimd, TVec, TInputs>(void* state, int start, int end)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TInputs : struct, IColumnInputs
    {
        ref readonly ColumnJob job = ref *(ColumnJob*)state;
        nint v = TSimd.Count, rows = 8 * v;
        // u[l] = lane l's two accumulators added, for the group's rows.
        float* u = stackalloc float[8 * 8 * TSimd.Count];
        for (int g = start; g < end; g++)
        {
            float* w = job.Groups + g * rows * job.K;
            for (int l = 0; l < 8; l++)
            {
                // Lane l's first accumulator, then its second added to it, as Dot8 adds them.
                Segment<TSimd, TVec, TInputs>(in job, 2 * l, w, u + l * rows, SegmentSums.Store);
                Segment<TSimd, TVec, TInputs>(in job, 2 * l + 1, w, u + l * rows, SegmentSums.AddToStored);
            }
            // Vector256.Sum's order, ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), for each row.
            for (nint r = 0; r < rows; r += v)
            {
                TVec l01 = TSimd.Add(TSimd.Load(ref *u, r), TSimd.Load(ref *u, rows + r));
                TVec l23 = TSimd.Add(TSimd.Load(ref *u, 2 * rows + r), TSimd.Load(ref *u, 3 * rows + r));
                TVec l45 = TSimd.Add(TSimd.Load(ref *u, 4 * rows + r), TSimd.Load(ref *u, 5 * rows + r));
                TVec l67 = TSimd.Add(TSimd.Load(ref *u, 6 * rows + r), TSimd.Load(ref *u, 7 * rows + r));
                TSimd.Store(TSimd.Add(TSimd.Add(l01, l23), TSimd.Add(l45, l67)), ref *u, r);
            }
            // The last terms one by one, onto the sums.
            Segment<TSimd, TVec, TInputs>(in job, ColumnSegments - 1, w, u, SegmentSums.Continue);
            new ReadOnlySpan<float>(u, (int)rows).CopyTo(new Span<float>(job.C + g * rows, (int)rows));
        }
    }

    /// <summary>What <see cref="Segment"/> does with the group's sums at <c>sums</c>.</summary>
    private enum SegmentSums
    {
        /// <summary>Sums the segment's terms from zero and stores them.</summary>
        Store,
        /// <summary>Sums the segment's terms from zero and adds them to the stored sums.</summary>
        AddToStored,
        /// <summary>Accumulates the segment's terms onto the stored sums, one term at a time.</summary>
        Continue,
    }

    /// <summary>One segment's terms for a group's rows (<paramref name="w"/>, 8 vectors per input), into <paramref name="sums"/> as <paramref name="mode"/> says.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Segment<TSimd, TVec, TInputs>(in ColumnJob job, int segment, float* w, float* sums, SegmentSums mode)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TInputs : struct, IColumnInputs
    {
        nint v = TSimd.Count, rows = 8 * v;
        ref float s = ref *sums;
        TVec a0, a1, a2, a3, a4, a5, a6, a7;
        if (mode == SegmentSums.Continue)
        {
            a0 = TSimd.Load(ref s, 0); a1 = TSimd.Load(ref s, v); a2 = TSimd.Load(ref s, 2 * v); a3 = TSimd.Load(ref s, 3 * v);
            a4 = TSimd.Load(ref s, 4 * v); a5 = TSimd.Load(ref s, 5 * v); a6 = TSimd.Load(ref s, 6 * v); a7 = TSimd.Load(ref s, 7 * v);
        }
        else
        {
            a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = TSimd.Zero;
        }
        int e = segment == 0 ? 0 : job.SegmentEnds[segment - 1], end = job.SegmentEnds[segment];
        float* inputs = job.X, values = job.Values;
        int* order = job.Order, positions = job.Positions;
        for (; e < end; e++)
        {
            (float value, nint position) = TInputs.At(inputs, order, values, positions, e);
            TVec x = TSimd.Broadcast(value);
            ref float column = ref *(w + position * rows);
            a0 = TSimd.MultiplyAdd(x, TSimd.Load(ref column, 0), a0); a1 = TSimd.MultiplyAdd(x, TSimd.Load(ref column, v), a1);
            a2 = TSimd.MultiplyAdd(x, TSimd.Load(ref column, 2 * v), a2); a3 = TSimd.MultiplyAdd(x, TSimd.Load(ref column, 3 * v), a3);
            a4 = TSimd.MultiplyAdd(x, TSimd.Load(ref column, 4 * v), a4); a5 = TSimd.MultiplyAdd(x, TSimd.Load(ref column, 5 * v), a5);
            a6 = TSimd.MultiplyAdd(x, TSimd.Load(ref column, 6 * v), a6); a7 = TSimd.MultiplyAdd(x, TSimd.Load(ref column, 7 * v), a7);
        }
        if (mode == SegmentSums.AddToStored)
        {
            a0 = TSimd.Add(TSimd.Load(ref s, 0), a0); a1 = TSimd.Add(TSimd.Load(ref s, v), a1);
            a2 = TSimd.Add(TSimd.Load(ref s, 2 * v), a2); a3 = TSimd.Add(TSimd.Load(ref s, 3 * v), a3);
            a4 = TSimd.Add(TSimd.Load(ref s, 4 * v), a4); a5 = TSimd.Add(TSimd.Load(ref s, 5 * v), a5);
            a6 = TSimd.Add(TSimd.Load(ref s, 6 * v), a6); a7 = TSimd.Add(TSimd.Load(ref s, 7 * v), a7);
        }
        TSimd.Store(a0, ref s, 0); TSimd.Store(a1, ref s, v); TSimd.Store(a2, ref s, 2 * v); TSimd.Store(a3, ref s, 3 * v);
        TSimd.Store(a4, ref s, 4 * v); TSimd.Store(a5, ref s, 5 * v); TSimd.Store(a6, ref s, 6 * v); TSimd.Store(a7, ref s, 7 * v);
    }

    /// <summary>Which inputs a column product reads: the <c>e</c>-th one's value and position.</summary>
    private interface IColumnInputs
    {
        static abstract unsafe (float Value, nint Position) At(float* inputs, int* order, float* values, int* positions, int e);
    }

    /// <summary>Every input, in column order.</summary>
    private readonly struct EveryInput : IColumnInputs
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe (float Value, nint Position) At(float* inputs, int* order, float* values, int* positions, int e) => (inputs[order[e]], e);
    }

    /// <summary>The listed inputs (those that are not zero).</summary>
    private readonly struct ListedInputs : IColumnInputs
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe (float Value, nint Position) At(float* inputs, int* order, float* values, int* positions, int e) => (values[e], positions[e]);
    }
}
