using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace NetDsl.PeerBenchmarks;

/// <summary>
/// The machine's FP32 fused multiply-add limit: 16 independent accumulator chains (twice what covers the 4-cycle FMA latency
/// on both FMA ports of a Zen 5 core), each step one FMA per vector lane = 2 FLOP per lane. Best of several runs.
/// </summary>
internal static class FmaPeak
{
    private const int Accumulators = 16;

    /// <summary>GFLOP/s of one core with 512-bit FMAs (0 if the hardware does not accelerate Vector512).</summary>
    public static double Vector512Single() => Vector512.IsHardwareAccelerated ? Best(() => Run512(Iterations)) : 0;

    /// <summary>GFLOP/s of one core with 256-bit FMAs.</summary>
    public static double Vector256Single() => Best(() => Run256(Iterations));

    /// <summary>GFLOP/s of <paramref name="threads"/> cores together, with the widest accelerated vectors.</summary>
    public static double Parallel(int threads)
    {
        Func<long, double> run = Vector512.IsHardwareAccelerated ? Run512 : Run256;
        double best = 0;
        for (int attempt = 0; attempt < 15; attempt++)
        {
            var results = new double[threads];
            using var start = new Barrier(threads);
            var workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                int index = t;
                workers[t] = new Thread(() => { run(Iterations / 10); start.SignalAndWait(); results[index] = run(Iterations); });
                workers[t].Start();
            }
            foreach (var worker in workers)
                worker.Join();
            double sum = 0;
            foreach (double r in results)
                sum += r;
            best = Math.Max(best, sum);
        }
        return best;
    }

    // About 10 ms per run: short enough that the best of many runs finds a stretch with the core to itself.
    private const long Iterations = 2_000_000;

    private static double Best(Func<double> run)
    {
        run();
        double best = 0;
        for (int attempt = 0; attempt < 30; attempt++)
            best = Math.Max(best, run());
        return best;
    }

    private static double Run512(long iterations)
    {
        long start = Stopwatch.GetTimestamp();
        Sink = Chains512(iterations, Vector512.Create(0.999999f), Vector512.Create(1e-6f)).ToScalar();
        double seconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
        return iterations * Accumulators * Vector512<float>.Count * 2 / seconds / 1e9;
    }

    // No call inside, so the JIT keeps all twelve accumulators in registers (a call would make it spill them).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<float> Chains512(long iterations, Vector512<float> m, Vector512<float> c)
    {
        Vector512<float> a0 = m, a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c,
            a6 = a5 + c, a7 = a6 + c, a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c,
            a12 = a11 + c, a13 = a12 + c, a14 = a13 + c, a15 = a14 + c;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
            a12 = Vector512.FusedMultiplyAdd(a12, m, c); a13 = Vector512.FusedMultiplyAdd(a13, m, c);
            a14 = Vector512.FusedMultiplyAdd(a14, m, c); a15 = Vector512.FusedMultiplyAdd(a15, m, c);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
    }

    private static double Run256(long iterations)
    {
        long start = Stopwatch.GetTimestamp();
        Sink = Chains256(iterations, Vector256.Create(0.999999f), Vector256.Create(1e-6f)).ToScalar();
        double seconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
        return iterations * Accumulators * Vector256<float>.Count * 2 / seconds / 1e9;
    }

    // No call inside, so the JIT keeps all twelve accumulators in registers (a call would make it spill them).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Chains256(long iterations, Vector256<float> m, Vector256<float> c)
    {
        Vector256<float> a0 = m, a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c,
            a6 = a5 + c, a7 = a6 + c, a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c,
            a12 = a11 + c, a13 = a12 + c, a14 = a13 + c, a15 = a14 + c;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
            a12 = Vector256.FusedMultiplyAdd(a12, m, c); a13 = Vector256.FusedMultiplyAdd(a13, m, c);
            a14 = Vector256.FusedMultiplyAdd(a14, m, c); a15 = Vector256.FusedMultiplyAdd(a15, m, c);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
    }

    /// <summary>Keeps the accumulators observable so the loop is not removed.</summary>
    public static float Sink;
}
