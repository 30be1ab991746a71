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
            ("MLP-S 784-128-10", f.SmallStack, Forward(f.Small), f.SmallX1, f.SmallX256),
            ("MLP-M 784-512-256-10", f.MediumStack, Forward(f.Medium), f.MediumX1, f.MediumX256),
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

            rows.Add(Row(name + ", batch 1 latency", Unit.LatencyMicroseconds, 1, stack.ForwardFlopPerSample,
                () => forward(x1, y1), () => torchMlp.Infer(torchX1), () => onnx.Run(1)));
            rows.Add(Row(name + ", batch 256 inference", Unit.SamplesPerSecond, 256, 256 * stack.ForwardFlopPerSample,
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
            rows.Add(Row("MLP-M 784-512-256-10, training batch 64 (SGD step)", Unit.SamplesPerSecond, 64, flop,
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
            rows.Add(Row("Dense 512→512 batch 512, forward", Unit.GigaflopsPerSecond, 512, forwardFlop,
                () => f.Dense.Forward(f.DenseX, y, ws), torchDense.Forward, () => onnx.Run(512)));
            rows.Add(Row("Dense 512→512 batch 512, forward + backward", Unit.GigaflopsPerSecond, 512, 3 * forwardFlop,
                () => { f.Dense.Forward(f.DenseX, y, ws); f.Dense.Backward(f.DenseX, f.DenseDy, dx, ws); }, torchDense.ForwardBackward, null));
        }
        return rows;
    }

    private static Action<float[], float[]> Forward(MlpS net)
    {
        var ws = new MlpS.Workspace(256);
        return (x, y) => net.Forward(x, y, ws);
    }

    private static Action<float[], float[]> Forward(MlpM net)
    {
        var ws = new MlpM.Workspace(256);
        return (x, y) => net.Forward(x, y, ws);
    }

    private static Row Row(string name, Unit unit, int samples, double flop, Action netDsl, Action? torchSharp, Action? ort)
    {
        var m = Timing.Measure(netDsl, torchSharp, ort);
        var (n, t, o) = (m[0], m[1], m[2]);
        var row = new Row(name, unit, samples, flop, n, t, o);
        Program.Log($"{name}: NetDsl {Format.Value(row.Value(n), unit)}, TorchSharp {Format.Value(row.Value(t), unit)}, ORT {Format.Value(row.Value(o), unit)}");
        return row;
    }
}
