using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace NetDsl.PeerBenchmarks;

internal static class Format
{
    public static string Value(double? value, Unit unit) => value is not double v ? "n/a" : unit switch
    {
        Unit.LatencyMicroseconds => v < 100 ? $"{v:F1} µs" : $"{v:F0} µs",
        Unit.SamplesPerSecond => $"{v:N0}/s",
        _ => $"{v:F1} GFLOP/s",
    };

    public static string Number(double? value, Unit unit) => value is not double v ? "n/a" : unit switch
    {
        Unit.LatencyMicroseconds => v < 100 ? $"{v:F1}" : $"{v:F0}",
        Unit.SamplesPerSecond => $"{v:N0}",
        _ => $"{v:F1}",
    };

    public static string Ratio(double? a, double? b) => a is double x && b is double y ? $"{x / y:F2}" : "n/a";

    public static string Small(double v) => double.IsNaN(v) ? "n/a" : $"{v:0.0E+0}";
}

/// <summary>Everything the run found, and the markdown it becomes.</summary>
internal sealed class Report
{
    public string LoadAtStart = "", LoadAtEnd = "", TorchPatch = "", TorchLoadedFrom = "", OrtVersion = "";
    public bool MallocRaised;
    public double Peak512, Peak256, Peak2, TrainingStepChange, OthersShare;
    public string TorchBackends = "";
    public double CnnStepWithMkldnn = double.NaN, CnnStepChange = double.NaN, LstmStepChange = double.NaN;

    /// <summary>Above this share of the CPUs used by other processes during the run, the report warns that it is unreliable.</summary>
    public const double QuietShare = 0.05;
    public readonly List<Check> Checks = [];
    public readonly List<(string Workload, double MaxAbsDiff)> ThreadDifferences = [];
    public readonly Dictionary<int, List<Row>> Tables = [];
    public readonly BatchOneBound[] Bounds = BatchOneBound.ForTheWorkloads();
    /// <summary>How many of each MLP-M layer's inputs are zero for the batch-1 sample timed.</summary>
    public int[] MediumZeroInputs = [];
    public readonly SortedDictionary<long, double> Bandwidths = [];

    /// <summary>Working sets for the read-bandwidth line: inside L1, L2 (1 MB per core here), L3 and main memory.</summary>
    public static readonly long[] BandwidthSizes = [16 << 10, 512 << 10, 8 << 20, 256 << 20];

    public double PeakSingle => Math.Max(Peak512, Peak256);
    public double Peak(int threads) => threads == 1 ? PeakSingle : Peak2;
    public bool AllAgree => Checks.All(c => c.Agree);

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# NetDsl against TorchSharp and ONNX Runtime");
        md.AppendLine();
        md.AppendLine("Written by `bench/run-peers.sh` (project `bench/NetDsl.PeerBenchmarks`, see `bench/README.md`). Do not edit by hand.");
        md.AppendLine();
        if (OthersShare > QuietShare)
            md.AppendLine($"> **Warning: other processes used {100 * OthersShare:F0} % of the CPUs during this run** (quiet is below {100 * QuietShare:F0} %). The figures, the 2-thread ones most, are not reliable: rerun on an idle machine.").AppendLine();
        md.AppendLine($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; NetDsl commit {Environment.GetEnvironmentVariable("NETDSL_COMMIT") ?? "(not given)"}");
        md.AppendLine($"- Machine: {CpuModel()}, {Environment.ProcessorCount} logical CPUs; {RuntimeInformation.OSDescription}; {RuntimeInformation.FrameworkDescription}");
        md.AppendLine($"- CPU used by other processes during the run: {100 * OthersShare:F1} % of the machine (from /proc/stat, this process excluded)");
        md.AppendLine($"- Load average (1, 5, 15 min) at start: {Field(LoadAtStart, 3)}; at end: {Field(LoadAtEnd, 3)}" +
                      (Environment.GetEnvironmentVariable("PEERS_LOAD_BEFORE") is { } before ? $"; before the build: {before}" : ""));
        md.AppendLine($"- Packages: {Versions()}; ONNX Runtime native {OrtVersion}");
        md.AppendLine($"- TorchSharp: {TorchPatch} (copy in the build output, loaded from `{Path.GetRelativePath(AppContext.BaseDirectory, TorchLoadedFrom)}` under the output); inference under `no_grad`; `set_num_interop_threads(1)`, `set_num_threads(1|2)`; mkldnn left on for the dense workloads, turned **off** (`at::globalContext().setUserEnabledMkldnn(false)` by P/Invoke) for the CNN rows and checks, except the two rows marked “mkldnn on”; NNPACK off for the whole run ({TorchBackends})");
        md.AppendLine($"- **malloc**: glibc `M_MMAP_THRESHOLD` raised to {NativeSetup.MmapThreshold >> 20} MiB and `M_TRIM_THRESHOLD` to {NativeSetup.TrimThreshold >> 20} MiB by `mallopt` at start-up " +
                      $"({(MallocRaised ? "accepted" : "REJECTED")}), so libtorch reuses freed blocks instead of fresh pages every call: TorchSharp's best case. It does not affect NetDsl (no allocation) or ORT (own arena).");
        md.AppendLine("- ONNX Runtime: graphs built in code (`Gemm` transB=1 + `Relu`; CNN: `Conv`, `MaxPool`, `Flatten`; LSTM: `Transpose` + `LSTM` with gates reordered from PyTorch's i,f,g,o to ONNX's i,o,f,c and B = [Wb, Rb] + `Reshape` of Y_h; opset 17), `GraphOptimizationLevel.ORT_ENABLE_ALL`, `IntraOpNumThreads` 1|2, `InterOpNumThreads` 1, sequential; preallocated `OrtValue`s over pinned arrays, `Run(RunOptions, names, values, names, values)`.");
        md.AppendLine("- NetDsl: generated code as users get it; inference rows call each network's `Predictor` (`CreatePredictor()`: a snapshot with the dense layers' weights packed once, as ORT's session packs its initializers), training rows the network itself; `NetDsl.Kernels.KernelOptions.MaxThreads` = 1|2 (its kernels split large products over a fixed worker pool).");
        md.AppendLine($"- Timing: per engine and workload, {Timing.WarmupSeconds:0.##} s warm-up, then {Timing.Blocks} blocks of about {Timing.BlockSeconds * 1000:0} ms per engine, the engines' blocks interleaved (so load bursts hit all alike), a full GC, a {Timing.PauseMilliseconds} ms pause and {Timing.RewarmMilliseconds} ms of the engine's own operation before each block (untimed); tables show the median block, the appendix also the minimum.");
        md.AppendLine();

        md.AppendLine("## FP32 FMA peak (measured)");
        md.AppendLine();
        md.AppendLine("Independent FMA chains (16 accumulators), best of 30 runs of about 10 ms (two cores: best of 15), measured before and after the tables (the better counts):");
        md.AppendLine();
        md.AppendLine($"| one core, Vector512 | one core, Vector256 | two cores (2 threads) |");
        md.AppendLine($"|---:|---:|---:|");
        md.AppendLine($"| {Peak512:F1} GFLOP/s | {Peak256:F1} GFLOP/s | {Peak2:F1} GFLOP/s |");
        md.AppendLine();
        md.AppendLine($"“% peak” below is relative to {PeakSingle:F1} GFLOP/s (the best single-core figure) in the 1-thread table and {Peak2:F1} GFLOP/s in the 2-thread table.");
        md.AppendLine();

        md.AppendLine("## Agreement (checked before timing)");
        md.AppendLine();
        md.AppendLine("Largest absolute difference between engines on identical weights and inputs; “vs float64” is max |engine − float64 reference| / max |reference|.");
        md.AppendLine();
        md.AppendLine("| workload | quantity | NetDsl − Torch | NetDsl − ORT | tolerance | NetDsl vs float64 | Torch vs float64 | ORT vs float64 | agree |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var c in Checks)
            md.AppendLine($"| {c.Workload} | {c.Quantity} | {Format.Small(c.NetDslVsTorch)} | {Format.Small(c.NetDslVsOrt)} | {Format.Small(c.Tolerance)} | " +
                          $"{Format.Small(c.NetDslVsReference)} | {Format.Small(c.TorchVsReference)} | {Format.Small(c.OrtVsReference)} | {(c.Agree ? "yes" : "**NO**")} |");
        md.AppendLine();
        md.AppendLine($"NetDsl at 2 threads against NetDsl at 1 thread (its kernels promise bit-identical results): " +
                      string.Join("; ", ThreadDifferences.Select(t => $"{t.Workload} max |diff| {(t.MaxAbsDiff == 0 ? "0 (identical)" : Format.Small(t.MaxAbsDiff))}")) + ".");
        md.AppendLine();
        md.AppendLine($"The training check is one SGD step (learning rate 0.1) from identical weights, TorchSharp's `optim.SGD` against NetDsl's `Sgd`; the step moved parameters by up to {TrainingStepChange:0.0E+0}. " +
                      $"The same for the CNN (step size {CnnStepChange:0.0E+0}) and the LSTM (step size {LstmStepChange:0.0E+0}). " +
                      $"CNN and LSTM outputs have no float64 reference here (n/a): the three engines are compared with each other. " +
                      $"TorchSharp's CNN step with mkldnn **on** (libtorch's default) differed from NetDsl's by {Format.Small(CnnStepWithMkldnn)}: " +
                      (CnnStepWithMkldnn < Correctness.TrainingTolerance
                          ? "PEERS.md's wrong oneDNN conv gradients do not show on this network (its first conv, the one with a single input channel, needs no input gradient), yet the timed TorchSharp CNN rows run with mkldnn off as PEERS.md advises; the rows marked “mkldnn on” show libtorch's default for comparison."
                          : "oneDNN's conv gradients are wrong here, as PEERS.md warns; the “mkldnn on” training row is therefore UNRELIABLE and only the mkldnn-off rows count."));
        md.AppendLine();

        foreach (var (threads, rows) in Tables.OrderBy(t => t.Key))
        {
            md.AppendLine($"## {threads} thread{(threads == 1 ? "" : "s")}");
            md.AppendLine();
            md.AppendLine($"TorchSharp `set_num_threads({threads})`, ORT `IntraOpNumThreads = {threads}`, NetDsl `KernelOptions.MaxThreads = {threads}`. Ratios are NetDsl ÷ peer in the row's unit: below 1 is better for latency (↓), above 1 for throughput and GFLOP/s (↑).");
            md.AppendLine();
            md.AppendLine("| workload | unit | NetDsl | TorchSharp | ORT | NetDsl/Torch | NetDsl/ORT |");
            md.AppendLine("|---|---|---:|---:|---:|---:|---:|");
            foreach (var row in rows)
            {
                string unit = row.Unit switch { Unit.LatencyMicroseconds => "µs ↓", Unit.SamplesPerSecond => "samples/s ↑", _ => "GFLOP/s ↑ (% peak)" };
                string Cell(Measurement? m)
                {
                    string value = Format.Number(row.Value(m), row.Unit);
                    return m is not null && row.Unit == Unit.GigaflopsPerSecond ? $"{value} ({100 * row.Gflops(m) / Peak(threads):F0} %)" : value;
                }
                md.AppendLine($"| {row.Workload} | {unit} | {Cell(row.NetDsl)} | {Cell(row.Torch)} | {Cell(row.Ort)} | " +
                              $"{Format.Ratio(row.Value(row.NetDsl), row.Value(row.Torch))} | {Format.Ratio(row.Value(row.NetDsl), row.Value(row.Ort))} |");
            }
            md.AppendLine();
        }

        AppendBatchOneBounds(md);

        md.AppendLine("## Targets of issues 3, 5 and 6");
        md.AppendLine();
        md.AppendLine("Judged on the median times. The last column judges the same target on each engine's fastest block instead: where the two differ, the run was too noisy to decide that target. " +
                      "“Needs” is the speed the target asks of NetDsl, as a share of the measured FMA peak for that thread count: above 100 % no float32 code can reach it here (and for batch-1 latencies, the read bandwidth above is the tighter limit).");
        md.AppendLine();
        md.AppendLine("| target | needs | measured (medians) | result | from the fastest blocks |");
        md.AppendLine("|---|---:|---|---|---|");
        var fromMinimum = Targets(useMinimum: true).ToList();
        foreach (var ((target, needs, measured, pass), (_, _, measuredMin, passMin)) in Targets(useMinimum: false).Zip(fromMinimum))
            md.AppendLine($"| {target} | {needs} | {measured} | {Verdict(pass)} | {measuredMin}: {Verdict(passMin)} |");
        md.AppendLine();

        md.AppendLine("## Appendix: every measurement");
        md.AppendLine();
        md.AppendLine("Time per operation (one call; for batches, the whole batch), median and minimum over the blocks, GFLOP/s and % of peak from the median, managed bytes allocated per operation on the calling thread.");
        md.AppendLine();
        md.AppendLine("| threads | workload | engine | median | min | GFLOP/s | % peak | ops/block | bytes/op |");
        md.AppendLine("|---:|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (threads, rows) in Tables.OrderBy(t => t.Key))
            foreach (var row in rows)
                foreach (var (engine, m) in new[] { ("NetDsl", row.NetDsl), ("TorchSharp", row.Torch), ("ORT", row.Ort) })
                    if (m is not null)
                        md.AppendLine($"| {threads} | {row.Workload} | {engine} | {Time(m.Median)} | {Time(m.Min)} | {row.Gflops(m):F1} | {100 * row.Gflops(m) / Peak(threads):F0} % | {m.OperationsPerBlock} | {m.BytesPerOperation:0.#} |");
        return md.ToString();
    }

    /// <summary>
    /// The floor of each batch-1 latency on this machine at float32, against the target's time: a target below the floor
    /// cannot be reached by any float32 implementation here, whatever its kernels.
    /// </summary>
    private void AppendBatchOneBounds(StringBuilder md)
    {
        md.AppendLine("## What bounds batch-1 latency (1 thread, float32)");
        md.AppendLine();
        md.AppendLine("A batch-1 forward pass reads every weight at least once per call and does one FMA (2 FLOP) per 4-byte weight, so it is " +
                      "limited by how fast one core reads its weights from the cache that holds them, not by the FMA units: at the measured peak it would " +
                      $"need {2 * PeakSingle:F0} GB/s. One core's read bandwidth, measured here (Vector512 loads, 8 independent sums, best of 30 runs): " +
                      string.Join(", ", Bandwidths.Select(b => $"{(b.Key >= 1 << 20 ? $"{b.Key >> 20} MB" : $"{b.Key >> 10} KB")} working set {b.Value:F0} GB/s")) +
                      ". The floor is the longer of the weights' read time at the bandwidth measured for that working set and the FLOP at the FMA peak; " +
                      "nothing else (activations, the input, overhead) is counted, so real code needs more. The FLOP are the direct algorithm's (the GFLOP/s " +
                      "columns count the same): NetDsl runs the CNN's second convolution as Winograd F(2×2, 5×5), about 2.8× fewer multiplies there, so for " +
                      "the CNN the FLOP floor is that of direct convolution, not a limit on NetDsl.");
        md.AppendLine();
        md.AppendLine("| workload | weights read per call | working set | read bandwidth | memory floor | FLOP at peak | floor | target | ORT | NetDsl | NetDsl ÷ floor | target reachable at float32? |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        var rows = Tables.TryGetValue(1, out var r) ? r : [];
        foreach (var bound in Bounds)
        {
            var row = rows.FirstOrDefault(x => x.Workload == bound.Workload);
            double memory = bound.MemoryFloorSeconds * 1e6;
            double? compute = row is null ? null : row.FlopPerOperation / (PeakSingle * 1e9) * 1e6;
            double? floor = compute is double c ? Math.Max(memory, c) : null;
            double? ort = row?.Ort is { } o ? o.Median * 1e6 : null;
            double? netDsl = row?.NetDsl is { } n ? n.Median * 1e6 : null;
            double? target = ort * bound.TargetRatio;
            string reachable = target is double t && floor is double f
                ? t < f ? $"**no**: the target ({t:F1} µs) is below the floor ({f:F1} µs)" : $"in principle: it needs {100 * f / t:F0} % of the floor's speed"
                : "n/a";
            md.AppendLine($"| {bound.Workload} ({bound.Explanation}) | {bound.BytesPerCall / 1024.0:N0} KB | {bound.WorkingSetBytes / 1024.0:N0} KB | {bound.Bandwidth:F0} GB/s | " +
                          $"{memory:F1} µs | {compute:F1} µs | {floor:F1} µs | ≤ {bound.TargetRatio:0.##} × ORT = {target:F1} µs | {ort:F1} µs | {netDsl:F1} µs | " +
                          $"{(netDsl is double nd && floor is double fl ? $"{nd / fl:F2}" : "n/a")} | {reachable} |");
        }
        md.AppendLine();
        if (MediumZeroInputs.Length == 3 && Bounds.FirstOrDefault(b => b.Workload.StartsWith("MLP-M", StringComparison.Ordinal)) is { } medium)
        {
            // MLP-M's second layer (512 → 256) reads a ReLU's outputs: NetDsl's predictor skips the weights of those that are zero.
            long skipped = 4L * MediumZeroInputs[1] * 256;
            md.AppendLine("The floors count every weight, as a product that reads them all must. NetDsl's predictor reads fewer where a dense layer's " +
                          "inputs are a ReLU's outputs (the generator packs such layers input by input, `inputsOftenZero`): it skips the weights of " +
                          "the inputs that are zero, with the same bits. For the MLP-M sample timed here, " +
                          $"{MediumZeroInputs[1]} of the second layer's 512 inputs are zero (the first layer's input has {MediumZeroInputs[0]} zeros of 784), " +
                          $"so NetDsl reads {(medium.BytesPerCall - skipped) / 1024.0:N0} KB per call instead of {medium.BytesPerCall / 1024.0:N0} KB: " +
                          $"{(medium.BytesPerCall - skipped) / (medium.Bandwidth * 1e9) * 1e6:F1} µs at the same bandwidth. The CNN's 1568 → 128 layer " +
                          "(after ReLU and max pooling) is skipped the same way; its share of zeros is not counted here. MLP-S's only ReLU feeds " +
                          "its 10-output layer, too narrow for the column groups (64 or 128 outputs), and the LSTM has no ReLU.");
            md.AppendLine();
        }
    }

    private static string Verdict(bool? pass) => pass is null ? "n/a" : pass.Value ? "PASS" : "**FAIL**";

    private IEnumerable<(string Target, string Needs, string Measured, bool? Pass)> Targets(bool useMinimum)
    {
        // The same row with each measurement's median replaced by its minimum.
        Row? Fastest(Row? row)
        {
            static Measurement? Min(Measurement? m) => m is null ? null : m with { Median = m.Min };
            return row is null || !useMinimum ? row : row with { NetDsl = Min(row.NetDsl), Torch = Min(row.Torch), Ort = Min(row.Ort) };
        }

        Row? Find(int threads, string start) => Fastest(Tables.TryGetValue(threads, out var rows) ? rows.FirstOrDefault(r => r.Workload.StartsWith(start, StringComparison.Ordinal)) : null);
        double? RatioOf(Row? row, Func<Row, Measurement?> peer) => row is null || row.NetDsl is null || peer(row) is null ? null : row.Value(row.NetDsl) / row.Value(peer(row));
        static string Show(double? ratio) => ratio is double r ? $"{r:F2}" : "n/a";
        // NetDsl's time per operation must be at most the peer's × ratio (latency) or ÷ ratio (throughput): that many GFLOP/s.
        string Needs(Row? row, Func<Row, Measurement?> peer, double ratio, int threads)
        {
            if (row is null || peer(row) is not { } p)
                return "n/a";
            double seconds = row.Unit == Unit.LatencyMicroseconds ? p.Median * ratio : p.Median / ratio;
            return $"{100 * row.FlopPerOperation / seconds / 1e9 / Peak(threads):F0} % of peak";
        }

        var smallLatency = RatioOf(Find(1, "MLP-S 784-128-10, batch 1"), r => r.Ort);
        yield return ("MLP-S batch-1 latency ≤ 1/3 of ORT's (1 thread)", Needs(Find(1, "MLP-S 784-128-10, batch 1"), r => r.Ort, 1.0 / 3, 1), $"NetDsl/ORT = {Show(smallLatency)}", smallLatency is null ? null : smallLatency <= 1.0 / 3);
        var mediumLatency = RatioOf(Find(1, "MLP-M 784-512-256-10, batch 1"), r => r.Ort);
        yield return ("MLP-M batch-1 latency ≤ 0.7× ORT's (1 thread)", Needs(Find(1, "MLP-M 784-512-256-10, batch 1"), r => r.Ort, 0.7, 1), $"NetDsl/ORT = {Show(mediumLatency)}", mediumLatency is null ? null : mediumLatency <= 0.7);
        var mediumThroughput = RatioOf(Find(1, "MLP-M 784-512-256-10, batch 256"), r => r.Ort);
        yield return ("MLP-M batch-256 inference throughput ≥ ORT's (1 thread)", Needs(Find(1, "MLP-M 784-512-256-10, batch 256"), r => r.Ort, 1, 1), $"NetDsl/ORT = {Show(mediumThroughput)}", mediumThroughput is null ? null : mediumThroughput >= 1);
        foreach (int threads in new[] { 1, 2 })
        {
            var training = RatioOf(Find(threads, "MLP-M 784-512-256-10, training"), r => r.Torch);
            yield return ($"MLP-M training throughput ≥ 1.75× TorchSharp's ({threads} thread{(threads == 1 ? "" : "s")})", Needs(Find(threads, "MLP-M 784-512-256-10, training"), r => r.Torch, 1.75, threads), $"NetDsl/Torch = {Show(training)}", training is null ? null : training >= 1.75);
        }
        foreach (var (start, target, fraction) in new[] { ("Dense 512→512 batch 512, forward", "Dense 512→512 batch 512 forward ≥ 80 % of FMA peak (1 thread)", 0.8),
                                                          ("Dense 512→512 batch 512, forward + backward", "Dense 512→512 batch 512 forward+backward ≥ 70 % of FMA peak (1 thread)", 0.7) })
        {
            var row = Find(1, start);
            double? share = row?.NetDsl is null ? null : row.Gflops(row.NetDsl) / PeakSingle;
            yield return (target, $"{100 * fraction:F0} % of peak", (share is null ? "n/a" : $"{100 * share:F0} % ({row!.Gflops(row.NetDsl!):F1} of {PeakSingle:F1} GFLOP/s)"), share is null ? null : share >= fraction);
        }
        var cnnLatency = RatioOf(Find(1, "CNN Fashion-MNIST, batch 1 latency"), r => r.Ort);
        yield return ("Issue 5: CNN batch-1 latency ≤ 0.7× ORT's (1 thread)", Needs(Find(1, "CNN Fashion-MNIST, batch 1 latency"), r => r.Ort, 0.7, 1), $"NetDsl/ORT = {Show(cnnLatency)}", cnnLatency is null ? null : cnnLatency <= 0.7);
        var cnnThroughput = RatioOf(Find(1, "CNN Fashion-MNIST, batch 64 inference"), r => r.Ort);
        yield return ("Issue 5: CNN batch-64 inference throughput ≥ ORT's (1 thread)", Needs(Find(1, "CNN Fashion-MNIST, batch 64 inference"), r => r.Ort, 1, 1), $"NetDsl/ORT = {Show(cnnThroughput)}", cnnThroughput is null ? null : cnnThroughput >= 1);
        var cnnTraining = RatioOf(Find(1, "CNN Fashion-MNIST, training batch 64 (SGD step)"), r => r.Torch);
        yield return ("Issue 5: CNN batch-64 training throughput ≥ 2× TorchSharp's (1 thread; Torch mkldnn off)", Needs(Find(1, "CNN Fashion-MNIST, training batch 64 (SGD step)"), r => r.Torch, 2, 1), $"NetDsl/Torch = {Show(cnnTraining)}", cnnTraining is null ? null : cnnTraining >= 2);
        var lstmLatency = RatioOf(Find(1, "LSTM 32→128 ×50 + Dense 10, batch 1 latency"), r => r.Ort);
        yield return ("Issue 6: LSTM batch-1 latency ≤ 0.5× ORT's (1 thread)", Needs(Find(1, "LSTM 32→128 ×50 + Dense 10, batch 1 latency"), r => r.Ort, 0.5, 1), $"NetDsl/ORT = {Show(lstmLatency)}", lstmLatency is null ? null : lstmLatency <= 0.5);
        var lstmTraining = RatioOf(Find(1, "LSTM 32→128 ×50 + Dense 10, training batch 32"), r => r.Torch);
        yield return ("Issue 6: LSTM batch-32 training throughput ≥ 1.3× TorchSharp's (1 thread)", Needs(Find(1, "LSTM 32→128 ×50 + Dense 10, training batch 32"), r => r.Torch, 1.3, 1), $"NetDsl/Torch = {Show(lstmTraining)}", lstmTraining is null ? null : lstmTraining >= 1.3);
        double maxBytes = Tables.Values.SelectMany(rows => rows).Where(r => r.NetDsl is not null).Select(r => r.NetDsl!.BytesPerOperation).DefaultIfEmpty(double.NaN).Max();
        yield return ("Zero bytes allocated per NetDsl call (every timed workload)", "", $"max {maxBytes:0.#} bytes/op", maxBytes == 0);
        double worst = Checks.Where(c => !double.IsNaN(c.NetDslVsReference)).Select(c => c.NetDslVsReference).DefaultIfEmpty(double.NaN).Max();
        yield return ("NetDsl within 1e-5 relative of the float64 reference (forward outputs, Dense gradients)", "", $"max {Format.Small(worst)}", worst <= Correctness.ReferenceTolerance);
    }

    private static string Time(double seconds) => seconds < 1e-3 ? $"{seconds * 1e6:F1} µs" : $"{seconds * 1e3:F2} ms";

    private static string Field(string loadavg, int count) => string.Join(", ", loadavg.Split(' ').Take(count));

    private static string CpuModel()
    {
        try
        {
            using var lscpu = Process.Start(new ProcessStartInfo("lscpu") { RedirectStandardOutput = true, UseShellExecute = false })!;
            string text = lscpu.StandardOutput.ReadToEnd();
            lscpu.WaitForExit();
            string? Line(string key) => text.Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?[key.Length..].Trim();
            return $"{Line("Model name:")} ({Line("Thread(s) per core:")} thread(s) per core, {Line("Core(s) per socket:")} core(s) per socket" +
                   $"{(text.Contains("avx512f", StringComparison.Ordinal) ? ", AVX-512" : "")})";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "(lscpu unavailable)";
        }
    }

    /// <summary>The versions the build actually resolved, from this program's deps.json.</summary>
    private static string Versions()
    {
        string deps = Path.Combine(AppContext.BaseDirectory, "NetDsl.PeerBenchmarks.deps.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(deps));
        var wanted = new[] { "TorchSharp-cpu", "TorchSharp", "libtorch-cpu-linux-x64", "Microsoft.ML.OnnxRuntime", "OnnxSharp", "Google.Protobuf" };
        var found = doc.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/'))
            .Where(p => wanted.Contains(p[0])).OrderBy(p => Array.IndexOf(wanted, p[0])).Select(p => $"{p[0]} {p[1]}");
        return string.Join(", ", found);
    }
}
