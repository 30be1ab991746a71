using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NetDsl.Kernels;

namespace NetDsl;

/// <summary>
/// The reductions and clamps of gradient clipping and the non-finite check, written once over <see cref="ISimd{TVec}"/>
/// for every width; the remainder runs at <see cref="SimdScalar"/>.
/// </summary>
internal static unsafe class GradientKernels
{
    /// <summary>
    /// Elements per float partial sum of <see cref="SumOfSquares"/>, in vectors: each lane adds at most this many squares
    /// in float before the partial sum moves to a double, which bounds the rounding error whatever the length.
    /// </summary>
    private const int VectorsPerBlock = 32;

    /// <summary>
    /// <c>Σ xᵢ²</c>, in float partial sums of <see cref="VectorsPerBlock"/> vectors added in double. Infinite when a
    /// square or a partial sum overflows float, NaN when an element is NaN.
    /// </summary>
    public static double SumOfSquares(ReadOnlySpan<float> values, SimdWidth width) => width switch
    {
        SimdWidth.Vector512 => SumOfSquares<Simd512, Vector512<float>>(values),
        SimdWidth.Vector256 => SumOfSquares<Simd256, Vector256<float>>(values),
        SimdWidth.Vector128 => SumOfSquares<Simd128, Vector128<float>>(values),
        _ => SumOfSquares<SimdScalar, float>(values),
    };

    /// <summary>Whether every element is finite (neither NaN nor ±∞).</summary>
    public static bool AllFinite(ReadOnlySpan<float> values, SimdWidth width) => width switch
    {
        SimdWidth.Vector512 => AllFinite<Simd512, Vector512<float>>(values),
        SimdWidth.Vector256 => AllFinite<Simd256, Vector256<float>>(values),
        SimdWidth.Vector128 => AllFinite<Simd128, Vector128<float>>(values),
        _ => AllFinite<SimdScalar, float>(values),
    };

    /// <summary><c>x = x · scale</c>.</summary>
    public static void Scale(Span<float> values, float scale, SimdWidth width)
    {
        fixed (float* x = values)
        {
            OptimizerKernels.Run(new ScaleUpdate(x, scale), values.Length, width);
        }
    }

    /// <summary><c>x = clamp(x, -limit, limit)</c>; NaN stays NaN.</summary>
    public static void Clamp(Span<float> values, float limit, SimdWidth width)
    {
        fixed (float* x = values)
        {
            OptimizerKernels.Run(new ClampUpdate(x, limit), values.Length, width);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumOfSquares<TSimd, TVec>(ReadOnlySpan<float> values) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        ref float x = ref OptimizerKernels.Ref(values);
        int vectorEnd = values.Length - values.Length % TSimd.Count;
        int blockLength = VectorsPerBlock * TSimd.Count;
        double total = 0;
        for (int blockStart = 0; blockStart < vectorEnd; blockStart += blockLength)
        {
            int blockEnd = Math.Min(blockStart + blockLength, vectorEnd);
            TVec sum = TSimd.Zero;
            for (nint i = blockStart; i < blockEnd; i += TSimd.Count)
            {
                TVec v = TSimd.Load(ref x, i);
                sum = TSimd.MultiplyAdd(v, v, sum);
            }
            total += TSimd.Sum(sum);
        }
        for (int i = vectorEnd; i < values.Length; i++)
        {
            total += (double)values[i] * values[i];
        }
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool AllFinite<TSimd, TVec>(ReadOnlySpan<float> values) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        // x · 0 is 0 for finite x and NaN for NaN and ±∞, so the sum of x · 0 is 0 exactly when every x is finite.
        ref float x = ref OptimizerKernels.Ref(values);
        int vectorEnd = values.Length - values.Length % TSimd.Count;
        TVec zero = TSimd.Zero, sum = TSimd.Zero;
        for (nint i = 0; i < vectorEnd; i += TSimd.Count)
        {
            sum = TSimd.MultiplyAdd(TSimd.Load(ref x, i), zero, sum);
        }
        float total = TSimd.Sum(sum);
        for (int i = vectorEnd; i < values.Length; i++)
        {
            total += values[i] * 0f;
        }
        return total == 0f;
    }

    /// <summary><c>x = x · scale</c>.</summary>
    private readonly struct ScaleUpdate : IElementwiseUpdate
    {
        private readonly float* _x;
        private readonly float _scale;

        public ScaleUpdate(float* values, float scale)
        {
            _x = values;
            _scale = scale;
        }

        public void Update<TSimd, TVec>(nint start, nint end) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            TVec scale = TSimd.Broadcast(_scale);
            for (nint i = start; i < end; i += TSimd.Count)
            {
                TSimd.Store(TSimd.Multiply(TSimd.Load(ref *_x, i), scale), ref *_x, i);
            }
        }
    }

    /// <summary><c>x = clamp(x, -limit, limit)</c>, NaN kept.</summary>
    private readonly struct ClampUpdate : IElementwiseUpdate
    {
        private readonly float* _x;
        private readonly float _limit;

        public ClampUpdate(float* values, float limit)
        {
            _x = values;
            _limit = limit;
        }

        public void Update<TSimd, TVec>(nint start, nint end) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            TVec upper = TSimd.Broadcast(_limit), lower = TSimd.Broadcast(-_limit);
            for (nint i = start; i < end; i += TSimd.Count)
            {
                TVec x = TSimd.Load(ref *_x, i);
                // Comparisons with NaN are false, so a NaN passes through both selects unchanged.
                x = TSimd.IfGreaterThan(x, upper, upper, x);
                x = TSimd.IfGreaterThan(lower, x, lower, x);
                TSimd.Store(x, ref *_x, i);
            }
        }
    }
}
