using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetDsl.Kernels;

/// <summary>An element-wise function <c>f(x)</c>, written once for every vector width.</summary>
internal interface IUnaryOperator
{
    /// <summary>Applies the function to each element of <paramref name="x"/>.</summary>
    TVec Invoke<TSimd, TVec>(TVec x) where TSimd : struct, ISimd<TVec> where TVec : struct;
}

/// <summary>An element-wise function <c>f(x, y)</c>, written once for every vector width.</summary>
internal interface IBinaryOperator
{
    /// <summary>Applies the function to each pair of elements of <paramref name="x"/> and <paramref name="y"/>.</summary>
    TVec Invoke<TSimd, TVec>(TVec x, TVec y) where TSimd : struct, ISimd<TVec> where TVec : struct;
}

/// <summary>
/// Drivers that apply an element-wise operator over spans: full vectors of the chosen width, then the remainder one
/// float at a time through the same operator at <see cref="SimdScalar"/>.
/// </summary>
internal static class Elementwise
{
    /// <summary><c>values[i] = op(values[i])</c> in place.</summary>
    public static void Map<TOp>(Span<float> values, TOp op, SimdWidth width) where TOp : struct, IUnaryOperator
    {
        switch (width)
        {
            case SimdWidth.Vector512: Map<TOp, Simd512, Vector512<float>>(values, op); break;
            case SimdWidth.Vector256: Map<TOp, Simd256, Vector256<float>>(values, op); break;
            case SimdWidth.Vector128: Map<TOp, Simd128, Vector128<float>>(values, op); break;
            default: Map<TOp, SimdScalar, float>(values, op); break;
        }
    }

    /// <summary>
    /// <c>destination[i] = op(x[i], y[i])</c>. The spans must have equal lengths; <paramref name="destination"/> may be
    /// the same span as an input (each element is read before it is written), but must not partially overlap one.
    /// </summary>
    public static void Map<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination, TOp op, SimdWidth width)
        where TOp : struct, IBinaryOperator
    {
        switch (width)
        {
            case SimdWidth.Vector512: Map<TOp, Simd512, Vector512<float>>(x, y, destination, op); break;
            case SimdWidth.Vector256: Map<TOp, Simd256, Vector256<float>>(x, y, destination, op); break;
            case SimdWidth.Vector128: Map<TOp, Simd128, Vector128<float>>(x, y, destination, op); break;
            default: Map<TOp, SimdScalar, float>(x, y, destination, op); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TOp, TSimd, TVec>(Span<float> values, TOp op)
        where TOp : struct, IUnaryOperator where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        nint length = values.Length;
        nint i = 0;
        for (; i <= length - TSimd.Count; i += TSimd.Count)
        {
            TSimd.Store(op.Invoke<TSimd, TVec>(TSimd.Load(ref v, i)), ref v, i);
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref v, i) = op.Invoke<SimdScalar, float>(Unsafe.Add(ref v, i));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TOp, TSimd, TVec>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination, TOp op)
        where TOp : struct, IBinaryOperator where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        if (x.Length != destination.Length || y.Length != destination.Length)
        {
            throw new ArgumentException($"Expected spans of equal length, got {x.Length}, {y.Length} and {destination.Length}.", nameof(destination));
        }
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float d = ref MemoryMarshal.GetReference(destination);
        nint length = destination.Length;
        nint i = 0;
        for (; i <= length - TSimd.Count; i += TSimd.Count)
        {
            TSimd.Store(op.Invoke<TSimd, TVec>(TSimd.Load(ref xs, i), TSimd.Load(ref ys, i)), ref d, i);
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref d, i) = op.Invoke<SimdScalar, float>(Unsafe.Add(ref xs, i), Unsafe.Add(ref ys, i));
        }
    }
}
