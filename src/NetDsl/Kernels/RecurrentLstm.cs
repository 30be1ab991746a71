using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetDsl.Kernels;

/// <summary>
/// The LSTM forward pass for batches of <see cref="Gemm.PanelMinRows"/> samples or more: each step is one product of
/// <c>[x_t, h_(t−1)]</c> with the packed <c>[W_ih | W_hh]ᵀ</c>, its epilogue the whole cell (gate activations, cell
/// and state update) on each finished tile, from a small buffer in L1.
/// </summary>
/// <remarks>
/// <para>
/// Why one product of depth <c>I + H</c> per step instead of one input projection for all steps and one recurrent
/// product per step: the projection's output (<c>[B·T, 4H]</c>, 3.2 MB for the peer workload, B = 32, T = 50, I = 32,
/// H = 128) does not fit in L2, so it was written to L3 once and read back once per step, and the cell ran as a third
/// pass over it. Here the weights (<c>4H·(I + H + 1)</c> floats, 320 KB) are packed once per call and stay in L2 for
/// all steps; each gate sum is computed, activated and stored once.
/// </para>
/// <para>
/// Packing: the units are cut into blocks of <c>V</c> units (one vector; the last <c>H mod V</c> units in blocks of
/// one). Block <c>[u0, u0 + w)</c> is <c>1 + I + H</c> rows of <c>4w</c> floats starting at float <c>4·u0·(1 + I + H)</c>:
/// row 0 the summed biases <c>b_ih + b_hh</c> of gates i, f, g, o, row <c>1 + p</c> the weights of depth <c>p</c>
/// (<c>W_ih[·, p]</c> for <c>p &lt; I</c>, then <c>W_hh[·, p − I]</c>), the four gates' <c>w</c> units side by side.
/// </para>
/// <para>
/// The micro-kernel computes <see cref="Rows"/> samples × one block: 4 rows × 4 gate vectors, 16 accumulators starting
/// from the bias row, one broadcast of <c>x</c> or <c>h</c> per row and depth and four loads of the packed row. With
/// <c>B = 32</c> the rows tile exactly (a 6-row tile, the dense kernel's, would compute 36 rows for 32). Measured for
/// the peer workload: 46 µs per step for the product (113 GFLOP/s) and 7 µs for the cells, against 49 µs for the
/// recurrent product alone on the dense kernel plus the projection and the cell passes before. Blocks are
/// independent, so threads split the blocks: each value is computed by one thread in one order, the same for any
/// <see cref="KernelOptions.MaxThreads"/>.
/// </para>
/// </remarks>
internal static unsafe class RecurrentLstm
{
    /// <summary>Samples per micro-tile.</summary>
    public const int Rows = 4;

    /// <summary>Floats of the packed forward weights, with room to align them to 64 bytes.</summary>
    public static int PackedLength(int inputs, int units) => checked(4 * units * (1 + inputs + units) + 16);

    /// <summary>The operands of one forward step.</summary>
    internal struct StepJob
    {
        /// <summary>Inputs <c>[B, T, I]</c>.</summary>
        public float* X;
        /// <summary>States <c>[B, T, H]</c>: read at each sample's previous position, written at its current one.</summary>
        public float* Hidden;
        /// <summary>Activated gates <c>[B, T, 4H]</c> (the cache).</summary>
        public float* Gates;
        /// <summary>Cell states <c>c_t</c> and their tanh, <c>[B, T, H]</c> each (the cache).</summary>
        public float* Cell, CellTanh;
        /// <summary>The packed weights (64-byte aligned).</summary>
        public float* Packed;
        /// <summary>Each sample's length, or null for all <c>T</c>.</summary>
        public int* Lengths;
        public int Batch, Steps, Inputs, Units;
        /// <summary>The step <c>s</c> every sample runs now (at position <c>s</c>, or <c>L−1−s</c> in reverse).</summary>
        public int Step;
        public bool Reverse;
    }

    /// <summary>Packs <c>[W_ih | W_hh]ᵀ</c> and the summed biases as the remarks describe, for blocks of <typeparamref name="TSimd"/>'s width.</summary>
    public static void Pack<TSimd, TVec>(float* packed, ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh,
        ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh, int inputs, int units)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int v = TSimd.Count, whole = units - units % v, depth = 1 + inputs + units;
        fixed (float* wih = weightIh, whh = weightHh, bih = biasIh, bhh = biasHh)
        {
            for (int u0 = 0; u0 < units; u0 += u0 < whole ? v : 1)
            {
                int w = u0 < whole ? v : 1;
                float* block = packed + 4 * u0 * depth;
                // Column n of the block is unit u0 + n mod w of gate n / w, that is row (n / w)·H + u0 + n mod w of the
                // weights; each gate's w rows are transposed into their w columns.
                for (int n = 0; n < 4 * w; n++)
                {
                    int source = n / w * units + u0 + n % w;
                    block[n] = (biasIh.IsEmpty ? 0f : bih[source]) + (biasHh.IsEmpty ? 0f : bhh[source]);
                }
                float* row = block + 4 * w;
                for (int gate = 0; gate < 4; gate++)
                {
                    Transpose(wih + (nint)(gate * units + u0) * inputs, inputs, w, inputs, row + gate * w, 4 * w);
                    Transpose(whh + (nint)(gate * units + u0) * units, units, w, units, row + (nint)inputs * 4 * w + gate * w, 4 * w);
                }
            }
        }
    }

    /// <summary>
    /// <c>destination[p·destinationStride + c] = source[c·sourceStride + p]</c> for <c>c &lt; columns</c>, <c>p &lt; depth</c>:
    /// 4 × 4 blocks through SSE registers where they fit (the scalar loop measured 40 to 60 µs for the peer workload's
    /// 320 KB), then one value at a time.
    /// </summary>
    private static void Transpose(float* source, nint sourceStride, int columns, int depth, float* destination, nint destinationStride)
    {
        int c = 0;
        if (Sse.IsSupported)
        {
            for (; c + 4 <= columns; c += 4)
            {
                float* s0 = source + c * sourceStride, s1 = s0 + sourceStride, s2 = s1 + sourceStride, s3 = s2 + sourceStride;
                int p = 0;
                for (; p + 4 <= depth; p += 4)
                {
                    Vector128<float> r0 = Sse.LoadVector128(s0 + p), r1 = Sse.LoadVector128(s1 + p);
                    Vector128<float> r2 = Sse.LoadVector128(s2 + p), r3 = Sse.LoadVector128(s3 + p);
                    // r0 = (a0 a1 a2 a3), r1 = (b0 ..), ...: rows of the result are (a_q b_q c_q d_q).
                    Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1); // a0 b0 a1 b1 | a2 b2 a3 b3
                    Vector128<float> t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3); // c0 d0 c1 d1 | c2 d2 c3 d3
                    float* d = destination + p * destinationStride + c;
                    Sse.Store(d, Sse.MoveLowToHigh(t0, t2));
                    Sse.Store(d + destinationStride, Sse.MoveHighToLow(t2, t0));
                    Sse.Store(d + 2 * destinationStride, Sse.MoveLowToHigh(t1, t3));
                    Sse.Store(d + 3 * destinationStride, Sse.MoveHighToLow(t3, t1));
                }
                for (; p < depth; p++)
                {
                    float* d = destination + p * destinationStride + c;
                    d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p];
                }
            }
        }
        for (; c < columns; c++)
        {
            for (int p = 0; p < depth; p++)
            {
                destination[p * destinationStride + c] = source[c * sourceStride + p];
            }
        }
    }

    /// <summary>The number of unit blocks at a width of <paramref name="v"/> floats: whole vectors, then single units.</summary>
    public static int Blocks(int units, int v) => units / v + units % v;

    /// <summary>One step for unit blocks <c>[blockStart, blockEnd)</c> (whole vectors first, then single units).</summary>
    public static void Step<TSimd, TVec>(in StepJob job, int blockStart, int blockEnd) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int v = TSimd.Count, wholeBlocks = job.Units / v;
        for (int block = blockStart; block < blockEnd; block++)
        {
            if (block < wholeBlocks)
            {
                StepBlock<TSimd, TVec>(in job, block * v);
            }
            else
            {
                StepBlock<SimdScalar, float>(in job, wholeBlocks * v + (block - wholeBlocks));
            }
        }
    }

    /// <summary>Every tile of samples for the units <c>[u0, u0 + V)</c>.</summary>
    private static void StepBlock<TSimd, TVec>(in StepJob job, int u0) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        float* block = job.Packed + 4 * u0 * (1 + job.Inputs + job.Units);
        float* sums = stackalloc float[4 * Rows * TSimd.Count];
        for (int i = 0; i < job.Batch; i += Rows)
        {
            Tile<TSimd, TVec>(in job, block, i, u0, sums);
        }
    }

    /// <summary>Where sample <paramref name="b"/> runs step <paramref name="s"/>: its row in <c>[B·T]</c> (−1 if it has no such step) and its previous row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RowOf(in StepJob job, int b, int s, out int previous)
    {
        int steps = job.Steps;
        int length = job.Lengths == null ? steps : job.Lengths[b];
        if (b >= job.Batch || s >= length)
        {
            previous = -1;
            return -1;
        }
        int t = job.Reverse ? length - 1 - s : s;
        previous = s == 0 ? -1 : b * steps + (job.Reverse ? t + 1 : t - 1);
        return b * steps + t;
    }

    /// <summary>
    /// Samples <c>[i, i + 4)</c> × units <c>[u0, u0 + V)</c>: the four gate sums by the product, then the cell. Samples
    /// past the batch or past their length read row 0 and store nothing.
    /// </summary>
    private static void Tile<TSimd, TVec>(in StepJob job, float* block, int i, int u0, float* sums) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        nint v = TSimd.Count, w4 = 4 * v;
        int inputs = job.Inputs, units = job.Units;
        int row0 = RowOf(in job, i, job.Step, out int prev0), row1 = RowOf(in job, i + 1, job.Step, out int prev1);
        int row2 = RowOf(in job, i + 2, job.Step, out int prev2), row3 = RowOf(in job, i + 3, job.Step, out int prev3);

        ref float bp = ref Unsafe.AsRef<float>(block);
        TVec bi = TSimd.Load(ref bp, 0), bf = TSimd.Load(ref bp, v), bg = TSimd.Load(ref bp, 2 * v), bo = TSimd.Load(ref bp, 3 * v);
        TVec i0 = bi, f0 = bf, g0 = bg, o0 = bo, i1 = bi, f1 = bf, g1 = bg, o1 = bo;
        TVec i2 = bi, f2 = bf, g2 = bg, o2 = bo, i3 = bi, f3 = bf, g3 = bg, o3 = bo;

        // Input side: x_t of each sample.
        float* x0 = job.X + Math.Max(row0, 0) * (nint)inputs, x1 = job.X + Math.Max(row1, 0) * (nint)inputs;
        float* x2 = job.X + Math.Max(row2, 0) * (nint)inputs, x3 = job.X + Math.Max(row3, 0) * (nint)inputs;
        for (nint p = 0; p < inputs; p++)
        {
            bp = ref Unsafe.Add(ref bp, w4);
            TVec wi = TSimd.Load(ref bp, 0), wf = TSimd.Load(ref bp, v), wg = TSimd.Load(ref bp, 2 * v), wo = TSimd.Load(ref bp, 3 * v);
            TVec a = TSimd.Broadcast(x0[p]);
            i0 = TSimd.MultiplyAdd(a, wi, i0); f0 = TSimd.MultiplyAdd(a, wf, f0); g0 = TSimd.MultiplyAdd(a, wg, g0); o0 = TSimd.MultiplyAdd(a, wo, o0);
            a = TSimd.Broadcast(x1[p]);
            i1 = TSimd.MultiplyAdd(a, wi, i1); f1 = TSimd.MultiplyAdd(a, wf, f1); g1 = TSimd.MultiplyAdd(a, wg, g1); o1 = TSimd.MultiplyAdd(a, wo, o1);
            a = TSimd.Broadcast(x2[p]);
            i2 = TSimd.MultiplyAdd(a, wi, i2); f2 = TSimd.MultiplyAdd(a, wf, f2); g2 = TSimd.MultiplyAdd(a, wg, g2); o2 = TSimd.MultiplyAdd(a, wo, o2);
            a = TSimd.Broadcast(x3[p]);
            i3 = TSimd.MultiplyAdd(a, wi, i3); f3 = TSimd.MultiplyAdd(a, wf, f3); g3 = TSimd.MultiplyAdd(a, wg, g3); o3 = TSimd.MultiplyAdd(a, wo, o3);
        }

        // Hidden side: h_(t−1), zero at each sample's first step (then the product is skipped, as the step is the same for all).
        if (job.Step > 0)
        {
            float* h0 = job.Hidden + Math.Max(prev0, 0) * (nint)units, h1 = job.Hidden + Math.Max(prev1, 0) * (nint)units;
            float* h2 = job.Hidden + Math.Max(prev2, 0) * (nint)units, h3 = job.Hidden + Math.Max(prev3, 0) * (nint)units;
            for (nint p = 0; p < units; p++)
            {
                bp = ref Unsafe.Add(ref bp, w4);
                TVec wi = TSimd.Load(ref bp, 0), wf = TSimd.Load(ref bp, v), wg = TSimd.Load(ref bp, 2 * v), wo = TSimd.Load(ref bp, 3 * v);
                TVec a = TSimd.Broadcast(h0[p]);
                i0 = TSimd.MultiplyAdd(a, wi, i0); f0 = TSimd.MultiplyAdd(a, wf, f0); g0 = TSimd.MultiplyAdd(a, wg, g0); o0 = TSimd.MultiplyAdd(a, wo, o0);
                a = TSimd.Broadcast(h1[p]);
                i1 = TSimd.MultiplyAdd(a, wi, i1); f1 = TSimd.MultiplyAdd(a, wf, f1); g1 = TSimd.MultiplyAdd(a, wg, g1); o1 = TSimd.MultiplyAdd(a, wo, o1);
                a = TSimd.Broadcast(h2[p]);
                i2 = TSimd.MultiplyAdd(a, wi, i2); f2 = TSimd.MultiplyAdd(a, wf, f2); g2 = TSimd.MultiplyAdd(a, wg, g2); o2 = TSimd.MultiplyAdd(a, wo, o2);
                a = TSimd.Broadcast(h3[p]);
                i3 = TSimd.MultiplyAdd(a, wi, i3); f3 = TSimd.MultiplyAdd(a, wf, f3); g3 = TSimd.MultiplyAdd(a, wg, g3); o3 = TSimd.MultiplyAdd(a, wo, o3);
            }
        }

        // The cell runs from a small buffer in L1 in its own method: inlined after the product, the JIT spilled and
        // reloaded around the activations (measured 25 µs per step for B = 32, H = 128, against 7 µs this way).
        ref float t = ref Unsafe.AsRef<float>(sums);
        TSimd.Store(i0, ref t, 0); TSimd.Store(f0, ref t, v); TSimd.Store(g0, ref t, 2 * v); TSimd.Store(o0, ref t, 3 * v);
        TSimd.Store(i1, ref t, 4 * v); TSimd.Store(f1, ref t, 5 * v); TSimd.Store(g1, ref t, 6 * v); TSimd.Store(o1, ref t, 7 * v);
        TSimd.Store(i2, ref t, 8 * v); TSimd.Store(f2, ref t, 9 * v); TSimd.Store(g2, ref t, 10 * v); TSimd.Store(o2, ref t, 11 * v);
        TSimd.Store(i3, ref t, 12 * v); TSimd.Store(f3, ref t, 13 * v); TSimd.Store(g3, ref t, 14 * v); TSimd.Store(o3, ref t, 15 * v);
        Cell<TSimd, TVec>(in job, row0, prev0, u0, sums);
        Cell<TSimd, TVec>(in job, row1, prev1, u0, sums + 4 * v);
        Cell<TSimd, TVec>(in job, row2, prev2, u0, sums + 8 * v);
        Cell<TSimd, TVec>(in job, row3, prev3, u0, sums + 12 * v);
        Prefetch(in job, i, u0);
    }

    /// <summary>
    /// Asks for the lines the next step will write for samples <c>[i, i + 4)</c> and units <c>[u0, u0 + w)</c>: rows far
    /// apart, too many streams for the hardware prefetchers, and each write would first wait for its line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(in StepJob job, int i, int u0)
    {
        if (!Sse.IsSupported || u0 % 16 != 0)
        {
            return; // one line of 16 floats per row and array
        }
        nint units = job.Units;
        for (int b = i; b < i + Rows; b++)
        {
            int row = RowOf(in job, b, job.Step + 1, out _);
            if (row < 0)
            {
                continue;
            }
            float* gates = job.Gates + 4 * row * units + u0;
            Sse.Prefetch1(gates);
            Sse.Prefetch1(gates + units);
            Sse.Prefetch1(gates + 2 * units);
            Sse.Prefetch1(gates + 3 * units);
            Sse.Prefetch1(job.Cell + row * units + u0);
            Sse.Prefetch1(job.CellTanh + row * units + u0);
        }
    }

    /// <summary>
    /// The cell on one sample's gate sums (row <paramref name="row"/>, units from <paramref name="u0"/>):
    /// <c>[i, f, g, o] = [σ, σ, tanh, σ](sums)</c>, <c>c_t = f ⊙ c_(t−1) + i ⊙ g</c>, <c>h_t = o ⊙ tanh(c_t)</c>; nothing
    /// for a sample that does not run this step (<paramref name="row"/> &lt; 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Cell<TSimd, TVec>(in StepJob job, int row, int previous, int u0, float* sums)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        if (row < 0)
        {
            return;
        }
        nint units = job.Units, at = row * units + u0;
        ref float s = ref Unsafe.AsRef<float>(sums);
        nint v = TSimd.Count;
        TVec i = RecurrentCells.Sigmoid<TSimd, TVec>(TSimd.Load(ref s, 0)), f = RecurrentCells.Sigmoid<TSimd, TVec>(TSimd.Load(ref s, v));
        TVec g = RecurrentCells.Tanh<TSimd, TVec>(TSimd.Load(ref s, 2 * v)), o = RecurrentCells.Sigmoid<TSimd, TVec>(TSimd.Load(ref s, 3 * v));
        ref float gates = ref Unsafe.AsRef<float>(job.Gates + 4 * row * units + u0);
        TSimd.Store(i, ref gates, 0);
        TSimd.Store(f, ref gates, units);
        TSimd.Store(g, ref gates, 2 * units);
        TSimd.Store(o, ref gates, 3 * units);
        TVec ig = TSimd.Multiply(i, g);
        TVec c = previous < 0 ? ig : TSimd.MultiplyAdd(f, TSimd.Load(ref Unsafe.AsRef<float>(job.Cell + previous * units + u0), 0), ig);
        TVec tc = RecurrentCells.Tanh<TSimd, TVec>(c);
        TSimd.Store(c, ref Unsafe.AsRef<float>(job.Cell), at);
        TSimd.Store(tc, ref Unsafe.AsRef<float>(job.CellTanh), at);
        TSimd.Store(TSimd.Multiply(o, tc), ref Unsafe.AsRef<float>(job.Hidden), at);
    }
}

/// <summary>
/// The LSTM forward pass for one sample with AVX-512 (batch-1 inference), bound by reading <c>W_hh</c> (<c>4H·H</c>
/// floats, 256 KB for H = 128) from L2 once per step.
/// </summary>
/// <remarks>
/// The input projections of all steps are one product first (<see cref="Gemm"/>); then each step, for each block of
/// 16 units, forms the four gates' sums as dot products of 16 rows of <c>W_hh</c> with <c>h_(t−1)</c>
/// (<see cref="RecurrentProducts.DotRows16"/>, which streams the rows as they lie, so nothing is packed) and runs the
/// cell on them in registers. Measured on this machine: the step's product streams at 101 GB/s against 116 GB/s for
/// a plain read from L2.
/// </remarks>
internal static unsafe class RecurrentLstmOne
{
    /// <summary>Whether this path serves the shape: AVX-512 and <c>H</c> a multiple of 16.</summary>
    public static bool Supports(int units, SimdWidth width) => width == SimdWidth.Vector512 && Avx512F.IsSupported && units % 16 == 0;

    /// <summary>
    /// The steps of one sample of <paramref name="length"/> steps, its gates already holding <c>W_ih x_t + b_ih</c> at
    /// positions <c>[0, L)</c>. Writes the activated gates over them, <c>c_t</c>, <c>tanh(c_t)</c> and <c>h_t</c>.
    /// </summary>
    public static void Steps(float* gates, float* cell, float* cellTanh, float* hidden, float* weightHh, float* biasHh, int length, int units, bool reverse)
    {
        nint h = units;
        for (int s = 0; s < length; s++)
        {
            int t = reverse ? length - 1 - s : s;
            int previous = s == 0 ? -1 : reverse ? t + 1 : t - 1;
            float* g = gates + 4 * t * h;
            // All the step's gate sums first, then the cells: the cells' exp chains are latency-bound one block at a
            // time, but the blocks are independent, so a pass of cells alone overlaps them (measured 0.85 → 0.2 µs
            // per step for H = 128).
            RecurrentProducts.RowSums16(g, weightHh, biasHh, previous >= 0 ? hidden + previous * h : null, 4 * h, h, accumulate: true);
            for (nint u = 0; u < h; u += 16)
            {
                Vector512<float> i = RecurrentCells.Sigmoid<Simd512, Vector512<float>>(Vector512.Load(g + u));
                Vector512<float> f = RecurrentCells.Sigmoid<Simd512, Vector512<float>>(Vector512.Load(g + h + u));
                Vector512<float> gg = RecurrentCells.Tanh<Simd512, Vector512<float>>(Vector512.Load(g + 2 * h + u));
                Vector512<float> o = RecurrentCells.Sigmoid<Simd512, Vector512<float>>(Vector512.Load(g + 3 * h + u));
                i.Store(g + u);
                f.Store(g + h + u);
                gg.Store(g + 2 * h + u);
                o.Store(g + 3 * h + u);
                Vector512<float> c = i * gg;
                if (previous >= 0)
                {
                    c = Avx512F.FusedMultiplyAdd(f, Vector512.Load(cell + previous * h + u), c);
                }
                Vector512<float> tc = RecurrentCells.Tanh<Simd512, Vector512<float>>(c);
                c.Store(cell + t * h + u);
                tc.Store(cellTanh + t * h + u);
                (o * tc).Store(hidden + t * h + u);
            }
        }
    }
}

/// <summary>
/// The LSTM backward pass through time for batches of <see cref="Gemm.PanelMinRows"/> samples or more: each step is one
/// product <c>dG_s[B, 4H] · W_hh[4H, H]</c>, its epilogue the cell's backward step <c>s − 1</c> on the units of the tile,
/// so the carried <c>dh</c> never leaves the tile.
/// </summary>
/// <remarks>
/// <para>
/// <c>W_hh</c> is packed once per call into panels of <see cref="PanelVectors"/> vectors of units (zero past <c>H</c>):
/// panel <c>q</c> is <c>4H</c> rows of <c>2V</c> floats, <c>W_hh[p, q·2V …]</c>. The micro-kernel is 8 samples × 2 vectors
/// in 16 accumulators, its sums left in an L1 buffer for the epilogue: per depth 2 loads of the panel (64 KB for H = 128,
/// read from L2) and 8 broadcasts of <c>dG</c> rows (in L1). The forward's 4 × 4 shape reads twice as much of its panel
/// per FMA; here the panel is 3.2 times deeper, so the smaller L2 stream is the safer choice (the two measured alike
/// alone, 41 µs per step for B = 32, H = 128).
/// </para>
/// <para>
/// The epilogue for sample <c>b</c> and units <c>[u, u + V)</c>: <c>dh = dL/dh_(s−1) + carry</c>, where the carry is the
/// product unless the sample did not run step <c>s</c> or truncation cuts the gradient between <c>s</c> and <c>s − 1</c>
/// (then <c>dc</c> restarts from zero too); then <c>dc_t = dc + dh ⊙ o ⊙ (1 − tanh²(c_t))</c>, the four gate
/// gradients into <c>dG</c>, <c>dc ← dc_t ⊙ f</c>, and the bias gradient <c>db += dG</c>. Each unit's values are computed
/// by the one thread that owns its panel, in step order: results do not depend on the thread count.
/// </para>
/// </remarks>
internal static unsafe class RecurrentLstmBackward
{
    /// <summary>Vectors of units per panel of the packed <c>W_hh</c>.</summary>
    public const int PanelVectors = 2;

    /// <summary>Samples per micro-tile.</summary>
    public const int Rows = 8;

    /// <summary>Floats of the packed <c>W_hh</c> at any width (panels of up to 64 units), with room to align it.</summary>
    public static int PackedLength(int units) => checked(4 * units * ((units + 63) / 64 * 64) + 16);

    /// <summary>The operands of one backward step.</summary>
    internal struct StepJob
    {
        /// <summary>Gate gradients <c>[B, T, 4H]</c>: read at step <c>s</c>, written at step <c>s − 1</c>.</summary>
        public float* GateGradient;
        /// <summary>The forward cache: activated gates <c>[B, T, 4H]</c>, cell states and their tanh <c>[B, T, H]</c>.</summary>
        public float* Gates, Cell, CellTanh;
        /// <summary><c>dL/dh</c> entering at each position, <c>[B, T, H]</c>.</summary>
        public float* HiddenGradient;
        /// <summary>The carried <c>dL/dc</c>, <c>[B, H]</c>.</summary>
        public float* CellGradient;
        /// <summary>The bias gradient <c>[4H]</c>, accumulated; null for none.</summary>
        public float* BiasGradient;
        /// <summary>The packed <c>W_hh</c> (64-byte aligned).</summary>
        public float* Packed;
        /// <summary>Each sample's length, or null for all <c>T</c>.</summary>
        public int* Lengths;
        public int Batch, Steps, Units, Truncation;
        /// <summary>The step <c>s</c> whose gate gradients the product reads; the epilogue runs step <c>s − 1</c>.</summary>
        public int Step;
        public bool Reverse;
    }

    /// <summary>Packs <c>W_hh [4H, H]</c> into panels of <see cref="PanelVectors"/> vectors of <typeparamref name="TSimd"/>.</summary>
    public static void Pack<TSimd, TVec>(float* packed, ReadOnlySpan<float> weightHh, int units) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int width = PanelVectors * TSimd.Count, depth = 4 * units;
        fixed (float* w = weightHh)
        {
            for (int j = 0; j < units; j += width)
            {
                int valid = Math.Min(width, units - j);
                float* panel = packed + (nint)j * depth;
                for (nint p = 0; p < depth; p++)
                {
                    new ReadOnlySpan<float>(w + p * units + j, valid).CopyTo(new Span<float>(panel + p * width, valid));
                    new Span<float>(panel + p * width + valid, width - valid).Clear();
                }
            }
        }
    }

    /// <summary>The number of panels at <typeparamref name="TSimd"/>'s width.</summary>
    public static int Panels<TSimd, TVec>(int units) where TSimd : struct, ISimd<TVec> where TVec : struct
        => (units + PanelVectors * TSimd.Count - 1) / (PanelVectors * TSimd.Count);

    /// <summary>Where sample <paramref name="b"/> runs step <paramref name="s"/>: its row in <c>[B·T]</c> (−1 if it has no such step) and the previous row (−1 at its first step).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RowOf(in StepJob job, int b, int s, out int previous)
    {
        int steps = job.Steps;
        int length = b >= job.Batch ? 0 : job.Lengths == null ? steps : job.Lengths[b];
        if (s < 0 || s >= length)
        {
            previous = -1;
            return -1;
        }
        int t = job.Reverse ? length - 1 - s : s;
        previous = s == 0 ? -1 : b * steps + (job.Reverse ? t + 1 : t - 1);
        return b * steps + t;
    }

    /// <summary>
    /// Whether the gradient of sample <paramref name="b"/> flows back from step <paramref name="s"/> to step <c>s − 1</c>:
    /// the sample ran step <c>s</c> and truncation does not cut there (<c>(L − s) mod k ≠ 0</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Flows(in StepJob job, int b, int s)
    {
        int length = job.Lengths == null ? job.Steps : job.Lengths[b];
        return s < length && (job.Truncation == 0 || (length - s) % job.Truncation != 0);
    }

    /// <summary>The cell's backward step <c>s</c> with no carried <c>dh</c> (the last step), for every sample and unit.</summary>
    public static void Start<TSimd, TVec>(in StepJob job, int s) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int v = TSimd.Count, whole = job.Units - job.Units % v;
        for (int b = 0; b < job.Batch; b++)
        {
            if (RowOf(in job, b, s, out _) < 0)
            {
                continue;
            }
            for (int u = 0; u < whole; u += v)
            {
                Cell<TSimd, TVec>(in job, b, s, u, null);
            }
            for (int u = whole; u < job.Units; u++)
            {
                Cell<SimdScalar, float>(in job, b, s, u, null);
            }
        }
    }

    /// <summary>One step for panels <c>[panelStart, panelEnd)</c>: the product of step <c>s</c>, then the cell of step <c>s − 1</c>.</summary>
    public static void Step<TSimd, TVec>(in StepJob job, int panelStart, int panelEnd) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int width = PanelVectors * TSimd.Count;
        float* sums = stackalloc float[Rows * width];
        for (int panel = panelStart; panel < panelEnd; panel++)
        {
            int j = panel * width;
            float* packed = job.Packed + (nint)j * 4 * job.Units;
            for (int i = 0; i < job.Batch; i += Rows)
            {
                Tile<TSimd, TVec>(in job, packed, i, sums);
                for (int r = 0; r < Rows && i + r < job.Batch; r++)
                {
                    Finish<TSimd, TVec>(in job, i + r, j, sums + r * width);
                }
            }
        }
    }

    /// <summary><c>sums[r, :] = dG_s[i + r, :] · panel</c> for the 8 samples from <paramref name="i"/> (those past the batch or its length read row 0; their sums are not used).</summary>
    private static void Tile<TSimd, TVec>(in StepJob job, float* panel, int i, float* sums) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        nint v = TSimd.Count, width = PanelVectors * v, depth = 4 * job.Units;
        int s = job.Step;
        float* a0 = job.GateGradient + Math.Max(RowOf(in job, i, s, out _), 0) * depth;
        float* a1 = job.GateGradient + Math.Max(RowOf(in job, i + 1, s, out _), 0) * depth;
        float* a2 = job.GateGradient + Math.Max(RowOf(in job, i + 2, s, out _), 0) * depth;
        float* a3 = job.GateGradient + Math.Max(RowOf(in job, i + 3, s, out _), 0) * depth;
        float* a4 = job.GateGradient + Math.Max(RowOf(in job, i + 4, s, out _), 0) * depth;
        float* a5 = job.GateGradient + Math.Max(RowOf(in job, i + 5, s, out _), 0) * depth;
        float* a6 = job.GateGradient + Math.Max(RowOf(in job, i + 6, s, out _), 0) * depth;
        float* a7 = job.GateGradient + Math.Max(RowOf(in job, i + 7, s, out _), 0) * depth;
        TVec c00 = TSimd.Zero, c01 = TSimd.Zero, c10 = TSimd.Zero, c11 = TSimd.Zero, c20 = TSimd.Zero, c21 = TSimd.Zero, c30 = TSimd.Zero, c31 = TSimd.Zero;
        TVec c40 = TSimd.Zero, c41 = TSimd.Zero, c50 = TSimd.Zero, c51 = TSimd.Zero, c60 = TSimd.Zero, c61 = TSimd.Zero, c70 = TSimd.Zero, c71 = TSimd.Zero;
        ref float bp = ref Unsafe.AsRef<float>(panel);
        for (nint p = 0; p < depth; p++)
        {
            TVec w0 = TSimd.Load(ref bp, 0), w1 = TSimd.Load(ref bp, v);
            bp = ref Unsafe.Add(ref bp, width);
            TVec a = TSimd.Broadcast(a0[p]);
            c00 = TSimd.MultiplyAdd(a, w0, c00); c01 = TSimd.MultiplyAdd(a, w1, c01);
            a = TSimd.Broadcast(a1[p]);
            c10 = TSimd.MultiplyAdd(a, w0, c10); c11 = TSimd.MultiplyAdd(a, w1, c11);
            a = TSimd.Broadcast(a2[p]);
            c20 = TSimd.MultiplyAdd(a, w0, c20); c21 = TSimd.MultiplyAdd(a, w1, c21);
            a = TSimd.Broadcast(a3[p]);
            c30 = TSimd.MultiplyAdd(a, w0, c30); c31 = TSimd.MultiplyAdd(a, w1, c31);
            a = TSimd.Broadcast(a4[p]);
            c40 = TSimd.MultiplyAdd(a, w0, c40); c41 = TSimd.MultiplyAdd(a, w1, c41);
            a = TSimd.Broadcast(a5[p]);
            c50 = TSimd.MultiplyAdd(a, w0, c50); c51 = TSimd.MultiplyAdd(a, w1, c51);
            a = TSimd.Broadcast(a6[p]);
            c60 = TSimd.MultiplyAdd(a, w0, c60); c61 = TSimd.MultiplyAdd(a, w1, c61);
            a = TSimd.Broadcast(a7[p]);
            c70 = TSimd.MultiplyAdd(a, w0, c70); c71 = TSimd.MultiplyAdd(a, w1, c71);
        }
        ref float t = ref Unsafe.AsRef<float>(sums);
        TSimd.Store(c00, ref t, 0); TSimd.Store(c01, ref t, v);
        TSimd.Store(c10, ref t, width); TSimd.Store(c11, ref t, width + v);
        TSimd.Store(c20, ref t, 2 * width); TSimd.Store(c21, ref t, 2 * width + v);
        TSimd.Store(c30, ref t, 3 * width); TSimd.Store(c31, ref t, 3 * width + v);
        TSimd.Store(c40, ref t, 4 * width); TSimd.Store(c41, ref t, 4 * width + v);
        TSimd.Store(c50, ref t, 5 * width); TSimd.Store(c51, ref t, 5 * width + v);
        TSimd.Store(c60, ref t, 6 * width); TSimd.Store(c61, ref t, 6 * width + v);
        TSimd.Store(c70, ref t, 7 * width); TSimd.Store(c71, ref t, 7 * width + v);
    }

    /// <summary>The epilogue for sample <paramref name="b"/> and the panel's units from <paramref name="j"/>: the cell's step <c>s − 1</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Finish<TSimd, TVec>(in StepJob job, int b, int j, float* sums) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int s = job.Step;
        if (RowOf(in job, b, s - 1, out _) < 0)
        {
            return;
        }
        float* carry = Flows(in job, b, s) ? sums : null;
        int v = TSimd.Count, end = Math.Min(j + PanelVectors * v, job.Units), u = j;
        Prefetch(in job, b, s - 2, j, end);
        for (; u + v <= end; u += v)
        {
            Cell<TSimd, TVec>(in job, b, s - 1, u, carry == null ? null : carry + (u - j));
        }
        for (; u < end; u++)
        {
            Cell<SimdScalar, float>(in job, b, s - 1, u, carry == null ? null : carry + (u - j));
        }
    }

    /// <summary>
    /// Asks for the forward values the epilogue of step <paramref name="s"/> will read for sample <paramref name="b"/>
    /// and units <c>[j, end)</c>, one step ahead: they were written long ago (L3 or memory) in rows far apart, too many
    /// streams for the hardware prefetchers (measured: the backward steps took 58 µs each in a training step against
    /// 41 µs with warm caches). Also the lines of <c>dG</c> it will write: each first write to a line not in cache
    /// waited for it (measured for the peer workload's training step, B = 32: the backward steps took 2.78 ms
    /// (median) without these four, 2.30 to 2.55 ms with them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(in StepJob job, int b, int s, int j, int end)
    {
        int row = RowOf(in job, b, s, out int previous);
        if (row < 0 || !Sse.IsSupported)
        {
            return;
        }
        nint units = job.Units;
        for (nint u = j; u < end; u += 16)
        {
            float* gates = job.Gates + 4 * row * units + u;
            Sse.Prefetch1(gates);
            Sse.Prefetch1(gates + units);
            Sse.Prefetch1(gates + 2 * units);
            Sse.Prefetch1(gates + 3 * units);
            Sse.Prefetch1(job.CellTanh + row * units + u);
            Sse.Prefetch1(job.HiddenGradient + row * units + u);
            float* gateGradient = job.GateGradient + 4 * row * units + u;
            Sse.Prefetch1(gateGradient);
            Sse.Prefetch1(gateGradient + units);
            Sse.Prefetch1(gateGradient + 2 * units);
            Sse.Prefetch1(gateGradient + 3 * units);
            if (previous >= 0)
            {
                Sse.Prefetch1(job.Cell + previous * units + u);
            }
        }
    }

    /// <summary>
    /// The cell's backward step <paramref name="s"/> for sample <paramref name="b"/>, units <c>[u, u + V)</c>:
    /// <c>dh = dL/dh_t + carry</c> (no carry, null, also restarts <c>dc</c> from zero), then as
    /// <see cref="RecurrentCells.LstmBackward"/>, plus the bias gradient.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Cell<TSimd, TVec>(in StepJob job, int b, int s, int u, float* carry) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int row = RowOf(in job, b, s, out int previous);
        nint units = job.Units;
        TVec one = TSimd.Broadcast(1f);
        TVec dh = TSimd.Load(ref Unsafe.AsRef<float>(job.HiddenGradient + row * units + u), 0);
        ref float dcRef = ref Unsafe.AsRef<float>(job.CellGradient + b * units + u);
        TVec dcIn = TSimd.Zero;
        if (carry != null)
        {
            dh = TSimd.Add(dh, TSimd.Load(ref Unsafe.AsRef<float>(carry), 0));
            dcIn = TSimd.Load(ref dcRef, 0);
        }
        ref float gates = ref Unsafe.AsRef<float>(job.Gates + 4 * row * units + u);
        TVec i = TSimd.Load(ref gates, 0), f = TSimd.Load(ref gates, units), g = TSimd.Load(ref gates, 2 * units), o = TSimd.Load(ref gates, 3 * units);
        TVec tc = TSimd.Load(ref Unsafe.AsRef<float>(job.CellTanh + row * units + u), 0);
        TVec cPrev = previous < 0 ? TSimd.Zero : TSimd.Load(ref Unsafe.AsRef<float>(job.Cell + previous * units + u), 0);
        // dc_t = dc (from t+1) + dh ⊙ o ⊙ (1 − tanh²(c_t))
        TVec dc = TSimd.MultiplyAdd(TSimd.Multiply(dh, o), TSimd.Subtract(one, TSimd.Multiply(tc, tc)), dcIn);
        TVec di = TSimd.Multiply(TSimd.Multiply(dc, g), TSimd.Multiply(i, TSimd.Subtract(one, i)));
        TVec df = TSimd.Multiply(TSimd.Multiply(dc, cPrev), TSimd.Multiply(f, TSimd.Subtract(one, f)));
        TVec dg = TSimd.Multiply(TSimd.Multiply(dc, i), TSimd.Subtract(one, TSimd.Multiply(g, g)));
        TVec dO = TSimd.Multiply(TSimd.Multiply(dh, tc), TSimd.Multiply(o, TSimd.Subtract(one, o)));
        ref float da = ref Unsafe.AsRef<float>(job.GateGradient + 4 * row * units + u);
        TSimd.Store(di, ref da, 0);
        TSimd.Store(df, ref da, units);
        TSimd.Store(dg, ref da, 2 * units);
        TSimd.Store(dO, ref da, 3 * units);
        TSimd.Store(TSimd.Multiply(dc, f), ref dcRef, 0);
        if (job.BiasGradient != null)
        {
            ref float db = ref Unsafe.AsRef<float>(job.BiasGradient + u);
            TSimd.Store(TSimd.Add(TSimd.Load(ref db, 0), di), ref db, 0);
            TSimd.Store(TSimd.Add(TSimd.Load(ref db, units), df), ref db, units);
            TSimd.Store(TSimd.Add(TSimd.Load(ref db, 2 * units), dg), ref db, 2 * units);
            TSimd.Store(TSimd.Add(TSimd.Load(ref db, 3 * units), dO), ref db, 3 * units);
        }
    }
}

/// <summary>
/// The weight gradients of a recurrent layer over all steps, <c>C[m, n] = Σ_k A[k, :]ᵀ ⊗ B[k', :]</c> where <c>A</c> is
/// the gate gradients <c>dG [B·T, m]</c> and row <c>k'</c> of <c>B</c> is the row of <c>x</c> (<c>dW_ih</c>) or of the
/// previous state (<c>dW_hh</c>) that step <c>k</c> read: the steps' own rows read in place, without packing and without
/// a copy of the previous states.
/// </summary>
/// <remarks>
/// <para>
/// A row of <c>dG</c> is contiguous along <c>m</c>, so the micro-kernel loads 2 vectors of it and broadcasts 12 values
/// of the <c>B</c> row: a tile of 2V rows × 12 columns of <c>C</c> in 24 accumulators, 14 loads per 24 FMAs (then a
/// tile of 8 columns for what is left), and no packing of either operand (the dense kernel packs <c>B</c> and gathers <c>A</c> with a stride of <c>m</c>). The tile runs the whole
/// depth, then is written once. Tiles go row block by row block, so a block's strip of <c>dG</c> (<c>B·T</c> rows of
/// 2V floats) stays in L2 while the column blocks pass over it.
/// </para>
/// <para>
/// Sample <c>b</c> of length <c>L</c> contributes its steps' rows: for <c>dW_ih</c> all positions <c>t &lt; L</c> with
/// <c>x[b, t]</c>; for <c>dW_hh</c> the positions whose step is not the sample's first, with the state of the step
/// before (<c>h[b, t − 1]</c> forward, <c>h[b, t + 1]</c> reverse). Rows left over past the last whole tile run one
/// value at a time. Threads split the row blocks; each value is summed by one thread in one order.
/// </para>
/// </remarks>
internal static unsafe class RecurrentWeightGradient
{
    /// <summary>Columns of <c>C</c> per tile (broadcasts per depth).</summary>
    private const int Columns = 8;

    /// <summary>
    /// Columns of <c>C</c> per wide tile: 24 accumulators, so each pair of <c>dG</c> vectors loaded serves 24 FMAs
    /// instead of 16 (the narrow tile then takes a last 8 columns, <c>128 = 10·12 + 8</c>, <c>32 = 2·12 + 8</c>).
    /// </summary>
    private const int WideColumns = 12;

    /// <summary>The operands of one weight gradient.</summary>
    internal struct Job
    {
        /// <summary>Gate gradients <c>[B·T, m]</c>.</summary>
        public float* A;
        /// <summary><c>x [B·T, n]</c> or the states <c>h [B·T, n]</c>.</summary>
        public float* B;
        /// <summary>The gradient <c>[m, n]</c>, overwritten.</summary>
        public float* C;
        public int M, N, Batch, Steps;
        /// <summary>Each sample's length, or null for all <c>T</c>.</summary>
        public int* Lengths;
        /// <summary>Pair each step with the state of the step before (<c>dW_hh</c>) rather than its own input.</summary>
        public bool Previous;
        public bool Reverse;
    }

    /// <summary>The positions sample <paramref name="b"/> contributes, <c>[first, first + count)</c>, and the offset from a row of <c>A</c> to its row of <c>B</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Range(in Job job, int b, out int first, out int delta)
    {
        int length = job.Lengths == null ? job.Steps : job.Lengths[b];
        first = b * job.Steps;
        delta = 0;
        if (!job.Previous)
        {
            return length;
        }
        if (length == 0)
        {
            return 0;
        }
        // Forward, positions 1 … L−1 read h[t − 1]; reverse, positions 0 … L−2 read h[t + 1].
        if (job.Reverse)
        {
            delta = 1;
        }
        else
        {
            first++;
            delta = -1;
        }
        return length - 1;
    }

    /// <summary>Row blocks of <c>2V</c> rows of <c>C</c>, whole ones first, then the rows left over one by one.</summary>
    public static int RowBlocks<TSimd, TVec>(int m) where TSimd : struct, ISimd<TVec> where TVec : struct
        => m / (2 * TSimd.Count) + m % (2 * TSimd.Count);

    /// <summary>Computes row blocks <c>[blockStart, blockEnd)</c> of <c>C</c>.</summary>
    public static void Run<TSimd, TVec>(in Job job, int blockStart, int blockEnd) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int rows = 2 * TSimd.Count, wholeBlocks = job.M / rows;
        int wide = job.N - job.N % WideColumns, wholeColumns = wide + (job.N - wide) / Columns * Columns;
        float* tile = stackalloc float[WideColumns * 2 * 16];
        for (int block = blockStart; block < blockEnd; block++)
        {
            if (block < wholeBlocks)
            {
                int i = block * rows;
                for (int j = 0; j < wide; j += WideColumns)
                {
                    Tile<TSimd, TVec, TwelveColumns>(in job, i, j, tile);
                }
                for (int j = wide; j < wholeColumns; j += Columns)
                {
                    Tile<TSimd, TVec, EightColumns>(in job, i, j, tile);
                }
                for (int r = i; r < i + rows; r++)
                {
                    for (int j = wholeColumns; j < job.N; j++)
                    {
                        Single(in job, r, j);
                    }
                }
            }
            else
            {
                int r = wholeBlocks * rows + (block - wholeBlocks);
                for (int j = 0; j < job.N; j++)
                {
                    Single(in job, r, j);
                }
            }
        }
    }

    /// <summary>
    /// <c>C[i..i+2V, j..j+c]</c> over every sample's rows, <c>c</c> = <typeparamref name="TColumns"/> (8 or 12: the JIT
    /// removes the unused accumulators of the narrow tile).
    /// </summary>
    private static void Tile<TSimd, TVec, TColumns>(in Job job, int i, int j, float* tile)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TColumns : struct, IColumns
    {
        int columns = TColumns.Count;
        nint v = TSimd.Count, m = job.M, n = job.N;
        TVec c00 = TSimd.Zero, c01 = TSimd.Zero, c10 = TSimd.Zero, c11 = TSimd.Zero, c20 = TSimd.Zero, c21 = TSimd.Zero, c30 = TSimd.Zero, c31 = TSimd.Zero;
        TVec c40 = TSimd.Zero, c41 = TSimd.Zero, c50 = TSimd.Zero, c51 = TSimd.Zero, c60 = TSimd.Zero, c61 = TSimd.Zero, c70 = TSimd.Zero, c71 = TSimd.Zero;
        TVec c80 = TSimd.Zero, c81 = TSimd.Zero, c90 = TSimd.Zero, c91 = TSimd.Zero, ca0 = TSimd.Zero, ca1 = TSimd.Zero, cb0 = TSimd.Zero, cb1 = TSimd.Zero;
        for (int b = 0; b < job.Batch; b++)
        {
            int count = Range(in job, b, out int first, out int delta);
            ref float a = ref Unsafe.AsRef<float>(job.A + first * m + i);
            float* x = job.B + (first + delta) * n + j;
            for (int k = 0; k < count; k++)
            {
                if (j == 0)
                {
                    PrefetchAhead(ref a, m, v);
                }
                TVec a0 = TSimd.Load(ref a, 0), a1 = TSimd.Load(ref a, v);
                TVec w = TSimd.Broadcast(x[0]);
                c00 = TSimd.MultiplyAdd(a0, w, c00); c01 = TSimd.MultiplyAdd(a1, w, c01);
                w = TSimd.Broadcast(x[1]);
                c10 = TSimd.MultiplyAdd(a0, w, c10); c11 = TSimd.MultiplyAdd(a1, w, c11);
                w = TSimd.Broadcast(x[2]);
                c20 = TSimd.MultiplyAdd(a0, w, c20); c21 = TSimd.MultiplyAdd(a1, w, c21);
                w = TSimd.Broadcast(x[3]);
                c30 = TSimd.MultiplyAdd(a0, w, c30); c31 = TSimd.MultiplyAdd(a1, w, c31);
                w = TSimd.Broadcast(x[4]);
                c40 = TSimd.MultiplyAdd(a0, w, c40); c41 = TSimd.MultiplyAdd(a1, w, c41);
                w = TSimd.Broadcast(x[5]);
                c50 = TSimd.MultiplyAdd(a0, w, c50); c51 = TSimd.MultiplyAdd(a1, w, c51);
                w = TSimd.Broadcast(x[6]);
                c60 = TSimd.MultiplyAdd(a0, w, c60); c61 = TSimd.MultiplyAdd(a1, w, c61);
                w = TSimd.Broadcast(x[7]);
                c70 = TSimd.MultiplyAdd(a0, w, c70); c71 = TSimd.MultiplyAdd(a1, w, c71);
                if (columns > 8)
                {
                    w = TSimd.Broadcast(x[8]);
                    c80 = TSimd.MultiplyAdd(a0, w, c80); c81 = TSimd.MultiplyAdd(a1, w, c81);
                    w = TSimd.Broadcast(x[9]);
                    c90 = TSimd.MultiplyAdd(a0, w, c90); c91 = TSimd.MultiplyAdd(a1, w, c91);
                    w = TSimd.Broadcast(x[10]);
                    ca0 = TSimd.MultiplyAdd(a0, w, ca0); ca1 = TSimd.MultiplyAdd(a1, w, ca1);
                    w = TSimd.Broadcast(x[11]);
                    cb0 = TSimd.MultiplyAdd(a0, w, cb0); cb1 = TSimd.MultiplyAdd(a1, w, cb1);
                }
                a = ref Unsafe.Add(ref a, m);
                x += n;
            }
        }
        // The accumulators hold columns of C: through a small buffer into rows.
        nint rows = 2 * v;
        ref float t = ref Unsafe.AsRef<float>(tile);
        TSimd.Store(c00, ref t, 0); TSimd.Store(c01, ref t, v);
        TSimd.Store(c10, ref t, rows); TSimd.Store(c11, ref t, rows + v);
        TSimd.Store(c20, ref t, 2 * rows); TSimd.Store(c21, ref t, 2 * rows + v);
        TSimd.Store(c30, ref t, 3 * rows); TSimd.Store(c31, ref t, 3 * rows + v);
        TSimd.Store(c40, ref t, 4 * rows); TSimd.Store(c41, ref t, 4 * rows + v);
        TSimd.Store(c50, ref t, 5 * rows); TSimd.Store(c51, ref t, 5 * rows + v);
        TSimd.Store(c60, ref t, 6 * rows); TSimd.Store(c61, ref t, 6 * rows + v);
        TSimd.Store(c70, ref t, 7 * rows); TSimd.Store(c71, ref t, 7 * rows + v);
        if (columns > 8)
        {
            TSimd.Store(c80, ref t, 8 * rows); TSimd.Store(c81, ref t, 8 * rows + v);
            TSimd.Store(c90, ref t, 9 * rows); TSimd.Store(c91, ref t, 9 * rows + v);
            TSimd.Store(ca0, ref t, 10 * rows); TSimd.Store(ca1, ref t, 10 * rows + v);
            TSimd.Store(cb0, ref t, 11 * rows); TSimd.Store(cb1, ref t, 11 * rows + v);
        }
        StoreTile(in job, tile, i, j, rows, columns);
    }

    /// <summary>Columns of <c>C</c> per tile (a JIT-time constant).</summary>
    private interface IColumns { static abstract int Count { get; } }
    private readonly struct EightColumns : IColumns { public static int Count => Columns; }
    private readonly struct TwelveColumns : IColumns { public static int Count => WideColumns; }

    /// <summary>Rows of <c>dG</c> a row block's first tile asks for ahead of its loads.</summary>
    private const int PrefetchRows = 16;

    /// <summary>
    /// In a row block's first tile, asks for the <c>2V</c> floats of <c>dG</c> <see cref="PrefetchRows"/> rows ahead:
    /// the first tile reads the block's strip from L3 (the backward steps wrote <c>dG</c>, 3.2 MB for the peer workload),
    /// one row every 2 KB, which the hardware prefetchers did not keep up with; the later tiles find it in L2. Measured
    /// for the peer workload's training step, B = 32: both weight gradients took 2.98 to 3.2 ms (median) without, 2.63
    /// to 2.88 ms with (8 rows ahead: 2.74 to 2.88 ms).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchAhead(ref float a, nint m, nint v)
    {
        if (Sse.IsSupported)
        {
            float* ahead = (float*)Unsafe.AsPointer(ref a) + PrefetchRows * m;
            Sse.Prefetch0(ahead);
            Sse.Prefetch0(ahead + 2 * v - 1);
        }
    }

    /// <summary>The two weight gradients of a layer from the same <c>dG</c>, computed row block by row block together (see <see cref="Recurrent"/>).</summary>
    internal struct Pair
    {
        /// <summary><c>dW_ih = dGᵀ · X</c>.</summary>
        public Job Input;
        /// <summary><c>dW_hh = dGᵀ · H_prev</c>.</summary>
        public Job Hidden;
    }

    /// <summary><c>C[i + r, j + c] = tile[c·rows + r]</c>: a finished tile, stored column by column, into rows of <c>C</c>.</summary>
    private static void StoreTile(in Job job, float* tile, int i, int j, nint rows, int columns)
    {
        for (nint r = 0; r < rows; r++)
        {
            float* destination = job.C + (i + r) * job.N + j;
            for (int c = 0; c < columns; c++)
            {
                destination[c] = tile[c * rows + r];
            }
        }
    }

    /// <summary><c>C[i, j]</c> alone, for the rows and columns past the whole tiles.</summary>
    private static void Single(in Job job, int i, int j)
    {
        nint m = job.M, n = job.N;
        float sum = 0f;
        for (int b = 0; b < job.Batch; b++)
        {
            int count = Range(in job, b, out int first, out int delta);
            for (int k = first; k < first + count; k++)
            {
                sum = SimdScalar.MultiplyAdd(job.A[k * m + i], job.B[(k + delta) * n + j], sum);
            }
        }
        job.C[i * n + j] = sum;
    }
}
