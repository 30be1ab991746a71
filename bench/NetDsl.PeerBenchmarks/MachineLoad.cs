using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace NetDsl.PeerBenchmarks;

/// <summary>
/// How much of the machine other processes used while this one ran: all CPUs' busy time from <c>/proc/stat</c> minus
/// this process's own CPU time, over the wall time times the CPU count. The load average says the same more slowly.
/// </summary>
internal sealed class MachineLoad
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly double _busyAtStart = BusySeconds();
    private readonly TimeSpan _ownAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>The fraction of all CPUs that other processes kept busy since this object was created.</summary>
    public double OthersShare()
    {
        double busy = BusySeconds() - _busyAtStart;
        double own = (Process.GetCurrentProcess().TotalProcessorTime - _ownAtStart).TotalSeconds;
        return Math.Max(0, busy - own) / (_clock.Elapsed.TotalSeconds * Environment.ProcessorCount);
    }

    private static double BusySeconds()
    {
        // cpu  user nice system idle iowait irq softirq steal ...
        long[] f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        return (f[0] + f[1] + f[2] + f[5] + f[6] + (f.Length > 7 ? f[7] : 0)) / TicksPerSecond;
    }
}
