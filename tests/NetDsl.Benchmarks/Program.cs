using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Running;

namespace NetDsl.Benchmarks;

/// <summary>
/// Runs the benchmarks with BenchmarkDotNet's command line (<c>--filter '*'</c>, <c>--list flat</c>, ...), plus
/// <c>--quick</c>: a short job of few iterations (about a minute for everything) instead of the default job.
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        bool quick = args.Contains("--quick", StringComparer.Ordinal);
        string[] benchmarkArgs = args.Where(arg => arg != "--quick").ToArray();

        Job job = quick
            ? Job.ShortRun.WithWarmupCount(2).WithIterationCount(5).WithId("Quick")
            : Job.Default;

        IConfig config = DefaultConfig.Instance
            .AddJob(job.AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(ThroughputColumns.SamplesPerSecond, ThroughputColumns.GigaflopsPerSecond, ThroughputColumns.PercentOfPeak)
            .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
            .WithOptions(ConfigOptions.JoinSummary);

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(benchmarkArgs, config);
        return summaries.Any(summary => summary.HasCriticalValidationErrors || summary.Reports.Any(report => !report.Success)) ? 1 : 0;
    }
}
