using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetDsl.Kernels;

/// <summary>
/// The per-step products of a recurrent layer for one sample (batches under 4), faster for their shape than the general
/// matrix-vector paths of <see cref="Gemm"/>: the depth is short (<c>H</c> forward, <c>G·H</c> backward), so the
/// per-row horizontal sums of a plain dot-product kernel weigh, and the product repeats every step.
/// </summary>
/// <remarks>
/// Forward, <c>W_hh h</c> is <see cref="MatrixTimesVector"/>: dot products 8 rows at a time, reduced together (one
/// sample at AVX-512 with <c>H</c> a multiple of 16 uses <see cref="DotRows16"/> instead, inside each cell's own step).
/// Backward, <c>dGᵀ W_hh</c> is <see cref="VectorTimesMatrix"/>: each element of <c>dG</c> broadcast into a row of
/// <c>W_hh</c>, 8 vectors of columns at a time, no reductions at all. Both stream <c>W_hh</c> once per step, which for
/// an LSTM of 128 units (256 KB, in L2) is what bounds them. Measured on this machine (Zen 5, loaded): 2.9 µs and
/// 2.4 µs for H = 128, G = 4, against 4.4 µs and 3.3 µs for the <see cref="Gemm"/> entry points.
/// </remarks>
internal static class RecurrentProducts
{
    /// <summary><c>c[n] = init[n] + Σ_p a[p] · b[p·n + j]</c>; <paramref name="init"/> empty means zero.</summary>
    public static void VectorTimesMatrix(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> init, Span<float> c, int n, int k, SimdWidth width)
    {
        Guard.Length(a.Length, 1, k, nameof(a), "k");
        Guard.Length(b.Length, k, n, nameof(b), "k·n");
        Guard.Length(c.Length, 1, n, nameof(c), "n");
        if (!init.IsEmpty)
        {
            Guard.Length(init.Length, 1, n, nameof(init), "n (or empty)");
        }
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        bool hasInit = !init.IsEmpty;
        ref float i0 = ref hasInit ? ref MemoryMarshal.GetReference(init) : ref c0;
        int done = width switch
        {
            SimdWidth.Vector512 => Columns<Simd512, Vector512<float>>(ref a0, ref b0, ref i0, hasInit, ref c0, n, k),
            SimdWidth.Vector256 => Columns<Simd256, Vector256<float>>(ref a0, ref b0, ref i0, hasInit, ref c0, n, k),
            SimdWidth.Vector128 => Columns<Simd128, Vector128<float>>(ref a0, ref b0, ref i0, hasInit, ref c0, n, k),
            _ => 0,
        };
        for (int j = done; j < n; j++)
        {
            float sum = hasInit ? init[j] : 0f;
            for (int p = 0; p < k; p++)
            {
                sum = SimdScalar.MultiplyAdd(a[p], b[p * n + j], sum);
            }
            c[j] = sum;
        }
    }

    /// <summary>Columns in tiles of 8 vectors, then of 1 vector; returns how many columns are done.</summary>
    private static int Columns<TSimd, TVec>(ref float a, ref float b, ref float init, bool hasInit, ref float c, int n, int k)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        nint v = TSimd.Count, stride = n;
        int j = 0;
        for (; j + 8 * v <= n; j += 8 * (int)v)
        {
            TVec c0 = TSimd.Zero, c1 = TSimd.Zero, c2 = TSimd.Zero, c3 = TSimd.Zero, c4 = TSimd.Zero, c5 = TSimd.Zero, c6 = TSimd.Zero, c7 = TSimd.Zero;
            if (hasInit)
            {
                ref float s = ref Unsafe.Add(ref init, j);
                c0 = TSimd.Load(ref s, 0); c1 = TSimd.Load(ref s, v); c2 = TSimd.Load(ref s, 2 * v); c3 = TSimd.Load(ref s, 3 * v);
                c4 = TSimd.Load(ref s, 4 * v); c5 = TSimd.Load(ref s, 5 * v); c6 = TSimd.Load(ref s, 6 * v); c7 = TSimd.Load(ref s, 7 * v);
            }
            ref float column = ref Unsafe.Add(ref b, j);
            for (nint p = 0; p < k; p++)
            {
                TVec x = TSimd.Broadcast(Unsafe.Add(ref a, p));
                ref float row = ref Unsafe.Add(ref column, p * stride);
                c0 = TSimd.MultiplyAdd(x, TSimd.Load(ref row, 0), c0);
                c1 = TSimd.MultiplyAdd(x, TSimd.Load(ref row, v), c1);
                c2 = TSimd.MultiplyAdd(x, TSimd.Load(ref row, 2 * v), c2);
                c3 = TSimd.MultiplyAdd(x, TSimd.Load(ref row, 3 * v), c3);
                c4 = TSimd.MultiplyAdd(x, TSimd.Load(ref row, 4 * v), c4);
                c5 = TSimd.MultiplyAdd(x, TSimd.Load(ref row, 5 * v), c5);
                c6 = TSimd.MultiplyAdd(x, TSimd.Load(ref row, 6 * v), c6);
                c7 = TSimd.MultiplyAdd(x, TSimd.Load(ref row, 7 * v), c7);
            }
            ref float d = ref Unsafe.Add(ref c, j);
            TSimd.Store(c0, ref d, 0); TSimd.Store(c1, ref d, v); TSimd.Store(c2, ref d, 2 * v); TSimd.Store(c3, ref d, 3 * v);
            TSimd.Store(c4, ref d, 4 * v); TSimd.Store(c5, ref d, 5 * v); TSimd.Store(c6, ref d, 6 * v); TSimd.Store(c7, ref d, 7 * v);
        }
        for (; j + v <= n; j += (int)v)
        {
            TVec sum = hasInit ? TSimd.Load(ref init, j) : TSimd.Zero;
            ref float column = ref Unsafe.Add(ref b, j);
            for (nint p = 0; p < k; p++)
            {
                sum = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref a, p)), TSimd.Load(ref column, p * stride), sum);
            }
            TSimd.Store(sum, ref c, j);
        }
        return j;
    }

    /// <summary>
    /// <c>c[n] = init[n] + w[n, k] · a[k]</c> (<paramref name="w"/> row-major, as <c>W_hh [G·H, H]</c>);
    /// <paramref name="init"/> empty means zero. With AVX at <see cref="SimdWidth.Vector256"/> or wider: 8 rows at a time,
    /// 8 vector accumulators, reduced together by a tree of horizontal adds (7 instructions for 8 sums), the terms past
    /// the last whole vector one by one. Otherwise one dot product per row.
    /// </summary>
    public static void MatrixTimesVector(ReadOnlySpan<float> w, ReadOnlySpan<float> a, ReadOnlySpan<float> init, Span<float> c, int n, int k, SimdWidth width)
    {
        Guard.Length(w.Length, n, k, nameof(w), "n·k");
        Guard.Length(a.Length, 1, k, nameof(a), "k");
        Guard.Length(c.Length, 1, n, nameof(c), "n");
        if (!init.IsEmpty)
        {
            Guard.Length(init.Length, 1, n, nameof(init), "n (or empty)");
        }
        int j = 0;
        if (width >= SimdWidth.Vector256 && Avx.IsSupported)
        {
            j = DotRows8(ref MemoryMarshal.GetReference(w), ref MemoryMarshal.GetReference(a), c, n, k);
            for (int r = 0; r < j; r++)
            {
                c[r] += init.IsEmpty ? 0f : init[r];
            }
        }
        for (; j < n; j++)
        {
            float sum = 0f;
            for (int p = 0; p < k; p++)
            {
                sum = SimdScalar.MultiplyAdd(w[j * k + p], a[p], sum);
            }
            c[j] = sum + (init.IsEmpty ? 0f : init[j]);
        }
    }

    /// <summary>Rows in blocks of 8 (AVX); returns how many rows are done.</summary>
    private static int DotRows8(ref float w, ref float a, Span<float> c, int n, int k)
    {
        nint depth = k, vectorDepth = k - k % 8;
        int j = 0;
        for (; j + 8 <= n; j += 8)
        {
            ref float r0 = ref Unsafe.Add(ref w, j * depth);
            ref float r1 = ref Unsafe.Add(ref r0, depth);
            ref float r2 = ref Unsafe.Add(ref r1, depth);
            ref float r3 = ref Unsafe.Add(ref r2, depth);
            ref float r4 = ref Unsafe.Add(ref r3, depth);
            ref float r5 = ref Unsafe.Add(ref r4, depth);
            ref float r6 = ref Unsafe.Add(ref r5, depth);
            ref float r7 = ref Unsafe.Add(ref r6, depth);
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (nint p = 0; p < vectorDepth; p += 8)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref a, (nuint)p);
                s0 = Simd256.MultiplyAdd(x, Vector256.LoadUnsafe(ref r0, (nuint)p), s0);
                s1 = Simd256.MultiplyAdd(x, Vector256.LoadUnsafe(ref r1, (nuint)p), s1);
                s2 = Simd256.MultiplyAdd(x, Vector256.LoadUnsafe(ref r2, (nuint)p), s2);
                s3 = Simd256.MultiplyAdd(x, Vector256.LoadUnsafe(ref r3, (nuint)p), s3);
                s4 = Simd256.MultiplyAdd(x, Vector256.LoadUnsafe(ref r4, (nuint)p), s4);
                s5 = Simd256.MultiplyAdd(x, Vector256.LoadUnsafe(ref r5, (nuint)p), s5);
                s6 = Simd256.MultiplyAdd(x, Vector256.LoadUnsafe(ref r6, (nuint)p), s6);
                s7 = Simd256.MultiplyAdd(x, Vector256.LoadUnsafe(ref r7, (nuint)p), s7);
            }
            // hadd(hadd(s0, s1), hadd(s2, s3)) = [Σs0, Σs1, Σs2, Σs3] over the low 128 bits | the same over the high.
            Vector256<float> low = Avx.HorizontalAdd(Avx.HorizontalAdd(s0, s1), Avx.HorizontalAdd(s2, s3));
            Vector256<float> high = Avx.HorizontalAdd(Avx.HorizontalAdd(s4, s5), Avx.HorizontalAdd(s6, s7));
            Vector256<float> sums = Avx.Permute2x128(low, high, 0x20) + Avx.Permute2x128(low, high, 0x31);
            ref float destination = ref Unsafe.Add(ref MemoryMarshal.GetReference(c), j);
            sums.StoreUnsafe(ref destination);
            for (nint p = vectorDepth; p < depth; p++)
            {
                float x = Unsafe.Add(ref a, p);
                Unsafe.Add(ref destination, 0) += Unsafe.Add(ref r0, p) * x;
                Unsafe.Add(ref destination, 1) += Unsafe.Add(ref r1, p) * x;
                Unsafe.Add(ref destination, 2) += Unsafe.Add(ref r2, p) * x;
                Unsafe.Add(ref destination, 3) += Unsafe.Add(ref r3, p) * x;
                Unsafe.Add(ref destination, 4) += Unsafe.Add(ref r4, p) * x;
                Unsafe.Add(ref destination, 5) += Unsafe.Add(ref r5, p) * x;
                Unsafe.Add(ref destination, 6) += Unsafe.Add(ref r6, p) * x;
                Unsafe.Add(ref destination, 7) += Unsafe.Add(ref r7, p) * x;
            }
        }
        return j;
    }

    /// <summary>
    /// One batch-1 step's recurrent sums: for <paramref name="rows"/> rows (a multiple of 16) of <c>W_hh [rows, k]</c> as
    /// it lies, <c>sums[n] = (sums[n] +) W_hh[n, ·] · state + bias[n]</c> by <see cref="DotRows16"/>, adding to
    /// <paramref name="sums"/> when <paramref name="accumulate"/>, else overwriting them. <paramref name="bias"/> may be
    /// null; a null <paramref name="state"/> is the zero state before the first step (the products are skipped).
    /// </summary>
    internal static unsafe void RowSums16(float* sums, float* weightHh, float* bias, float* state, nint rows, nint k, bool accumulate)
    {
        for (nint n = 0; n < rows; n += 16)
        {
            Vector512<float> sum;
            if (state != null)
            {
                sum = DotRows16(ref Unsafe.AsRef<float>(weightHh + n * k), ref Unsafe.AsRef<float>(state), k);
                if (bias != null)
                {
                    sum += Vector512.Load(bias + n);
                }
            }
            else if (bias != null)
            {
                sum = Vector512.Load(bias + n);
            }
            else if (accumulate)
            {
                continue; // nothing to add
            }
            else
            {
                sum = Vector512<float>.Zero;
            }
            (accumulate ? Vector512.Load(sums + n) + sum : sum).Store(sums + n);
        }
    }

    /// <summary>
    /// <c>c[0..16] = w[0..16, :] · a</c> for 16 rows of <paramref name="w"/> (<paramref name="k"/> apart, <c>k</c> a multiple
    /// of 16) with AVX-512: one accumulator per row, then one tree of in-lane unpacks, shuffles and 128-bit-lane
    /// shuffles (45 instructions) turns the 16 accumulators into the 16 sums, lane <c>r</c> holding row <c>r</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> DotRows16(ref float w, ref float a, nint k)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        Vector512<float> s8 = default, s9 = default, s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default;
        for (nint p = 0; p < k; p += 16)
        {
            Vector512<float> x = Vector512.LoadUnsafe(ref a, (nuint)p);
            ref float r = ref Unsafe.Add(ref w, p);
            s0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r), x, s0);
            s1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)k), x, s1);
            s2 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(2 * k)), x, s2);
            s3 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(3 * k)), x, s3);
            s4 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(4 * k)), x, s4);
            s5 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(5 * k)), x, s5);
            s6 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(6 * k)), x, s6);
            s7 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(7 * k)), x, s7);
            s8 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(8 * k)), x, s8);
            s9 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(9 * k)), x, s9);
            s10 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(10 * k)), x, s10);
            s11 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(11 * k)), x, s11);
            s12 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(12 * k)), x, s12);
            s13 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(13 * k)), x, s13);
            s14 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(14 * k)), x, s14);
            s15 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r, (nuint)(15 * k)), x, s15);
        }
        // Pairs: per 128-bit lane [a0+a2, b0+b2, a1+a3, b1+b3].
        Vector512<float> t0 = Avx512F.UnpackLow(s0, s1) + Avx512F.UnpackHigh(s0, s1), t1 = Avx512F.UnpackLow(s2, s3) + Avx512F.UnpackHigh(s2, s3);
        Vector512<float> t2 = Avx512F.UnpackLow(s4, s5) + Avx512F.UnpackHigh(s4, s5), t3 = Avx512F.UnpackLow(s6, s7) + Avx512F.UnpackHigh(s6, s7);
        Vector512<float> t4 = Avx512F.UnpackLow(s8, s9) + Avx512F.UnpackHigh(s8, s9), t5 = Avx512F.UnpackLow(s10, s11) + Avx512F.UnpackHigh(s10, s11);
        Vector512<float> t6 = Avx512F.UnpackLow(s12, s13) + Avx512F.UnpackHigh(s12, s13), t7 = Avx512F.UnpackLow(s14, s15) + Avx512F.UnpackHigh(s14, s15);
        // Quads: per 128-bit lane the four rows' partial sums [Σa, Σb, Σc, Σd].
        Vector512<float> q0 = Avx512F.Shuffle(t0, t1, 0x44) + Avx512F.Shuffle(t0, t1, 0xEE), q1 = Avx512F.Shuffle(t2, t3, 0x44) + Avx512F.Shuffle(t2, t3, 0xEE);
        Vector512<float> q2 = Avx512F.Shuffle(t4, t5, 0x44) + Avx512F.Shuffle(t4, t5, 0xEE), q3 = Avx512F.Shuffle(t6, t7, 0x44) + Avx512F.Shuffle(t6, t7, 0xEE);
        // Across the four 128-bit lanes: lane group g of the result holds rows 4g..4g+3.
        Vector512<float> y0 = Avx512F.Shuffle4x128(q0, q1, 0x88) + Avx512F.Shuffle4x128(q0, q1, 0xDD);
        Vector512<float> y1 = Avx512F.Shuffle4x128(q2, q3, 0x88) + Avx512F.Shuffle4x128(q2, q3, 0xDD);
        return Avx512F.Shuffle4x128(y0, y1, 0x88) + Avx512F.Shuffle4x128(y0, y1, 0xDD);
    }
}
