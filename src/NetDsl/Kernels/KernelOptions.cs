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
    /// How many threads one large matrix product may use (default 1: the calling thread only). With more, the product's
    /// column panels are split among the caller and a fixed pool of background workers started on first use; small
    /// products stay on the calling thread. Every element of the result is computed by one thread in the same order,
    /// so results are bit-identical for every setting. Only one product at a time uses the pool: a product started
    /// while another thread's product holds it runs on its own thread.
    /// </summary>
    /// <remarks>
    /// Between products the workers spin briefly before they sleep, so back-to-back layers do not pay a wake-up each;
    /// that spinning uses the other cores for a fraction of a millisecond after each product.
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
/// The fixed pool behind <see cref="KernelOptions.MaxThreads"/>: workers that each run one contiguous share of a
/// <see cref="PanelJob"/>'s panels. Posting a job allocates nothing.
/// </summary>
internal static unsafe class KernelPool
{
    /// <summary>Below this many flops (2·m·n·k) a product stays on the calling thread: waking a worker costs more.</summary>
    public const long MinParallelFlops = 1L << 21;

    /// <summary>How long an idle worker spins before it sleeps.</summary>
    private static readonly long s_spinTicks = Stopwatch.Frequency / 2000; // 0.5 ms

    private static readonly object s_startLock = new();
    private static Worker[] s_workers = [];
    private static int s_busy;

    /// <summary>
    /// Runs <paramref name="body"/> over panels <c>[0, panels)</c> on up to <paramref name="threads"/> threads (the
    /// caller included), splitting them into contiguous shares; returns when all are done.
    /// </summary>
    public static void Run(in PanelJob job, delegate*<in PanelJob, int, int, void> body, int panels, int threads)
    {
        threads = Math.Min(threads, panels);
        if (threads <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            body(in job, 0, panels);
            return;
        }
        try
        {
            Worker[] workers = EnsureWorkers(threads - 1);
            fixed (PanelJob* jobPointer = &job)
            {
                for (int t = 1; t < threads; t++)
                {
                    workers[t - 1].Post(jobPointer, body, (int)((long)panels * t / threads), (int)((long)panels * (t + 1) / threads));
                }
                body(in job, 0, panels / threads);
                for (int t = 1; t < threads; t++)
                {
                    workers[t - 1].WaitUntilDone();
                }
            }
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
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

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private PanelJob* _job;
        private delegate*<in PanelJob, int, int, void> _body;
        private int _start, _end;
        private int _posted;   // jobs posted, written by the caller
        private int _finished; // jobs finished, written by the worker
        private int _sleeping; // 1 while the worker is (about to be) blocked on _wake

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"NetDsl kernel worker {index}" };
            thread.Start();
        }

        public void Post(PanelJob* job, delegate*<in PanelJob, int, int, void> body, int start, int end)
        {
            _job = job;
            _body = body;
            _start = start;
            _end = end;
            Interlocked.Increment(ref _posted); // a full fence: the fields above are visible before the count
            if (Volatile.Read(ref _sleeping) == 1)
            {
                _wake.Release();
            }
        }

        public void WaitUntilDone()
        {
            int target = Volatile.Read(ref _posted);
            var spinner = new SpinWait();
            while (Volatile.Read(ref _finished) != target)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }

        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                long idleSince = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref _posted) == seen)
                {
                    if (Stopwatch.GetTimestamp() - idleSince < s_spinTicks)
                    {
                        Thread.SpinWait(32);
                        continue;
                    }
                    Interlocked.Exchange(ref _sleeping, 1); // a full fence: either we see the post, or the poster sees us asleep
                    if (Volatile.Read(ref _posted) == seen)
                    {
                        _wake.Wait();
                    }
                    Interlocked.Exchange(ref _sleeping, 0);
                    idleSince = Stopwatch.GetTimestamp();
                }
                seen = Volatile.Read(ref _posted);
                _body(in *_job, _start, _end);
                Volatile.Write(ref _finished, seen);
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
        float* start = (float*)Unsafe.AsPointer(ref buffer[0]);
        return (float*)(((nuint)start + 63) & ~(nuint)63);
    }
}

/// <summary>
/// A range job for <see cref="KernelPool"/>: <c>body(state, start, end)</c> over shares of <c>[0, count)</c>, for
/// kernels whose work is not a product's column panels (a convolution's samples). It rides on
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
