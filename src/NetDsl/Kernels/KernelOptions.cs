using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace NetDsl.Kernels;

/// <summary>Process-wide settings of the kernels.</summary>
public static class KernelOptions
{
    private static int s_maxThreads = 1;

    /// <summary>
    /// How many threads one large matrix product, convolution, pooling or optimizer step may use (default 1: the calling
    /// thread only). With more, the work (a product's blocks of rows and columns, a convolution's samples or blocks of
    /// taps, pooling's planes, an optimizer's blocks of parameters) is shared among the caller and a fixed pool of background workers started on first use; small work stays
    /// on the calling thread. Every element of the result is computed by one thread in the
    /// same order, so results are bit-identical for every setting. Only one product at a time uses the pool: a product
    /// started while another thread's product holds it runs on its own thread.
    /// </summary>
    /// <remarks>
    /// Between products the workers spin briefly before they sleep, so back-to-back layers do not pay a wake-up each;
    /// that spinning uses the other cores for half a millisecond after each product. When a core is busy with another
    /// process, the threads that are running take over the blocks a late worker has not started.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            s_maxThreads = value;
        }
    }
}

/// <summary>
/// The fixed pool behind <see cref="KernelOptions.MaxThreads"/>: background workers that, with the calling thread, run
/// the items of one job at a time. Posting a job allocates nothing (after the first job of its size).
/// </summary>
/// <remarks>
/// <para>
/// Items are claimed, not assigned: participant <c>t</c> of <c>T</c> (the caller is 0) starts at item
/// <c>⌊t·count/T⌋</c> and claims items one by one up to the end, then from the start, skipping those taken. When all
/// run at the same speed each takes its own contiguous share, as a static split would (and keeps the same share from
/// one call to the next, so a share's data stays in that core's cache); when a worker is late (asleep, or its core
/// busy with another process) the others take its unstarted items instead of waiting for it. Which thread computes
/// an item never changes what it computes, so results do not depend on the timing.
/// </para>
/// <para>
/// Waiting: an idle worker spins for <see cref="WorkerSpin"/> before it sleeps, so back-to-back products do not
/// pay a wake-up each; a caller whose items are all claimed spins for <see cref="CallerSpin"/> on the items still
/// running, then sleeps until the last one finishes, so a worker preempted by another process costs the caller its
/// core, not a spinning one.
/// </para>
/// <para>
/// Claims: each item has a stamp, the generation of the last job that claimed it; a participant claims an item of
/// generation <c>g</c> by raising its stamp from below <c>g</c> to <c>g</c> (one compare-exchange). A worker still
/// scanning after its job ended cannot claim anything: every item of that job is stamped with its generation or a later one.
/// </para>
/// </remarks>
internal static unsafe class KernelPool
{
    /// <summary>Below this many flops (2·m·n·k) a product stays on the calling thread: waking a worker costs more.</summary>
    public const long MinParallelFlops = 1L << 21;

    /// <summary>
    /// The threads a job of <paramref name="flops"/> floating-point operations may use: <see cref="KernelOptions.MaxThreads"/>
    /// from <see cref="MinParallelFlops"/> on, else 1 (the calling thread alone).
    /// </summary>
    public static int ThreadsFor(long flops) => flops >= MinParallelFlops ? KernelOptions.MaxThreads : 1;

    /// <summary>Most items a job is cut into (the caller groups work beyond this).</summary>
    public const int MaxItems = 1 << 12;

    /// <summary>How long an idle worker spins before it sleeps: 0.5 ms.</summary>
    private static readonly long WorkerSpin = Stopwatch.Frequency / 2000;

    /// <summary>How long a caller spins on workers' unfinished items before it sleeps: 0.1 ms, about one item of a large product.</summary>
    private static readonly long CallerSpin = Stopwatch.Frequency / 10000;

    private static readonly object s_startLock = new();
    private static Worker[] s_workers = [];
    private static int s_busy;

    // The job in flight. s_job packs generation (bits 24..63), participants (16..23) and item count (0..15) so a
    // worker reads all three at once; the caller writes s_state, s_runItem and s_completed before it publishes s_job.
    private static long s_job;
    private static void* s_state;
    private static delegate*<void*, int, void> s_runItem;
    // One stamp per item, at its largest size from the start (32 KB, once): growing it for a job with more items than any
    // before allocated on whichever caller got there first, inside another test's allocation measurement (848 bytes, seen once).
    private static readonly long[] s_stamps = new long[MaxItems];
    private static int s_completed;
    private static int s_callerSleeping;
    private static readonly SemaphoreSlim s_callerWake = new(0);

    /// <summary>
    /// Runs <c>runItem(state, i)</c> for every item <c>i</c> in <c>[0, count)</c> on up to <paramref name="threads"/>
    /// threads (the caller included); returns when all are done. <paramref name="state"/> must stay valid until then
    /// (a pointer to the caller's stack is fine). While another thread's job holds the pool, runs them all on the caller.
    /// </summary>
    public static void RunItems(void* state, delegate*<void*, int, void> runItem, int count, int threads)
    {
        threads = Math.Min(Math.Min(threads, count), 255);
        if (threads <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++)
            {
                runItem(state, i);
            }
            return;
        }
        try
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxItems);
            Worker[] workers = EnsureWorkers(threads - 1);
            long generation = (s_job >> 24) + 1;
            s_state = state;
            s_runItem = runItem;
            s_completed = 0;
            long job = (generation << 24) | ((long)threads << 16) | (uint)count;
            Interlocked.Exchange(ref s_job, job); // a full fence: the fields above are visible before the job
            for (int w = 0; w < threads - 1; w++)
            {
                workers[w].Wake();
            }
            Participate(job, participant: 0);
            WaitForItems(count);
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>
    /// Runs <c>body(job, start, end)</c> over contiguous ranges that together cover <c>[0, panels)</c>, on up to
    /// <paramref name="threads"/> threads; returns when all are done.
    /// </summary>
    public static void Run(in PanelJob job, delegate*<in PanelJob, int, int, void> body, int panels, int threads)
    {
        threads = Math.Min(threads, panels);
        if (threads <= 1)
        {
            body(in job, 0, panels);
            return;
        }
        fixed (PanelJob* jobPointer = &job)
        {
            // Four ranges per thread: small enough that a late thread's share can be taken over, large enough that
            // claiming costs nothing next to a range.
            var ranges = new Ranges { Job = jobPointer, Body = body, Length = panels, Count = Math.Min(panels, 4 * threads) };
            RunItems(&ranges, &RunRange, ranges.Count, threads);
        }
    }

    /// <summary>The state of <see cref="Run"/>: <see cref="Count"/> near-equal ranges of <c>[0, Length)</c>.</summary>
    private struct Ranges
    {
        public PanelJob* Job;
        public delegate*<in PanelJob, int, int, void> Body;
        public int Length, Count;
    }

    private static void RunRange(void* state, int item)
    {
        var ranges = (Ranges*)state;
        ranges->Body(in *ranges->Job, (int)((long)ranges->Length * item / ranges->Count), (int)((long)ranges->Length * (item + 1) / ranges->Count));
    }

    /// <summary>Claims and runs items of <paramref name="job"/>, starting from this participant's share.</summary>
    private static void Participate(long job, int participant)
    {
        long generation = job >> 24;
        int threads = (int)(job >> 16) & 0xFF, count = (int)job & 0xFFFF;
        long[] stamps = s_stamps; // read after the job: large enough for it
        int home = (int)((long)count * participant / threads);
        for (int step = 0; step < count; step++)
        {
            int item = home + step < count ? home + step : home + step - count;
            long stamp = Volatile.Read(ref stamps[item]);
            if (stamp >= generation || Interlocked.CompareExchange(ref stamps[item], generation, stamp) != stamp)
            {
                continue; // taken by another participant, or this job is over
            }
            s_runItem(s_state, item);
            if (Interlocked.Increment(ref s_completed) == count && Volatile.Read(ref s_callerSleeping) == 1)
            {
                s_callerWake.Release();
            }
        }
    }

    /// <summary>The caller's wait for the items other participants are still running: spin briefly, then sleep.</summary>
    private static void WaitForItems(int count)
    {
        long start = Stopwatch.GetTimestamp();
        var spinner = new SpinWait();
        while (Volatile.Read(ref s_completed) != count)
        {
            if (Stopwatch.GetTimestamp() - start < CallerSpin)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
                continue;
            }
            Interlocked.Exchange(ref s_callerSleeping, 1); // a full fence: either we see the last item, or its runner sees us asleep
            while (Volatile.Read(ref s_completed) != count)
            {
                s_callerWake.Wait(); // a release left over from an earlier job only costs one more check
            }
            Volatile.Write(ref s_callerSleeping, 0);
        }
    }

    private static Worker[] EnsureWorkers(int count)
    {
        Worker[] workers = s_workers;
        if (workers.Length >= count)
        {
            return workers;
        }
        lock (s_startLock)
        {
            if (s_workers.Length < count)
            {
                var grown = new Worker[count];
                Array.Copy(s_workers, grown, s_workers.Length);
                for (int i = s_workers.Length; i < count; i++)
                {
                    grown[i] = new Worker(i + 1);
                }
                s_workers = grown;
            }
            return s_workers;
        }
    }

    /// <summary>A background thread that joins each job it is a participant of (<see cref="Participant"/> below the job's count).</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping; // 1 while the worker is (about to be) blocked on _wake

        public Worker(int participant)
        {
            Participant = participant;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"NetDsl kernel worker {participant}" };
            thread.Start();
        }

        /// <summary>This worker's participant number in every job: 1, 2, ...</summary>
        public int Participant { get; }

        /// <summary>Called after a job is published: wakes the worker if it sleeps.</summary>
        public void Wake()
        {
            if (Volatile.Read(ref _sleeping) == 1)
            {
                _wake.Release();
            }
        }

        private void Loop()
        {
            long seen = Volatile.Read(ref s_job) >> 24;
            while (true)
            {
                long idleSince = Stopwatch.GetTimestamp();
                long job;
                while ((job = Volatile.Read(ref s_job)) >> 24 == seen)
                {
                    if (Stopwatch.GetTimestamp() - idleSince < WorkerSpin)
                    {
                        Thread.SpinWait(32);
                        continue;
                    }
                    Interlocked.Exchange(ref _sleeping, 1); // a full fence: either we see the job, or its poster sees us asleep
                    if (Volatile.Read(ref s_job) >> 24 == seen)
                    {
                        _wake.Wait();
                    }
                    Interlocked.Exchange(ref _sleeping, 0);
                    idleSince = Stopwatch.GetTimestamp();
                }
                seen = job >> 24;
                if (Participant < ((int)(job >> 16) & 0xFF))
                {
                    Participate(job, Participant);
                }
            }
        }
    }
}

/// <summary>Each thread's packing buffer: pinned (so its address can be handed out) and 64-byte aligned.</summary>
internal static unsafe class PackBuffer
{
    [ThreadStatic]
    private static float[]? t_buffer;

    /// <summary>A 64-byte-aligned buffer of at least <paramref name="length"/> floats, owned by the calling thread. Allocates only when it grows.</summary>
    public static float* Get(int length)
    {
        float[]? buffer = t_buffer;
        if (buffer is null || buffer.Length < length + 16)
        {
            buffer = GC.AllocateUninitializedArray<float>(Math.Max(length + 16, 4096), pinned: true);
            t_buffer = buffer;
        }
        return Align64((float*)Unsafe.AsPointer(ref buffer[0]));
    }

    /// <summary>The first 64-byte boundary at or after <paramref name="pointer"/>: where a pinned buffer with 16 spare floats starts its cache-line-aligned data.</summary>
    public static float* Align64(float* pointer) => (float*)(((nuint)pointer + 63) & ~(nuint)63);
}

/// <summary>
/// A range job for <see cref="KernelPool"/>: <c>body(state, start, end)</c> over shares of <c>[0, count)</c>, for
/// kernels whose work is not a product's panels (a convolution's samples, a recurrent step's blocks of units). It rides on
/// <see cref="KernelPool.Run"/> unchanged: the state and the body travel in a <see cref="PanelJob"/>'s pointers.
/// </summary>
internal static unsafe class KernelRange
{
    /// <summary>
    /// Runs <paramref name="body"/> over <c>[0, count)</c> on up to <paramref name="threads"/> threads (the caller
    /// included), each on one contiguous share; returns when all are done. <paramref name="state"/> must stay valid
    /// (pinned or on the stack) until then.
    /// </summary>
    public static void Run(void* state, delegate*<void*, int, int, void> body, int count, int threads)
    {
        if (threads <= 1 || count <= 1)
        {
            body(state, 0, count);
            return;
        }
        var job = new PanelJob { A = (float*)state, B = (float*)body };
        KernelPool.Run(in job, &Trampoline, count, threads);
    }

    private static void Trampoline(in PanelJob job, int start, int end)
        => ((delegate*<void*, int, int, void>)job.B)(job.A, start, end);
}
