using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace NetDsl.Benchmarks;

/// <summary>
/// Summary columns derived from the mean time and the <see cref="WorkAttribute"/> of each benchmark:
/// samples per second, GFLOP/s, and GFLOP/s as a percentage of the measured single-core FMA peak.
/// </summary>
public static class ThroughputColumns
{
    /// <summary>Samples per second: <see cref="WorkAttribute.Samples"/> / mean time.</summary>
    public static readonly IColumn SamplesPerSecond = new WorkColumn(
        "Samples/s", "Samples processed per second (samples per invocation / mean time)", static (summary, work, nanoseconds) =>
            work.Samples > 0 ? Format(work.Samples / (nanoseconds * 1e-9), "N0") : "-");

    /// <summary>GFLOP/s: <see cref="WorkAttribute.Flops"/> / mean time.</summary>
    public static readonly IColumn GigaflopsPerSecond = new WorkColumn(
        "GFLOP/s", "Billions of floating-point operations per second (FMA = 2; flops per invocation / mean time)", static (summary, work, nanoseconds) =>
            work.Flops > 0 ? Format(work.Flops / nanoseconds, "N1") : "-");

    /// <summary>GFLOP/s as a percentage of the best <see cref="WorkAttribute.IsPeak"/> benchmark in the same summary.</summary>
    public static readonly IColumn PercentOfPeak = new WorkColumn(
        "% FMA peak", "GFLOP/s as a percentage of the measured single-core FP32 FMA peak (Vector512 chains) of this run", static (summary, work, nanoseconds) =>
        {
            double peak = PeakGigaflops(summary);
            return work.Flops > 0 && peak > 0 ? Format(100.0 * work.Flops / nanoseconds / peak, "N1") + " %" : "-";
        });

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static WorkAttribute? WorkOf(BenchmarkCase benchmark) =>
        benchmark.Descriptor.WorkloadMethod.GetCustomAttribute<WorkAttribute>();

    private static double? MeanNanoseconds(Summary summary, BenchmarkCase benchmark) =>
        summary[benchmark]?.ResultStatistics?.Mean;

    private static double PeakGigaflops(Summary summary) =>
        summary.BenchmarksCases
            .Select(benchmark => (Work: WorkOf(benchmark), Mean: MeanNanoseconds(summary, benchmark)))
            .Where(x => x.Work is { IsPeak: true, Flops: > 0 } && x.Mean is > 0)
            .Select(x => x.Work!.Flops / x.Mean!.Value)
            .DefaultIfEmpty(0)
            .Max();

    private sealed class WorkColumn(string name, string legend, Func<Summary, WorkAttribute, double, string> value) : IColumn
    {
        public string Id => nameof(WorkColumn) + "." + name;
        public string ColumnName => name;
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => legend;

        public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(benchmark => WorkOf(benchmark) is not null);

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
            WorkOf(benchmarkCase) is { } work && MeanNanoseconds(summary, benchmarkCase) is double mean and > 0
                ? value(summary, work, mean)
                : "-";

        public override string ToString() => ColumnName;
    }
}
