using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace NetDsl.Benchmarks;

/// <summary>
/// The single-core FP32 peak of this machine: 12 independent chains of fused multiply-adds, enough to cover the
/// FMA latency (4 cycles) times the number of FMA pipes (2 on Zen 4/5 and recent Intel cores) with room to spare,
/// so the loop is throughput-bound. The GFLOP/s of the other benchmarks are shown as a fraction of the Vector512 result.
/// </summary>
/// <remarks>
/// Zen 4 executes a 512-bit FMA as two 256-bit halves, so there both widths reach the same peak (32 flops per cycle);
/// cores with full-width AVX-512 units (Zen 5, Intel server cores) reach twice as much with Vector512.
/// </remarks>
[MemoryDiagnoser]
public class FmaPeakBenchmarks
{
    /// <summary>Loop iterations per invocation.</summary>
    public const int Iterations = 100_000;

    /// <summary>Independent accumulator chains.</summary>
    public const int Chains = 12;

    // Fields rather than constants, so the JIT cannot fold the arithmetic away. a·acc + b converges to 1: no overflow.
    private float _a = 0.999f;
    private float _b = 0.001f;

    /// <summary>12 chains of <c>Vector512&lt;float&gt;</c> FMAs (16 lanes, 2 flops each).</summary>
    [Benchmark(Description = "FMA peak, Vector512 (12 chains)")]
    [Work(Flops = 2L * 16 * Chains * Iterations, IsPeak = true)]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Vector512Fma()
    {
        Vector512<float> a = Vector512.Create(_a), b = Vector512.Create(_b);
        Vector512<float> c0 = Vector512<float>.One, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        Vector512<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b);
            c1 = Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = Vector512.FusedMultiplyAdd(c2, a, b);
            c3 = Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = Vector512.FusedMultiplyAdd(c4, a, b);
            c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b);
            c7 = Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = Vector512.FusedMultiplyAdd(c8, a, b);
            c9 = Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = Vector512.FusedMultiplyAdd(c10, a, b);
            c11 = Vector512.FusedMultiplyAdd(c11, a, b);
        }

        return Vector512.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)));
    }

    /// <summary>12 chains of <c>Vector256&lt;float&gt;</c> FMAs (8 lanes, 2 flops each).</summary>
    [Benchmark(Description = "FMA peak, Vector256 (12 chains)")]
    [Work(Flops = 2L * 8 * Chains * Iterations)]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Vector256Fma()
    {
        Vector256<float> a = Vector256.Create(_a), b = Vector256.Create(_b);
        Vector256<float> c0 = Vector256<float>.One, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        Vector256<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b);
            c1 = Vector256.FusedMultiplyAdd(c1, a, b);
            c2 = Vector256.FusedMultiplyAdd(c2, a, b);
            c3 = Vector256.FusedMultiplyAdd(c3, a, b);
            c4 = Vector256.FusedMultiplyAdd(c4, a, b);
            c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b);
            c7 = Vector256.FusedMultiplyAdd(c7, a, b);
            c8 = Vector256.FusedMultiplyAdd(c8, a, b);
            c9 = Vector256.FusedMultiplyAdd(c9, a, b);
            c10 = Vector256.FusedMultiplyAdd(c10, a, b);
            c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }

        return Vector256.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)));
    }
}
