using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetDsl.PeerBenchmarks;

/// <summary>
/// How fast one core reads a working set of a given size again and again: the limit of a batch-1 forward pass, which
/// reads every weight once per call (an LSTM reads its recurrent weights once per step) and does only one FMA per
/// weight read — 2 FLOP per 4 bytes, so at 117.6 GFLOP/s it would need 235 GB/s, twice what this machine's L2 delivers.
/// Eight independent Vector512 (or Vector256) accumulators over 64-byte-aligned memory, best of many passes.
/// </summary>
internal static unsafe class MemoryBandwidth
{
    /// <summary>GB/s of one core reading <paramref name="bytes"/> bytes over and over (best of 30 runs of about 10 ms).</summary>
    public static double Read(long bytes)
    {
        int floats = (int)((bytes + 511) / 512 * 128);
        float* data = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
        try
        {
            for (int i = 0; i < floats; i++)
                data[i] = i * 1e-9f;
            long passes = Math.Max(1, (long)(0.01 * 100e9 / (floats * 4.0))); // about 10 ms at 100 GB/s
            Run(data, floats, 1);
            double best = 0;
            for (int attempt = 0; attempt < 30; attempt++)
            {
                long start = Stopwatch.GetTimestamp();
                Sink += Run(data, floats, passes);
                double seconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
                best = Math.Max(best, passes * (double)floats * sizeof(float) / seconds / 1e9);
            }
            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(data);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run(float* p, int floats, long passes)
    {
        if (!Vector512.IsHardwareAccelerated)
            return Run256(p, floats, passes);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (long pass = 0; pass < passes; pass++)
            for (int i = 0; i < floats; i += 128)
            {
                a0 += Vector512.LoadAligned(p + i); a1 += Vector512.LoadAligned(p + i + 16);
                a2 += Vector512.LoadAligned(p + i + 32); a3 += Vector512.LoadAligned(p + i + 48);
                a4 += Vector512.LoadAligned(p + i + 64); a5 += Vector512.LoadAligned(p + i + 80);
                a6 += Vector512.LoadAligned(p + i + 96); a7 += Vector512.LoadAligned(p + i + 112);
            }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }

    private static float Run256(float* p, int floats, long passes)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (long pass = 0; pass < passes; pass++)
            for (int i = 0; i < floats; i += 64)
            {
                a0 += Vector256.LoadAligned(p + i); a1 += Vector256.LoadAligned(p + i + 8);
                a2 += Vector256.LoadAligned(p + i + 16); a3 += Vector256.LoadAligned(p + i + 24);
                a4 += Vector256.LoadAligned(p + i + 32); a5 += Vector256.LoadAligned(p + i + 40);
                a6 += Vector256.LoadAligned(p + i + 48); a7 += Vector256.LoadAligned(p + i + 56);
            }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }

    /// <summary>Keeps the sums observable so the loops are not removed.</summary>
    public static float Sink;
}

/// <summary>
/// What a batch-1 forward pass must at least take on this machine at float32: the weights it reads per call at the
/// measured read bandwidth for its working set, or its FLOP at the FMA peak, whichever is longer.
/// </summary>
/// <param name="Workload">The row's workload name (prefix).</param>
/// <param name="BytesPerCall">Bytes of weights read per call (an LSTM's recurrent weights count once per step).</param>
/// <param name="WorkingSetBytes">Bytes the call reads repeatedly (what must stay in cache between calls or steps).</param>
/// <param name="Explanation">Where the bytes come from.</param>
internal sealed record BatchOneBound(string Workload, double TargetRatio, long BytesPerCall, long WorkingSetBytes, string Explanation)
{
    public double Bandwidth { get; set; }

    public double MemoryFloorSeconds => BytesPerCall / (Bandwidth * 1e9);

    public static BatchOneBound[] ForTheWorkloads() =>
    [
        new("MLP-S 784-128-10, batch 1 latency", 1.0 / 3, 4L * MlpS.ParameterCount, 4L * MlpS.ParameterCount,
            $"{MlpS.ParameterCount:N0} parameters, each read once"),
        new("MLP-M 784-512-256-10, batch 1 latency", 0.7, 4L * MlpM.ParameterCount, 4L * MlpM.ParameterCount,
            $"{MlpM.ParameterCount:N0} parameters, each read once (more than one core's L2)"),
        new("CNN Fashion-MNIST, batch 1 latency", 0.7, 4L * FashionCnn.ParameterCount, 4L * FashionCnn.ParameterCount,
            $"{FashionCnn.ParameterCount:N0} parameters, each read once"),
        new("LSTM 32→128 ×50 + Dense 10, batch 1 latency", 0.5, 4L * (50 * 512 * 128 + SeqLstm.ParameterCount - 512 * 128), 4L * SeqLstm.ParameterCount,
            "W_hh (512×128, 256 KB) read at each of the 50 steps, the other parameters once"),
    ];
}
