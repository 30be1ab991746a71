using System;
using System.Collections.Generic;
using TorchSharp;

namespace NetDsl.PeerBenchmarks;

internal enum Unit { LatencyMicroseconds, SamplesPerSecond, GigaflopsPerSecond }

/// <summary>One workload's measurements; a null measurement is an engine that cannot run it.</summary>
internal sealed record Row(string Workload, Unit Unit, int SamplesPerOperation, double FlopPerOperation,
    Measurement? NetDsl, Measurement? Torch, Measurement? Ort)
{
    /// <summary>The value shown in the table: median latency in µs, or samples/s, or GFLOP/s, from the median time.</summary>
    public double? Value(Measurement? m) => m is null ? null : Unit switch
    {
        Unit.LatencyMicroseconds => m.Median * 1e6,
        Unit.SamplesPerSecond => SamplesPerOperation / m.Median,
        _ => FlopPerOperation / m.Median / 1e9,
    };

    public double Gflops(Measurement m) => FlopPerOperation / m.Median / 1e9;
}

/// <summary>All timed workloads at one thread count, engine after engine within each workload.</summary>
internal static class Runs
{
    public static List<Row> Measure(Fixtures f, int threads)
    {
        torch.set_num_threads(threads);
        NetDsl.Kernels.KernelOptions.MaxThreads = threads;
        Program.Log($"--- {threads} thread(s); torch.get_num_threads() = {torch.get_num_threads()}, NetDsl KernelOptions.MaxThreads = {NetDsl.Kernels.KernelOptions.MaxThreads}");
        var rows = new List<Row>();

        // MLP-S and MLP-M inference.
        foreach (var (name, stack, forward, x1, x256) in new (string, DenseStack, Action<float[], float[]>, float[], float[])[]
        {
            ("MLP-S 784-128-10", f.SmallStack, Forward(f.SmallPredictor), f.SmallX1, f.SmallX256),
            ("MLP-M 784-512-256-10", f.MediumStack, Forward(f.MediumPredictor), f.MediumX1, f.MediumX256),
        })
        {
            using var torchMlp = new TorchMlp(stack);
            using var torchX1 = torch.tensor(x1, [1, stack.InputSize]);
            using var torchX256 = torch.tensor(x256, [256, stack.InputSize]);
            using var onnx = new OnnxMlp(stack, threads);
            onnx.Bind(x1, stack.InputSize, stack.OutputSize);
            onnx.Bind(x256, stack.InputSize, stack.OutputSize);
            var y1 = new float[stack.OutputSize];
            var y256 = new float[256 * stack.OutputSize];

            Add(rows, Row(name + ", batch 1 latency", Unit.LatencyMicroseconds, 1, stack.ForwardFlopPerSample,
                () => forward(x1, y1), () => torchMlp.Infer(torchX1), () => onnx.Run(1)));
            Add(rows, Row(name + ", batch 256 inference", Unit.SamplesPerSecond, 256, 256 * stack.ForwardFlopPerSample,
                () => forward(x256, y256), () => torchMlp.Infer(torchX256), () => onnx.Run(256)));
        }

        // MLP-M training: full SGD step at batch 64 (ONNX Runtime does not train).
        {
            var stack = f.MediumStack;
            var sgd = new Sgd(Fixtures.LearningRate);
            var ws = new MlpM.Workspace(64);
            using var torchMlp = new TorchMlp(stack);
            using var trainer = new TorchTrainer(torchMlp, Fixtures.LearningRate);
            using var x = torch.tensor(f.TrainX, [64, 784]);
            using var labels = torch.tensor(f.TrainLabels, [64]);
            // forward, weight gradients of every layer, input gradients of every layer but the first.
            double flop = 64 * (2 * stack.ForwardFlopPerSample - 2.0 * stack.Sizes[0] * stack.Sizes[1]) + 64 * stack.ForwardFlopPerSample;
            Add(rows, Row("MLP-M 784-512-256-10, training batch 64 (SGD step)", Unit.SamplesPerSecond, 64, flop,
                () => f.MediumTrained.TrainStep(f.TrainX, f.TrainOneHot, sgd, ws), () => trainer.StepOnly(x, labels), null));
        }

        // Dense 512→512 at batch 512: forward; forward + backward (dx, dW, db).
        {
            var ws = new Dense512.Workspace(512);
            var y = new float[512 * 512];
            var dx = new float[512 * 512];
            using var torchDense = new TorchDense(f.DenseStack, f.DenseX, f.DenseDy);
            using var onnx = new OnnxMlp(f.DenseStack, threads);
            onnx.Bind(f.DenseX, 512, 512);
            double forwardFlop = 2.0 * 512 * 512 * 512;
            Add(rows, Row("Dense 512→512 batch 512, forward", Unit.GigaflopsPerSecond, 512, forwardFlop,
                () => f.DensePredictor.Forward(f.DenseX, y, ws), torchDense.Forward, () => onnx.Run(512)));
            Add(rows, Row("Dense 512→512 batch 512, forward + backward", Unit.GigaflopsPerSecond, 512, 3 * forwardFlop,
                () => { f.Dense.Forward(f.DenseX, y, ws); f.Dense.Backward(f.DenseX, f.DenseDy, dx, ws); }, torchDense.ForwardBackward, null));
        }
        rows.AddRange(CnnLstm(f, threads));
        return rows;
    }

    /// <summary>Issues 5 and 6: the Fashion-MNIST CNN (TorchSharp with mkldnn off, see PEERS.md) and the LSTM classifier.</summary>
    private static List<Row> CnnLstm(Fixtures f, int threads)
    {
        var rows = new List<Row>();
        {
            using var mkldnnOff = TorchBackends.MkldnnOff();
            var ws = new FashionCnn.Workspace(64);
            var y1 = new float[10];
            var y64 = new float[64 * 10];
            using var torchCnn = TorchModel.Cnn(f.CnnWeights);
            using var torchX1 = torch.tensor(f.CnnX1, [1, 1, 28, 28]);
            using var torchX64 = torch.tensor(f.CnnX64, [64, 1, 28, 28]);
            using var labels = torch.tensor(f.CnnLabels, [64]);
            using var onnx = new OnnxModel(OnnxModel.Cnn(f.CnnWeights), [1, 28, 28], 10, threads);
            onnx.Bind(f.CnnX1);
            onnx.Bind(f.CnnX64);
            // conv1 28·28·16·25·2, conv2 14·14·32·16·25·2, dense 1568·128·2 + 128·10·2 per sample; training ≈ 3× (the first conv needs no dx).
            double flop = 2.0 * (28 * 28 * 16 * 25 + 14 * 14 * 32 * 16 * 25 + 1568 * 128 + 128 * 10);
            double trainFlop = 3 * flop - 2.0 * 28 * 28 * 16 * 25;
            Add(rows, Row("CNN Fashion-MNIST, batch 1 latency", Unit.LatencyMicroseconds, 1, flop,
                () => f.CnnPredictor.Forward(f.CnnX1, y1, ws), () => torchCnn.Infer(torchX1), () => onnx.Run(1)));
            Add(rows, Row("CNN Fashion-MNIST, batch 64 inference", Unit.SamplesPerSecond, 64, 64 * flop,
                () => f.CnnPredictor.Forward(f.CnnX64, y64, ws), () => torchCnn.Infer(torchX64), () => onnx.Run(64)));
            var sgd = new Sgd(Fixtures.LearningRate);
            Add(rows, Row("CNN Fashion-MNIST, training batch 64 (SGD step)", Unit.SamplesPerSecond, 64, 64 * trainFlop,
                () => f.CnnTrained.TrainStep(f.CnnX64, f.CnnOneHot, sgd, ws), () => torchCnn.StepOnly(torchX64, labels, Fixtures.LearningRate), null));

            // For information: TorchSharp with libtorch's default (mkldnn on), which the agreement check found right for this
            // network, so the reader can see whether turning mkldnn off slows the peer. Not used by the targets.
            using var torchDefault = TorchModel.Cnn(f.CnnWeights);
            TorchBackends.Mkldnn = true;
            Add(rows, Row("CNN Fashion-MNIST, batch 64 inference, TorchSharp mkldnn on", Unit.SamplesPerSecond, 64, 64 * flop,
                () => f.CnnPredictor.Forward(f.CnnX64, y64, ws), () => torchDefault.Infer(torchX64), null));
            Add(rows, Row("CNN Fashion-MNIST, training batch 64, TorchSharp mkldnn on", Unit.SamplesPerSecond, 64, 64 * trainFlop,
                () => f.CnnTrained.TrainStep(f.CnnX64, f.CnnOneHot, sgd, ws), () => torchDefault.StepOnly(torchX64, labels, Fixtures.LearningRate), null));
        }
        {
            var ws = new SeqLstm.Workspace(32);
            var y1 = new float[10];
            using var torchLstm = TorchModel.Lstm(f.LstmWeights);
            using var torchX1 = torch.tensor(f.LstmX1, [1, 50, 32]);
            using var torchX32 = torch.tensor(f.LstmX32, [32, 50, 32]);
            using var labels = torch.tensor(f.LstmLabels, [32]);
            using var onnx = new OnnxModel(OnnxModel.Lstm(f.LstmWeights), [50, 32], 10, threads);
            onnx.Bind(f.LstmX1);
            // 50 steps of the 4 gates (32 + 128 inputs → 512), then 128 → 10; training ≈ 3×.
            double flop = 2.0 * (50 * 512 * (32 + 128) + 128 * 10);
            Add(rows, Row("LSTM 32→128 ×50 + Dense 10, batch 1 latency", Unit.LatencyMicroseconds, 1, flop,
                () => f.LstmPredictor.Forward(f.LstmX1, y1, ws), () => torchLstm.Infer(torchX1), () => onnx.Run(1)));
            var sgd = new Sgd(Fixtures.LearningRate);
            Add(rows, Row("LSTM 32→128 ×50 + Dense 10, training batch 32 (SGD step)", Unit.SamplesPerSecond, 32, 32 * 3 * flop,
                () => f.LstmTrained.TrainStep(f.LstmX32, f.LstmOneHot, sgd, ws), () => torchLstm.StepOnly(torchX32, labels, Fixtures.LearningRate), null));
        }
        return rows;
    }

    private static Action<float[], float[]> Forward(MlpS.Predictor net)
    {
        var ws = new MlpS.Workspace(256);
        return (x, y) => net.Forward(x, y, ws);
    }

    private static Action<float[], float[]> Forward(MlpM.Predictor net)
    {
        var ws = new MlpM.Workspace(256);
        return (x, y) => net.Forward(x, y, ws);
    }

    /// <summary>Only the workloads whose name contains this text are timed (<c>--only</c>); null times all.</summary>
    public static string? Only;

    private static void Add(List<Row> rows, Row? row)
    {
        if (row is not null)
            rows.Add(row);
    }

    private static Row? Row(string name, Unit unit, int samples, double flop, Action netDsl, Action? torchSharp, Action? ort)
    {
        if (Only is not null && !name.Contains(Only, StringComparison.OrdinalIgnoreCase))
            return null;
        var m = Timing.Measure(netDsl, torchSharp, ort);
        var (n, t, o) = (m[0], m[1], m[2]);
        var row = new Row(name, unit, samples, flop, n, t, o);
        Program.Log($"{name}: NetDsl {Format.Value(row.Value(n), unit)}, TorchSharp {Format.Value(row.Value(t), unit)}, ORT {Format.Value(row.Value(o), unit)}");
        return row;
    }
}
