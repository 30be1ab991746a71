using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace NetDsl.PeerBenchmarks;

/// <summary>
/// NetDsl against TorchSharp and ONNX Runtime on the workloads of issues 3, 5 and 6: same weights, same inputs, outputs checked
/// for agreement first, then timed at 1 and 2 threads. Writes a markdown report (bench/RESULTS.md via bench/run-peers.sh).
/// Options: <c>--out PATH</c> (default RESULTS.md), <c>--quick</c> (short blocks, for a smoke test), <c>--only TEXT</c>
/// (time only the workloads whose name contains TEXT, e.g. <c>--only CNN</c>; the agreement checks still all run).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        string output = "RESULTS.md";
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out": output = args[++i]; break;
                case "--quick": Timing.WarmupSeconds = 0.1; Timing.BlockSeconds = 0.01; Timing.Blocks = 5; break;
                case "--only": Runs.Only = args[++i]; break;
                default: Console.Error.WriteLine($"Unknown option {args[i]}. Options: --out PATH, --quick, --only TEXT"); return 2;
            }
        }

        var report = new Report { LoadAtStart = File.ReadAllText("/proc/loadavg").Trim() };
        var load = new MachineLoad();

        // The peers' set-up, before their first call (PEERS.md).
        report.TorchPatch = NativeSetup.PatchTorchSharpInOutput();
        report.MallocRaised = NativeSetup.RaiseMallocThresholds();
        torch.set_num_interop_threads(1);
        report.TorchLoadedFrom = NativeSetup.LoadedFrom("libLibTorchSharp.so") ?? "?";
        // PEERS.md: NNPACK cannot start on this CPU (it warns on every conv call): off for the whole run. mkldnn gives
        // wrong conv gradients here: off around the CNN workloads only (TorchBackends.MkldnnOff), default elsewhere.
        report.TorchBackends = TorchBackends.Bind();
        TorchBackends.Nnpack = false;
        report.TorchBackends += $"; NNPACK enabled after setUserEnabledNNPACK(false): {TorchBackends.Nnpack}; mkldnn by default: {TorchBackends.Mkldnn}";
        Log($"TorchSharp backends: {report.TorchBackends}");
        report.OrtVersion = OrtEnv.Instance().GetVersionString();
        Log($"TorchSharp: {report.TorchPatch}; loaded from {report.TorchLoadedFrom}");
        Log($"malloc thresholds raised: {report.MallocRaised}; ORT {report.OrtVersion}");

        Log("FMA peak...");
        report.Peak512 = FmaPeak.Vector512Single();
        report.Peak256 = FmaPeak.Vector256Single();
        report.Peak2 = FmaPeak.Parallel(2);
        Log($"FMA peak: Vector512 {report.Peak512:F1}, Vector256 {report.Peak256:F1} GFLOP/s on one core; {report.Peak2:F1} on two");

        Log("read bandwidth of one core...");
        foreach (var bound in report.Bounds)
            bound.Bandwidth = MemoryBandwidth.Read(bound.WorkingSetBytes);
        foreach (long size in Report.BandwidthSizes)
            report.Bandwidths[size] = MemoryBandwidth.Read(size);
        Log("read bandwidth: " + string.Join(", ", report.Bandwidths.Select(b => $"{b.Key >> 10} KB {b.Value:F0} GB/s")));

        var fixtures = new Fixtures();
        report.MediumZeroInputs = fixtures.MediumStack.ZeroInputs(fixtures.MediumX1);
        Correctness.Run(fixtures, report);
        foreach (int threads in new[] { 1, 2 })
            report.Tables[threads] = Runs.Measure(fixtures, threads);

        // The peak again after the tables; the best of both runs counts (a loaded machine only ever lowers it).
        report.Peak512 = Math.Max(report.Peak512, FmaPeak.Vector512Single());
        report.Peak256 = Math.Max(report.Peak256, FmaPeak.Vector256Single());
        report.Peak2 = Math.Max(report.Peak2, FmaPeak.Parallel(2));
        Log($"FMA peak, best of start and end: Vector512 {report.Peak512:F1}, Vector256 {report.Peak256:F1} GFLOP/s on one core; {report.Peak2:F1} on two");
        report.LoadAtEnd = File.ReadAllText("/proc/loadavg").Trim();
        report.OthersShare = load.OthersShare();
        Log($"other processes used {100 * report.OthersShare:F0} % of the CPUs during the run");
        File.WriteAllText(output, report.ToMarkdown());
        Log($"wrote {Path.GetFullPath(output)}");
        Console.WriteLine();
        Console.WriteLine(report.ToMarkdown());
        return report.AllAgree ? 0 : 1;
    }

    public static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}

/// <summary>The networks (NetDsl, with random biases), their peer views, and the inputs, all from fixed seeds.</summary>
internal sealed class Fixtures
{
    public const float LearningRate = 0.01f;

    public readonly MlpS Small = new(seed: 1);
    public readonly MlpM Medium = new(seed: 2);
    public readonly MlpM MediumTrained = new(seed: 2);
    public readonly Dense512 Dense = new(seed: 3);
    public readonly DenseStack SmallStack, MediumStack, DenseStack;

    // What NetDsl times for inference: each network's Predictor (weights packed once, as ORT's session packs them), made
    // after the weights above are final. Training rows use the networks themselves.
    public readonly MlpS.Predictor SmallPredictor;
    public readonly MlpM.Predictor MediumPredictor;
    public readonly Dense512.Predictor DensePredictor;
    public readonly FashionCnn.Predictor CnnPredictor;
    public readonly SeqLstm.Predictor LstmPredictor;

    // Issue 5: the Fashion-MNIST CNN; issue 6: the LSTM classifier.
    public readonly FashionCnn Cnn = new(seed: 4);
    public readonly FashionCnn CnnTrained = new(seed: 4);
    public readonly NamedWeights CnnWeights;
    public readonly float[] CnnX1 = Data.Uniform(784, 0, 1, 41), CnnX64 = Data.Uniform(64 * 784, 0, 1, 42);
    public readonly long[] CnnLabels = Labels(64, 43);
    public readonly float[] CnnOneHot;
    public readonly SeqLstm Lstm = new(seed: 5);
    public readonly SeqLstm LstmTrained = new(seed: 5);
    public readonly NamedWeights LstmWeights;
    public readonly float[] LstmX1 = Data.Uniform(50 * 32, -1, 1, 51), LstmX32 = Data.Uniform(32 * 50 * 32, -1, 1, 52);
    public readonly long[] LstmLabels = Labels(32, 53);
    public readonly float[] LstmOneHot;

    private static long[] Labels(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (long)random.Next(10)).ToArray();
    }

    public static float[] OneHot(long[] labels)
    {
        var oneHot = new float[labels.Length * 10];
        for (int b = 0; b < labels.Length; b++)
            oneHot[b * 10 + labels[b]] = 1;
        return oneHot;
    }

    public readonly float[] SmallX1 = Data.Uniform(784, 0, 1, 11), SmallX256 = Data.Uniform(256 * 784, 0, 1, 12);
    public readonly float[] MediumX1 = Data.Uniform(784, 0, 1, 21), MediumX256 = Data.Uniform(256 * 784, 0, 1, 22);
    public readonly float[] TrainX = Data.Uniform(64 * 784, 0, 1, 23);
    public readonly long[] TrainLabels;
    public readonly float[] TrainOneHot = new float[64 * 10];
    public readonly float[] DenseX = Data.Uniform(512 * 512, -1, 1, 31);
    /// <summary>dL/dy as a mean loss over the batch would give it: entries of size about 1/B.</summary>
    public readonly float[] DenseDy = Data.Uniform(512 * 512, -1f / 512, 1f / 512, 32);

    public Fixtures()
    {
        Data.RandomizeBiases(Small.Parameters, MlpS.ParameterTensors, 101);
        Data.RandomizeBiases(Medium.Parameters, MlpM.ParameterTensors, 102);
        Medium.Parameters.CopyTo(MediumTrained.Parameters);
        Data.RandomizeBiases(Dense.Parameters, Dense512.ParameterTensors, 103);
        SmallStack = new DenseStack([784, 128, 10], Small.Parameters, MlpS.ParameterTensors, reluBetween: true);
        MediumStack = new DenseStack([784, 512, 256, 10], Medium.Parameters, MlpM.ParameterTensors, reluBetween: true);
        DenseStack = new DenseStack([512, 512], Dense.Parameters, Dense512.ParameterTensors, reluBetween: false);
        NamedWeights.RandomizeBiases(Cnn.Parameters, FashionCnn.ParameterTensors, 104);
        Cnn.Parameters.CopyTo(CnnTrained.Parameters);
        CnnWeights = new NamedWeights(Cnn.Parameters, FashionCnn.ParameterTensors);
        CnnOneHot = OneHot(CnnLabels);
        NamedWeights.RandomizeBiases(Lstm.Parameters, SeqLstm.ParameterTensors, 105);
        Lstm.Parameters.CopyTo(LstmTrained.Parameters);
        LstmWeights = new NamedWeights(Lstm.Parameters, SeqLstm.ParameterTensors);
        LstmOneHot = OneHot(LstmLabels);
        SmallPredictor = Small.CreatePredictor();
        MediumPredictor = Medium.CreatePredictor();
        DensePredictor = Dense.CreatePredictor();
        CnnPredictor = Cnn.CreatePredictor();
        LstmPredictor = Lstm.CreatePredictor();
        var random = new Random(24);
        TrainLabels = new long[64];
        for (int b = 0; b < 64; b++)
        {
            TrainLabels[b] = random.Next(10);
            TrainOneHot[b * 10 + TrainLabels[b]] = 1;
        }
    }
}
