using System;
using System.Diagnostics;
using System.Threading;

namespace NetDsl.PeerBenchmarks;

/// <summary>One timed operation: seconds per operation over the timed blocks, and managed bytes allocated per operation.</summary>
internal sealed record Measurement(double Median, double Min, int OperationsPerBlock, int Blocks, double BytesPerOperation);

/// <summary>
/// A small, deliberate harness (see bench/README.md for why not BenchmarkDotNet). Each engine is warmed up until the
/// JIT has tiered up and its caches and thread pools are hot, and a block is sized to about <see cref="BlockSeconds"/>.
/// Then the engines' blocks are <b>interleaved</b> (NetDsl, TorchSharp, ORT, NetDsl, ...), so a burst of load from
/// another process hits all of them alike and the ratios stay fair; before each block a full, untimed garbage collection
/// (TorchSharp leaves native tensors to finalizers) and a pause of <see cref="PauseMilliseconds"/>, so the previous
/// engine's spinning workers are asleep and each block runs as if its engine were alone, then an untimed re-warm of
/// <see cref="RewarmMilliseconds"/> of the engine's own operation (<see cref="Rewarm"/>), so the block measures the warm steady state.
/// Reports the median and the minimum time per operation.
/// </summary>
/// <remarks>
/// Why 100 ms and not 20: at 2 threads with 20 ms pauses, ORT's pool threads were still spinning when NetDsl's block (which
/// follows ORT's) began, taking NetDsl's second core: Dense 512→512 forward measured NetDsl 145–149 against ORT 196–201
/// GFLOP/s; with 100 ms pauses 177 against 178, and with 300 ms 170–174 against 179–181 (same commit, quiet machine).
/// At 1 thread the pause made no difference beyond noise.
/// </remarks>
internal static class Timing
{
    public static double WarmupSeconds = 0.5;
    public static double BlockSeconds = 0.05;
    public static int Blocks = 21;
    public static int PauseMilliseconds = int.TryParse(Environment.GetEnvironmentVariable("PEERS_PAUSE_MS"), out int ms) ? ms : 100;
    public static int RewarmMilliseconds = int.TryParse(Environment.GetEnvironmentVariable("PEERS_REWARM_MS"), out int rewarm) ? rewarm : 30;

    /// <summary>
    /// Runs <paramref name="operation"/>, untimed, for <see cref="RewarmMilliseconds"/> (at least once): after the
    /// collection and the pause, the first calls of a block find the engine's weights and buffers evicted. Measured for
    /// NetDsl's MLP-M training step (1.57 ms warm): the first step after a 100 ms sleep took 2.3–2.7 ms and steps 4–20
    /// still about 1.8 ms, while register-only FMA code was unaffected; so a 50 ms block started cold measured the
    /// refill as much as the step. That was with another process running on the other core; on a quiet machine the
    /// re-warm changed nothing measurable (the same step in this bench: 42,047 samples/s without, 41,724 with). Every
    /// engine gets the same re-warm.
    /// </summary>
    private static void Rewarm(Action operation)
    {
        long until = Stopwatch.GetTimestamp() + RewarmMilliseconds * Stopwatch.Frequency / 1000;
        do
        {
            operation();
        }
        while (Stopwatch.GetTimestamp() < until);
    }

    /// <summary>Measures each non-null operation; null in, null out.</summary>
    public static Measurement?[] Measure(params Action?[] operations)
    {
        int engines = operations.Length;
        var perBlock = new int[engines];
        for (int e = 0; e < engines; e++)
            if (operations[e] is { } operation)
                perBlock[e] = Calibrate(operation);

        var times = new double[engines][];
        var allocated = new long[engines];
        for (int e = 0; e < engines; e++)
            times[e] = new double[Blocks];
        for (int b = 0; b < Blocks; b++)
            for (int e = 0; e < engines; e++)
            {
                if (operations[e] is not { } operation)
                    continue;
                Collect();
                Thread.Sleep(PauseMilliseconds);
                Rewarm(operation);
                int n = perBlock[e];
                long before = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                    operation();
                long stop = Stopwatch.GetTimestamp();
                allocated[e] += GC.GetAllocatedBytesForCurrentThread() - before;
                times[e][b] = (stop - start) / (double)Stopwatch.Frequency / n;
            }

        var results = new Measurement?[engines];
        for (int e = 0; e < engines; e++)
        {
            if (operations[e] is null)
                continue;
            Array.Sort(times[e]);
            results[e] = new Measurement(times[e][Blocks / 2], times[e][0], perBlock[e], Blocks, allocated[e] / (double)(perBlock[e] * Blocks));
        }
        return results;
    }

    /// <summary>Warms <paramref name="operation"/> up and returns how many calls make a block of about <see cref="BlockSeconds"/>.</summary>
    private static int Calibrate(Action operation)
    {
        Collect();
        Thread.Sleep(100);
        var clock = Stopwatch.StartNew();
        int warmups = 0;
        while (warmups < 5 || clock.Elapsed.TotalSeconds < WarmupSeconds)
        {
            operation();
            warmups++;
        }
        // Size the block from the second half of the warm-up, when the code has tiered up.
        int calls = Math.Max(3, warmups / 2);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
            operation();
        double perOperation = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency / calls;
        return (int)Math.Clamp(Math.Round(BlockSeconds / perOperation), 1, 1_000_000);
    }

    public static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
