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
/// the hardware accelerates. Two register-blocked shapes cover the three products:
/// <list type="bullet">
/// <item><description>
/// <c>a · bᵀ</c> is a tile of 4×4 dot products (rows of <c>a</c> against rows of <c>b</c>), each a vector accumulator
/// along <c>k</c> that is summed horizontally at the end; the last <c>k mod width</c> terms are added one by one.
/// </description></item>
/// <item><description>
/// <c>a · b</c> and <c>aᵀ · b</c> are "axpy" panels: each element of <c>a</c> is broadcast and multiplied into a row
/// of <c>b</c>, accumulating 4 rows × 2 vectors of <c>c</c> in registers. They differ only in the strides used to read
/// <c>a</c>. Columns past the last whole vector run through the same code at <see cref="SimdScalar"/>.
/// </description></item>
/// </list>
/// No method allocates. Packing panels for cache blocking and multithreading are left for later.
/// </remarks>
public static class Gemm
{
    /// <summary>Rows of <c>a</c> (and of <c>c</c>) per register tile.</summary>
    private const int TileRows = 4;

    /// <summary>
    /// <c>c[m,n] = activation(a[m,k] · b[n,k]ᵀ + bias[n])</c>: a dense layer's forward pass with weights in
    /// PyTorch's <c>[out, in]</c> layout. <paramref name="bias"/> may be empty (no bias). The activation runs on
    /// each finished block of rows while it is still in cache.
    /// </summary>
    public static void MultiplyTransposedB<TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation)
        where TActivation : struct, IActivation
        => MultiplyTransposedBAt(a, b, bias, c, m, n, k, activation, SimdDispatch.Best);

    /// <summary><c>c[m,n] = a[m,k] · b[k,n]</c> (overwrites <paramref name="c"/>): a dense layer's input gradient <c>dx = dz · W</c>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
        => MultiplyAt(a, b, c, m, n, k, SimdDispatch.Best);

    /// <summary><c>c[m,n] = a[k,m]ᵀ · b[k,n]</c> (overwrites <paramref name="c"/>): a dense layer's weight gradient <c>dW = dzᵀ · x</c>.</summary>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
        => MultiplyTransposedAAt(a, b, c, m, n, k, SimdDispatch.Best);

    /// <summary><c>sums[j] = Σ_i a[i,j]</c> over the <paramref name="m"/> rows of <paramref name="a"/> (overwrites): a bias gradient.</summary>
    public static void SumRows(ReadOnlySpan<float> a, Span<float> sums, int m, int n)
        => SumRowsAt(a, sums, m, n, SimdDispatch.Best);

    /// <summary><see cref="MultiplyTransposedB{TActivation}(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, TActivation)"/> at a given width.</summary>
    internal static void MultiplyTransposedBAt<TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation, SimdWidth width)
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
        // a[i,p] is at i·k + p.
        Axpy(a, aRowStride: k, aDepthStride: 1, b, c, m, n, k, width);
    }

    /// <summary><see cref="MultiplyTransposedA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/> at a given width.</summary>
    internal static void MultiplyTransposedAAt(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, SimdWidth width)
    {
        Guard.Sizes(m, n, k);
        Guard.Length(a.Length, k, m, nameof(a), "k·m");
        Guard.Length(b.Length, k, n, nameof(b), "k·n");
        Guard.Length(c.Length, m, n, nameof(c), "m·n");
        // aᵀ[i,p] = a[p,i] is at p·m + i.
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
    // c = act(a · bᵀ + bias): tiles of dot products.
    // ---------------------------------------------------------------------------------------------------------

    private static void DotProducts<TSimd, TVec, TActivation>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, TActivation activation)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TActivation : struct, IActivation
    {
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        int i = 0;
        for (; i + TileRows <= m; i += TileRows)
        {
            for (int j = 0; j < n; j += 4)
            {
                DotTile4x4<TSimd, TVec>(ref a0, ref b0, ref c0, i, j, n, k);
            }
            FinishRows(bias, c.Slice(i * n, TileRows * n), n, activation);
        }
        for (; i < m; i++)
        {
            for (int j = 0; j < n; j += 4)
            {
                DotTile1x4<TSimd, TVec>(ref a0, ref b0, ref c0, i, j, n, k);
            }
            FinishRows(bias, c.Slice(i * n, n), n, activation);
        }
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

    /// <summary>
    /// <c>c[i..i+4, j..j+4] = a[i..i+4, :] · b[j..j+4, :]ᵀ</c>. Columns at or past <paramref name="n"/> reuse row
    /// <c>n - 1</c> of <c>b</c> and are not stored, so the last tile of a row needs no separate code.
    /// </summary>
    private static void DotTile4x4<TSimd, TVec>(ref float a, ref float b, ref float c, int i, int j, int n, int k)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        nint stride = k;
        ref float a0 = ref Unsafe.Add(ref a, i * stride);
        ref float a1 = ref Unsafe.Add(ref a0, stride);
        ref float a2 = ref Unsafe.Add(ref a1, stride);
        ref float a3 = ref Unsafe.Add(ref a2, stride);
        ref float b0 = ref Unsafe.Add(ref b, j * stride);
        ref float b1 = ref Unsafe.Add(ref b, Math.Min(j + 1, n - 1) * stride);
        ref float b2 = ref Unsafe.Add(ref b, Math.Min(j + 2, n - 1) * stride);
        ref float b3 = ref Unsafe.Add(ref b, Math.Min(j + 3, n - 1) * stride);

        // cRC accumulates row R of a against row C of b.
        TVec c00 = TSimd.Zero, c01 = TSimd.Zero, c02 = TSimd.Zero, c03 = TSimd.Zero;
        TVec c10 = TSimd.Zero, c11 = TSimd.Zero, c12 = TSimd.Zero, c13 = TSimd.Zero;
        TVec c20 = TSimd.Zero, c21 = TSimd.Zero, c22 = TSimd.Zero, c23 = TSimd.Zero;
        TVec c30 = TSimd.Zero, c31 = TSimd.Zero, c32 = TSimd.Zero, c33 = TSimd.Zero;
        nint p = 0;
        for (; p <= k - TSimd.Count; p += TSimd.Count)
        {
            TVec x0 = TSimd.Load(ref a0, p), x1 = TSimd.Load(ref a1, p), x2 = TSimd.Load(ref a2, p), x3 = TSimd.Load(ref a3, p);
            TVec w = TSimd.Load(ref b0, p);
            c00 = TSimd.MultiplyAdd(x0, w, c00); c10 = TSimd.MultiplyAdd(x1, w, c10); c20 = TSimd.MultiplyAdd(x2, w, c20); c30 = TSimd.MultiplyAdd(x3, w, c30);
            w = TSimd.Load(ref b1, p);
            c01 = TSimd.MultiplyAdd(x0, w, c01); c11 = TSimd.MultiplyAdd(x1, w, c11); c21 = TSimd.MultiplyAdd(x2, w, c21); c31 = TSimd.MultiplyAdd(x3, w, c31);
            w = TSimd.Load(ref b2, p);
            c02 = TSimd.MultiplyAdd(x0, w, c02); c12 = TSimd.MultiplyAdd(x1, w, c12); c22 = TSimd.MultiplyAdd(x2, w, c22); c32 = TSimd.MultiplyAdd(x3, w, c32);
            w = TSimd.Load(ref b3, p);
            c03 = TSimd.MultiplyAdd(x0, w, c03); c13 = TSimd.MultiplyAdd(x1, w, c13); c23 = TSimd.MultiplyAdd(x2, w, c23); c33 = TSimd.MultiplyAdd(x3, w, c33);
        }

        int valid = n - j;
        ref float row = ref Unsafe.Add(ref c, i * (nint)n + j);
        StoreRow(ref row, valid, Finish<TSimd, TVec>(c00, ref a0, ref b0, p, k), Finish<TSimd, TVec>(c01, ref a0, ref b1, p, k), Finish<TSimd, TVec>(c02, ref a0, ref b2, p, k), Finish<TSimd, TVec>(c03, ref a0, ref b3, p, k));
        row = ref Unsafe.Add(ref row, n);
        StoreRow(ref row, valid, Finish<TSimd, TVec>(c10, ref a1, ref b0, p, k), Finish<TSimd, TVec>(c11, ref a1, ref b1, p, k), Finish<TSimd, TVec>(c12, ref a1, ref b2, p, k), Finish<TSimd, TVec>(c13, ref a1, ref b3, p, k));
        row = ref Unsafe.Add(ref row, n);
        StoreRow(ref row, valid, Finish<TSimd, TVec>(c20, ref a2, ref b0, p, k), Finish<TSimd, TVec>(c21, ref a2, ref b1, p, k), Finish<TSimd, TVec>(c22, ref a2, ref b2, p, k), Finish<TSimd, TVec>(c23, ref a2, ref b3, p, k));
        row = ref Unsafe.Add(ref row, n);
        StoreRow(ref row, valid, Finish<TSimd, TVec>(c30, ref a3, ref b0, p, k), Finish<TSimd, TVec>(c31, ref a3, ref b1, p, k), Finish<TSimd, TVec>(c32, ref a3, ref b2, p, k), Finish<TSimd, TVec>(c33, ref a3, ref b3, p, k));
    }

    /// <summary><c>c[i, j..j+4] = a[i, :] · b[j..j+4, :]ᵀ</c>, for the rows left over after the 4-row tiles.</summary>
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
    {
        float sum = TSimd.Sum(accumulator);
        for (; p < k; p++)
        {
            sum = SimdScalar.MultiplyAdd(Unsafe.Add(ref x, p), Unsafe.Add(ref w, p), sum);
        }
        return sum;
    }

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
    // c = A · b where A(i, p) = a[i·aRowStride + p·aDepthStride]: broadcast-FMA ("axpy") panels.
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
            int i = 0;
            for (; i + TileRows <= m; i += TileRows)
            {
                int j = jStart;
                for (; j + 2 * TSimd.Count <= jEnd; j += 2 * TSimd.Count)
                {
                    Tile4x2<TSimd, TVec>(i, j);
                }
                for (; j < jEnd; j += TSimd.Count)
                {
                    Tile4x1<TSimd, TVec>(i, j);
                }
            }
            for (; i < m; i++)
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

        /// <summary><c>c[i..i+4, j..j+2V] = A[i..i+4, :] · b[:, j..j+2V]</c> for vectors of V floats.</summary>
        private void Tile4x2<TSimd, TVec>(int i, int j) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            nint rs = _aRowStride, ds = _aDepthStride, v = TSimd.Count;
            ref float ai = ref Unsafe.Add(ref _a, i * rs);
            ref float bj = ref Unsafe.Add(ref _b, j);
            TVec c00 = TSimd.Zero, c01 = TSimd.Zero, c10 = TSimd.Zero, c11 = TSimd.Zero;
            TVec c20 = TSimd.Zero, c21 = TSimd.Zero, c30 = TSimd.Zero, c31 = TSimd.Zero;
            for (nint p = 0; p < _k; p++)
            {
                ref float bp = ref Unsafe.Add(ref bj, p * _n);
                TVec w0 = TSimd.Load(ref bp, 0), w1 = TSimd.Load(ref bp, v);
                ref float ap = ref Unsafe.Add(ref ai, p * ds);
                TVec x = TSimd.Broadcast(ap);
                c00 = TSimd.MultiplyAdd(x, w0, c00); c01 = TSimd.MultiplyAdd(x, w1, c01);
                x = TSimd.Broadcast(Unsafe.Add(ref ap, rs));
                c10 = TSimd.MultiplyAdd(x, w0, c10); c11 = TSimd.MultiplyAdd(x, w1, c11);
                x = TSimd.Broadcast(Unsafe.Add(ref ap, 2 * rs));
                c20 = TSimd.MultiplyAdd(x, w0, c20); c21 = TSimd.MultiplyAdd(x, w1, c21);
                x = TSimd.Broadcast(Unsafe.Add(ref ap, 3 * rs));
                c30 = TSimd.MultiplyAdd(x, w0, c30); c31 = TSimd.MultiplyAdd(x, w1, c31);
            }
            ref float row = ref Unsafe.Add(ref _c, i * _n + j);
            TSimd.Store(c00, ref row, 0); TSimd.Store(c01, ref row, v);
            row = ref Unsafe.Add(ref row, _n);
            TSimd.Store(c10, ref row, 0); TSimd.Store(c11, ref row, v);
            row = ref Unsafe.Add(ref row, _n);
            TSimd.Store(c20, ref row, 0); TSimd.Store(c21, ref row, v);
            row = ref Unsafe.Add(ref row, _n);
            TSimd.Store(c30, ref row, 0); TSimd.Store(c31, ref row, v);
        }

        /// <summary><c>c[i..i+4, j..j+V] = A[i..i+4, :] · b[:, j..j+V]</c>.</summary>
        private void Tile4x1<TSimd, TVec>(int i, int j) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            nint rs = _aRowStride, ds = _aDepthStride;
            ref float ai = ref Unsafe.Add(ref _a, i * rs);
            ref float bj = ref Unsafe.Add(ref _b, j);
            TVec c0 = TSimd.Zero, c1 = TSimd.Zero, c2 = TSimd.Zero, c3 = TSimd.Zero;
            for (nint p = 0; p < _k; p++)
            {
                TVec w = TSimd.Load(ref bj, p * _n);
                ref float ap = ref Unsafe.Add(ref ai, p * ds);
                c0 = TSimd.MultiplyAdd(TSimd.Broadcast(ap), w, c0);
                c1 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref ap, rs)), w, c1);
                c2 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref ap, 2 * rs)), w, c2);
                c3 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref ap, 3 * rs)), w, c3);
            }
            ref float row = ref Unsafe.Add(ref _c, i * _n + j);
            TSimd.Store(c0, ref row, 0);
            TSimd.Store(c1, ref row, _n);
            TSimd.Store(c2, ref row, 2 * _n);
            TSimd.Store(c3, ref row, 3 * _n);
        }

        /// <summary><c>c[i, j..j+4V] = A[i, :] · b[:, j..j+4V]</c>, for the rows left over after the 4-row tiles.</summary>
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
    private static void SumColumns<TSimd, TVec>(ref float a, ref float sums, int m, int n, int jStart, int jEnd)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        for (int j = jStart; j < jEnd; j += TSimd.Count)
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
