using System;
using System.Diagnostics;
using System.Threading;

namespace NetDsl.PeerBenchmarks;

/// <summary>One timed operation: seconds per operation over the timed blocks, and managed bytes allocated per operation.</summary>
internal sealed record Measurement(double Median, double Min, int OperationsPerBlock, int Blocks, double BytesPerOperation);

/// <summary>
/// A small, deliberate harness (see bench/README.md for why not BenchmarkDotNet): warm up until the JIT has tiered up
/// and the peers' caches and thread pools are hot, size a block to about <see cref="BlockSeconds"/>, then time
/// <see cref="Blocks"/> blocks with a full, untimed garbage collection before each (TorchSharp leaves native tensors to
/// finalizers), and report the median and the minimum time per operation.
/// </summary>
internal static class Timing
{
    public static double WarmupSeconds = 0.5;
    public static double BlockSeconds = 0.05;
    public static int Blocks = 21;

    public static Measurement Measure(Action operation)
    {
        // Let the previous engine's spinning worker threads (OpenMP, ORT's pool) go to sleep before this one starts.
        Settle();
        var clock = Stopwatch.StartNew();
        int warmups = 0;
        while (warmups < 5 || clock.Elapsed.TotalSeconds < WarmupSeconds)
        {
            operation();
            warmups++;
        }
        double perOperation = clock.Elapsed.TotalSeconds / warmups;
        int perBlock = (int)Math.Clamp(Math.Round(BlockSeconds / perOperation), 1, 1_000_000);

        var times = new double[Blocks];
        long allocated = 0;
        for (int b = 0; b < Blocks; b++)
        {
            Collect();
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < perBlock; i++)
                operation();
            long stop = Stopwatch.GetTimestamp();
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            times[b] = (stop - start) / (double)Stopwatch.Frequency / perBlock;
        }
        Array.Sort(times);
        return new Measurement(times[Blocks / 2], times[0], perBlock, Blocks, allocated / (double)(perBlock * Blocks));
    }

    public static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static void Settle()
    {
        Collect();
        Thread.Sleep(100);
    }
}
