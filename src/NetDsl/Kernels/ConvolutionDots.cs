using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetDsl.Kernels;

/// <summary>
/// <c>c[m,n] = a[m,k] · b[n,k]ᵀ</c> as <c>m·n</c> long dot products, for a convolution's weight gradient
/// <c>dW[O, K] = dz[O, G·N] · col[K, G·N]ᵀ</c> when both sides are small and the depth long (the Fashion-MNIST CNN's
/// first layer: 16 × 25 outputs over 2352 terms). There the packed kernel does poorly: 25 columns fill 25/32 of its
/// one panel, and packing <c>col</c> transposed runs one float at a time (measured ~18 GFLOP/s against ~70 for its
/// good shapes). Here each tile of 4 rows of <c>a</c> × 3 rows of <c>b</c> keeps 12 vector accumulators and reads 7
/// vectors per 12 FMAs, straight from the rows, with no packing.
/// </summary>
internal static class ConvolutionDots
{
    private const int TileRows = 4, TileColumns = 3;

    /// <summary><c>c[i·n + j] = Σ_p a[i·k + p] · b[j·k + p]</c>, overwriting <paramref name="c"/>.</summary>
    public static void MultiplyTransposedB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, SimdWidth width)
    {
        Guard.Length(a.Length, m, k, nameof(a), "m·k");
        Guard.Length(b.Length, n, k, nameof(b), "n·k");
        Guard.Length(c.Length, m, n, nameof(c), "m·n");
        if (m == 0 || n == 0)
        {
            return;
        }
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        switch (width)
        {
            case SimdWidth.Vector512: Run<Simd512, Vector512<float>>(ref a0, ref b0, ref c0, m, n, k); break;
            case SimdWidth.Vector256: Run<Simd256, Vector256<float>>(ref a0, ref b0, ref c0, m, n, k); break;
            case SimdWidth.Vector128: Run<Simd128, Vector128<float>>(ref a0, ref b0, ref c0, m, n, k); break;
            default: Run<SimdScalar, float>(ref a0, ref b0, ref c0, m, n, k); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TSimd, TVec>(ref float a, ref float b, ref float c, int m, int n, int k)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        for (int i = 0; i < m; i += TileRows)
        {
            for (int j = 0; j < n; j += TileColumns)
            {
                Tile<TSimd, TVec>(ref a, ref b, ref c, i, j, m, n, k);
            }
        }
    }

    /// <summary>
    /// <c>c[i..i+4, j..j+3]</c>. Rows past <c>m</c> (columns past <c>n</c>) re-read the last one and are not stored. Terms
    /// past the last whole vector are added one by one after the vector sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TSimd, TVec>(ref float a, ref float b, ref float c, int i, int j, int m, int n, int k)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        nint stride = k;
        ref float a0 = ref Unsafe.Add(ref a, i * stride);
        ref float a1 = ref Unsafe.Add(ref a, Math.Min(i + 1, m - 1) * stride);
        ref float a2 = ref Unsafe.Add(ref a, Math.Min(i + 2, m - 1) * stride);
        ref float a3 = ref Unsafe.Add(ref a, Math.Min(i + 3, m - 1) * stride);
        ref float b0 = ref Unsafe.Add(ref b, j * stride);
        ref float b1 = ref Unsafe.Add(ref b, Math.Min(j + 1, n - 1) * stride);
        ref float b2 = ref Unsafe.Add(ref b, Math.Min(j + 2, n - 1) * stride);

        // sRC: row R of a against row C of b.
        TVec s00 = TSimd.Zero, s01 = TSimd.Zero, s02 = TSimd.Zero, s10 = TSimd.Zero, s11 = TSimd.Zero, s12 = TSimd.Zero;
        TVec s20 = TSimd.Zero, s21 = TSimd.Zero, s22 = TSimd.Zero, s30 = TSimd.Zero, s31 = TSimd.Zero, s32 = TSimd.Zero;
        nint p = 0, v = TSimd.Count;
        for (; p + v <= k; p += v)
        {
            TVec w0 = TSimd.Load(ref b0, p), w1 = TSimd.Load(ref b1, p), w2 = TSimd.Load(ref b2, p);
            TVec x = TSimd.Load(ref a0, p);
            s00 = TSimd.MultiplyAdd(x, w0, s00); s01 = TSimd.MultiplyAdd(x, w1, s01); s02 = TSimd.MultiplyAdd(x, w2, s02);
            x = TSimd.Load(ref a1, p);
            s10 = TSimd.MultiplyAdd(x, w0, s10); s11 = TSimd.MultiplyAdd(x, w1, s11); s12 = TSimd.MultiplyAdd(x, w2, s12);
            x = TSimd.Load(ref a2, p);
            s20 = TSimd.MultiplyAdd(x, w0, s20); s21 = TSimd.MultiplyAdd(x, w1, s21); s22 = TSimd.MultiplyAdd(x, w2, s22);
            x = TSimd.Load(ref a3, p);
            s30 = TSimd.MultiplyAdd(x, w0, s30); s31 = TSimd.MultiplyAdd(x, w1, s31); s32 = TSimd.MultiplyAdd(x, w2, s32);
        }

        Store(ref c, i, j, m, n, 0, 0, Finish<TSimd, TVec>(s00, ref a0, ref b0, p, k));
        Store(ref c, i, j, m, n, 0, 1, Finish<TSimd, TVec>(s01, ref a0, ref b1, p, k));
        Store(ref c, i, j, m, n, 0, 2, Finish<TSimd, TVec>(s02, ref a0, ref b2, p, k));
        Store(ref c, i, j, m, n, 1, 0, Finish<TSimd, TVec>(s10, ref a1, ref b0, p, k));
        Store(ref c, i, j, m, n, 1, 1, Finish<TSimd, TVec>(s11, ref a1, ref b1, p, k));
        Store(ref c, i, j, m, n, 1, 2, Finish<TSimd, TVec>(s12, ref a1, ref b2, p, k));
        Store(ref c, i, j, m, n, 2, 0, Finish<TSimd, TVec>(s20, ref a2, ref b0, p, k));
        Store(ref c, i, j, m, n, 2, 1, Finish<TSimd, TVec>(s21, ref a2, ref b1, p, k));
        Store(ref c, i, j, m, n, 2, 2, Finish<TSimd, TVec>(s22, ref a2, ref b2, p, k));
        Store(ref c, i, j, m, n, 3, 0, Finish<TSimd, TVec>(s30, ref a3, ref b0, p, k));
        Store(ref c, i, j, m, n, 3, 1, Finish<TSimd, TVec>(s31, ref a3, ref b1, p, k));
        Store(ref c, i, j, m, n, 3, 2, Finish<TSimd, TVec>(s32, ref a3, ref b2, p, k));
    }

    /// <summary>The vector accumulator's sum plus the terms <c>[p, k)</c> that did not fill a vector.</summary>
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float c, int i, int j, int m, int n, int row, int column, float value)
    {
        if (i + row < m && j + column < n)
        {
            Unsafe.Add(ref c, (i + row) * (nint)n + j + column) = value;
        }
    }
}
