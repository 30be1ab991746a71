using System;
using System.Threading;
using System.Threading.Tasks;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// The worker pool behind <see cref="KernelOptions.MaxThreads"/>: every item of every job runs exactly once, whatever
/// the item count, the thread count, late workers or several callers at once.
/// </summary>
public unsafe class KernelPoolTests
{
    /// <summary>A job's state: how often each item ran, and which items a slow participant should linger on.</summary>
    private struct Tally
    {
        public int* Runs;
        public int SlowItem;
    }

    private static void Count(void* state, int item)
    {
        var tally = (Tally*)state;
        if (item == tally->SlowItem)
        {
            Thread.SpinWait(20_000); // a late participant: the others must take the rest
        }
        Interlocked.Increment(ref tally->Runs[item]);
    }

    [Fact]
    public void EveryItemRunsExactlyOnce()
    {
        var random = new Random(1);
        var runs = new int[KernelPool.MaxItems];
        fixed (int* pointer = runs)
        {
            for (int job = 0; job < 3000; job++)
            {
                // Counts up to beyond the pool's first stamp array, so it grows while workers may still be scanning.
                int count = job % 500 == 499 ? random.Next(1, KernelPool.MaxItems + 1) : random.Next(1, 100);
                int threads = random.Next(1, 5);
                var tally = new Tally { Runs = pointer, SlowItem = job % 7 == 0 ? random.Next(count) : -1 };
                KernelPool.RunItems(&tally, &Count, count, threads);
                for (int i = 0; i < count; i++)
                {
                    Assert.True(runs[i] == 1, $"job {job}: item {i} of {count} ran {runs[i]} times on {threads} threads");
                    runs[i] = 0;
                }
            }
        }
    }

    [Fact]
    public void ConcurrentCallersEachRunTheirWholeJob()
    {
        // Only one job holds the pool at a time; the others run theirs on the calling thread.
        Parallel.For(0, 4, caller =>
        {
            var runs = new int[64];
            fixed (int* pointer = runs)
            {
                for (int job = 0; job < 500; job++)
                {
                    var tally = new Tally { Runs = pointer, SlowItem = -1 };
                    KernelPool.RunItems(&tally, &Count, 64, 2);
                    for (int i = 0; i < 64; i++)
                    {
                        Assert.Equal(1, runs[i]);
                        runs[i] = 0;
                    }
                }
            }
        });
    }
}
