using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NetDsl.Kernels;

/// <summary>
/// The vector width a kernel runs at. <see cref="SimdDispatch.Best"/> is what the public entry points use; tests pass every
/// width explicitly so each path runs on any machine (wider vectors fall back to software where not accelerated).
/// </summary>
internal enum SimdWidth
{
    /// <summary>One float at a time (<see cref="SimdScalar"/>).</summary>
    Scalar,
    /// <summary><see cref="Vector128{T}"/>: SSE / NEON.</summary>
    Vector128,
    /// <summary><see cref="Vector256{T}"/>: AVX2.</summary>
    Vector256,
    /// <summary><see cref="Vector512{T}"/>: AVX-512.</summary>
    Vector512,
}

/// <summary>Picks the widest hardware-accelerated <see cref="SimdWidth"/>.</summary>
internal static class SimdDispatch
{
    /// <summary>The widest width the hardware accelerates (a JIT-time constant).</summary>
    public static SimdWidth Best =>
        Vector512.IsHardwareAccelerated ? SimdWidth.Vector512 :
        Vector256.IsHardwareAccelerated ? SimdWidth.Vector256 :
        Vector128.IsHardwareAccelerated ? SimdWidth.Vector128 :
        SimdWidth.Scalar;

    /// <summary>
    /// The width for kernels bound by streaming operands from cache rather than by FMAs (batch-1 matrix-vector
    /// products): at most <see cref="SimdWidth.Vector256"/>. Measured on Zen 5 (EPYC, AVX-512): a 784×128 product
    /// from L2 takes 4.2 µs at Vector256 and 4.9 µs at Vector512, and the gap holds from L1 to L3 sizes.
    /// </summary>
    public static SimdWidth BestForStreaming =>
        Vector256.IsHardwareAccelerated ? SimdWidth.Vector256 :
        Vector128.IsHardwareAccelerated ? SimdWidth.Vector128 :
        SimdWidth.Scalar;

    /// <summary>
    /// The width for the panel-packed product of <see cref="PanelGemm"/> with <paramref name="n"/> columns: <see cref="Best"/>,
    /// except that a product at most 16 columns wide runs at <see cref="SimdWidth.Vector256"/>, whose panels are 16
    /// columns rather than 32, so a 10-class output layer computes 16 columns instead of 32. Vector256 issues the
    /// same flops per cycle where 512-bit FMAs are double-pumped (Zen 4: 116.9 against 117.6 GFLOP/s) and half where
    /// they are not, so halving the columns is never slower. Measured here: the 256×256 → 10 layer of MLP-M,
    /// 42 µs at Vector512, 24 µs at Vector256. Results are identical at every width.
    /// </summary>
    public static SimdWidth ForPanels(int n) =>
        n <= 16 && Best == SimdWidth.Vector512 ? SimdWidth.Vector256 : Best;

    /// <summary>Floats in a vector of <paramref name="width"/>.</summary>
    public static int Lanes(SimdWidth width) => width switch { SimdWidth.Vector512 => 16, SimdWidth.Vector256 => 8, SimdWidth.Vector128 => 4, _ => 1 };
}

/// <summary>
/// The operations our kernels need from a vector of floats, as static abstract members of a struct so a kernel written
/// once as <c>Kernel&lt;TSimd, TVec&gt;</c> is compiled by the JIT separately, and fully inlined, for each width.
/// <see cref="SimdScalar"/> is the vector of one float: it serves both as the fallback and for remainders.
/// </summary>
/// <remarks>
/// <para>
/// Loads and stores take a reference and an element offset and do no bounds checks: every public entry point
/// validates span lengths before it reaches a kernel.
/// </para>
/// <para>
/// Kernels written this way are marked <c>[MethodImpl(MethodImplOptions.AggressiveOptimization)]</c>, so the JIT
/// compiles them optimized on their first call. Without it they start at tier 0, where each <c>TSimd.Load</c> or
/// <c>MultiplyAdd</c> is a real call, and the runtime waits for 30 calls and a quiet 100 ms (a whole second when the
/// process may use one CPU) before recompiling them: MLP-M's <c>Forward</c> took about 400 µs at batch 1 (27 µs
/// optimized) for its first 250 ms and 1,000 calls, and 11.7 ms at batch 64 (0.67 ms) for its first 60 calls. With
/// the attribute the fourth call runs at 40 µs and the second at 0.9 ms; the steady state is the same within the noise
/// (MLP-M batch 256: 2,497–2,528 µs without, 2,538–2,553 with; best of 41 blocks in three alternated runs). Tiered PGO,
/// which the attribute gives up, has nothing to tune in these straight-line loops. The recurrent kernels are the exception,
/// left to tiering: with the attribute the LSTM's training step measured 8,650 against 8,390 µs (medians of six alternated
/// runs, noisy), and that target has no margin to spare.
/// </para>
/// </remarks>
/// <typeparam name="TVec">The vector type, such as <see cref="Vector512{T}"/> of float, or <see cref="float"/> itself.</typeparam>
internal interface ISimd<TVec> where TVec : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }
    /// <summary>All zeros.</summary>
    static abstract TVec Zero { get; }
    /// <summary>Every element set to <paramref name="value"/>.</summary>
    static abstract TVec Broadcast(float value);
    /// <summary>Loads <see cref="Count"/> floats at <c>source[offset]</c>.</summary>
    static abstract TVec Load(ref float source, nint offset);
    /// <summary>Stores <see cref="Count"/> floats at <c>destination[offset]</c>.</summary>
    static abstract void Store(TVec value, ref float destination, nint offset);
    /// <summary><c>x + y</c>.</summary>
    static abstract TVec Add(TVec x, TVec y);
    /// <summary><c>x - y</c>.</summary>
    static abstract TVec Subtract(TVec x, TVec y);
    /// <summary><c>x · y</c>.</summary>
    static abstract TVec Multiply(TVec x, TVec y);
    /// <summary><c>x / y</c>.</summary>
    static abstract TVec Divide(TVec x, TVec y);
    /// <summary><c>x · y + addend</c>, fused where the hardware has FMA.</summary>
    static abstract TVec MultiplyAdd(TVec x, TVec y, TVec addend);
    /// <summary><c>√x</c>.</summary>
    static abstract TVec Sqrt(TVec x);
    /// <summary>Per element <c>x &gt; y ? then : otherwise</c> (false for NaN).</summary>
    static abstract TVec IfGreaterThan(TVec x, TVec y, TVec then, TVec otherwise);
    /// <summary>Per element <c>x ≥ y ? then : otherwise</c> (false for NaN).</summary>
    static abstract TVec IfGreaterThanOrEqual(TVec x, TVec y, TVec then, TVec otherwise);
    /// <summary>The sum of the elements.</summary>
    static abstract float Sum(TVec x);
}

/// <summary>AVX-512: 16 floats.</summary>
internal readonly struct Simd512 : ISimd<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nint offset) => Vector512.LoadUnsafe(ref source, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> x, Vector512<float> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> x, Vector512<float> y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> x, Vector512<float> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> x, Vector512<float> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> x, Vector512<float> y, Vector512<float> addend) => Vector512.MultiplyAddEstimate(x, y, addend);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sqrt(Vector512<float> x) => Vector512.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> IfGreaterThan(Vector512<float> x, Vector512<float> y, Vector512<float> then, Vector512<float> otherwise)
        => Vector512.ConditionalSelect(Vector512.GreaterThan(x, y), then, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> IfGreaterThanOrEqual(Vector512<float> x, Vector512<float> y, Vector512<float> then, Vector512<float> otherwise)
        => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, y), then, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> x) => Vector512.Sum(x);
}

/// <summary>AVX2: 8 floats.</summary>
internal readonly struct Simd256 : ISimd<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nint offset) => Vector256.LoadUnsafe(ref source, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> x, Vector256<float> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> x, Vector256<float> y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> x, Vector256<float> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> x, Vector256<float> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> addend) => Vector256.MultiplyAddEstimate(x, y, addend);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sqrt(Vector256<float> x) => Vector256.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> IfGreaterThan(Vector256<float> x, Vector256<float> y, Vector256<float> then, Vector256<float> otherwise)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(x, y), then, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> IfGreaterThanOrEqual(Vector256<float> x, Vector256<float> y, Vector256<float> then, Vector256<float> otherwise)
        => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, y), then, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> x) => Vector256.Sum(x);
}

/// <summary>SSE / NEON: 4 floats.</summary>
internal readonly struct Simd128 : ISimd<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nint offset) => Vector128.LoadUnsafe(ref source, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination, nint offset) => value.StoreUnsafe(ref destination, (nuint)offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> x, Vector128<float> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> x, Vector128<float> y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> x, Vector128<float> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(Vector128<float> x, Vector128<float> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> x, Vector128<float> y, Vector128<float> addend) => Vector128.MultiplyAddEstimate(x, y, addend);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sqrt(Vector128<float> x) => Vector128.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> IfGreaterThan(Vector128<float> x, Vector128<float> y, Vector128<float> then, Vector128<float> otherwise)
        => Vector128.ConditionalSelect(Vector128.GreaterThan(x, y), then, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> IfGreaterThanOrEqual(Vector128<float> x, Vector128<float> y, Vector128<float> then, Vector128<float> otherwise)
        => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, y), then, otherwise);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> x) => Vector128.Sum(x);
}

/// <summary>A "vector" of one float: the portable fallback, and the remainder path of the vector widths.</summary>
internal readonly struct SimdScalar : ISimd<float>
{
    public static int Count => 1;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Broadcast(float value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref float source, nint offset) => Unsafe.Add(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float value, ref float destination, nint offset) => Unsafe.Add(ref destination, offset) = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float x, float y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Subtract(float x, float y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Multiply(float x, float y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Divide(float x, float y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float x, float y, float addend) => float.MultiplyAddEstimate(x, y, addend);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sqrt(float x) => MathF.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float IfGreaterThan(float x, float y, float then, float otherwise) => x > y ? then : otherwise;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float IfGreaterThanOrEqual(float x, float y, float then, float otherwise) => x >= y ? then : otherwise;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(float x) => x;
}
