using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace NetDsl.PeerBenchmarks;

/// <summary>One agreement check: the largest absolute differences between engines and each engine's error against float64.</summary>
internal sealed record Check(string Workload, string Quantity, double Tolerance, double NetDslVsTorch, double NetDslVsOrt,
    double NetDslVsReference, double TorchVsReference, double OrtVsReference)
{
    public bool Agree => NetDslVsTorch < Tolerance && (double.IsNaN(NetDslVsOrt) || NetDslVsOrt < Tolerance);
}

/// <summary>Before any timing: the engines must compute the same thing from the same weights.</summary>
internal static class Correctness
{
    public const double Tolerance = 1e-4, TrainingTolerance = 1e-5, ReferenceTolerance = 1e-5;

    public static void Run(Fixtures f, Report report)
    {
        torch.set_num_threads(1);
        NetDsl.Kernels.KernelOptions.MaxThreads = 1;
        s_report = report;
        var smallWs = new MlpS.Workspace(256);
        var mediumWs = new MlpM.Workspace(256);
        var denseWs = new Dense512.Workspace(512);

        report.Checks.Add(Inference("MLP-S batch 1", f.SmallStack, f.SmallX1, (x, y) => f.SmallPredictor.Forward(x, y, smallWs)));
        report.Checks.Add(Inference("MLP-S batch 256", f.SmallStack, f.SmallX256, (x, y) => f.SmallPredictor.Forward(x, y, smallWs)));
        report.Checks.Add(Inference("MLP-M batch 1", f.MediumStack, f.MediumX1, (x, y) => f.MediumPredictor.Forward(x, y, mediumWs)));
        report.Checks.Add(Inference("MLP-M batch 256", f.MediumStack, f.MediumX256, (x, y) => f.MediumPredictor.Forward(x, y, mediumWs)));
        report.Checks.Add(Inference("Dense 512→512 batch 512", f.DenseStack, f.DenseX, (x, y) => f.DensePredictor.Forward(x, y, denseWs)));
        report.Checks.AddRange(DenseBackward(f, denseWs));
        report.Checks.AddRange(Training(f, report));
        report.Checks.AddRange(CnnLstm(f, report));
        foreach (var check in report.Checks)
            Program.Log($"check {check.Workload} {check.Quantity}: NetDsl−Torch {check.NetDslVsTorch:E2}, NetDsl−ORT {check.NetDslVsOrt:E2}, " +
                        $"NetDsl vs float64 {check.NetDslVsReference:E2} → {(check.Agree ? "agree" : "DISAGREE")}");
    }

    /// <summary>NetDsl's kernels promise bit-identical results for every thread count: recompute with 2 threads and compare.</summary>
    private static void ThreadDeterminism(string name, float[] oneThread, Action<float[]> compute)
    {
        var twoThreads = new float[oneThread.Length];
        NetDsl.Kernels.KernelOptions.MaxThreads = 2;
        try
        {
            compute(twoThreads);
        }
        finally
        {
            NetDsl.Kernels.KernelOptions.MaxThreads = 1;
        }
        s_report!.ThreadDifferences.Add((name, Data.MaxAbsDiff(oneThread, twoThreads)));
    }

    private static Report? s_report;

    private static Check Inference(string name, DenseStack stack, float[] x, Action<float[], float[]> netDslForward)
    {
        int batch = x.Length / stack.InputSize;
        var netDsl = new float[batch * stack.OutputSize];
        netDslForward(x, netDsl);
        ThreadDeterminism(name, netDsl, y => netDslForward(x, y));

        using var torchMlp = new TorchMlp(stack);
        using var torchX = torch.tensor(x, [batch, stack.InputSize]);
        float[] torchY = torchMlp.InferToArray(torchX);

        using var onnx = new OnnxMlp(stack, threads: 1);
        onnx.Bind(x, stack.InputSize, stack.OutputSize);
        float[] ortY = (float[])onnx.Run(batch).Clone();

        double[] reference = stack.ReferenceForward(x);
        return new Check(name, "outputs", Tolerance, Data.MaxAbsDiff(netDsl, torchY), Data.MaxAbsDiff(netDsl, ortY),
            Data.RelativeToReference(netDsl, reference), Data.RelativeToReference(torchY, reference), Data.RelativeToReference(ortY, reference));
    }

    private static Check[] DenseBackward(Fixtures f, Dense512.Workspace ws)
    {
        const int B = 512, N = 512, M = 512;
        var y = new float[B * M];
        var dx = new float[B * N];
        f.Dense.Forward(f.DenseX, y, ws);
        f.Dense.Backward(f.DenseX, f.DenseDy, dx, ws);
        float[] dW = f.Dense.Gradients[..(M * N)].ToArray(), db = f.Dense.Gradients.Slice(M * N, M).ToArray();
        ThreadDeterminism("Dense 512→512 batch 512 backward", [.. dx, .. dW, .. db], all =>
        {
            var dx2 = new float[B * N];
            f.Dense.Forward(f.DenseX, new float[B * M], ws);
            f.Dense.Backward(f.DenseX, f.DenseDy, dx2, ws);
            dx2.CopyTo(all, 0);
            f.Dense.Gradients.CopyTo(all.AsSpan(B * N));
        });

        using var torchDense = new TorchDense(f.DenseStack, f.DenseX, f.DenseDy);
        var (tdx, tdW, tdb) = torchDense.Gradients();

        // float64 reference: dx = dy · W, dW = dyᵀ · x, db = Σ_batch dy.
        float[] w = f.DenseStack.Weights[0], x = f.DenseX, dy = f.DenseDy;
        var rdx = new double[B * N];
        var rdW = new double[M * N];
        var rdb = new double[M];
        for (int b = 0; b < B; b++)
            for (int o = 0; o < M; o++)
            {
                double g = dy[b * M + o];
                rdb[o] += g;
                for (int i = 0; i < N; i++)
                {
                    rdx[b * N + i] += g * w[o * N + i];
                    rdW[o * N + i] += g * x[b * N + i];
                }
            }
        const string name = "Dense 512→512 batch 512";
        return
        [
            new(name, "dL/dx", Tolerance, Data.MaxAbsDiff(dx, tdx), double.NaN, Data.RelativeToReference(dx, rdx), Data.RelativeToReference(tdx, rdx), double.NaN),
            new(name, "dL/dW", Tolerance, Data.MaxAbsDiff(dW, tdW), double.NaN, Data.RelativeToReference(dW, rdW), Data.RelativeToReference(tdW, rdW), double.NaN),
            new(name, "dL/db", Tolerance, Data.MaxAbsDiff(db, tdb), double.NaN, Data.RelativeToReference(db, rdb), Data.RelativeToReference(tdb, rdb), double.NaN),
        ];
    }

    /// <summary>One SGD step (learning rate 0.1, so the update is visible) from identical weights on both trainers.</summary>
    private static Check[] Training(Fixtures f, Report report)
    {
        const float lr = 0.1f;
        var net = new MlpM(seed: 0);
        f.Medium.Parameters.CopyTo(net.Parameters);
        float netLoss = net.TrainStep(f.TrainX, f.TrainOneHot, new Sgd(lr), new MlpM.Workspace(64));

        using var torchMlp = new TorchMlp(f.MediumStack);
        using var trainer = new TorchTrainer(torchMlp, lr);
        using var x = torch.tensor(f.TrainX, [64, 784]);
        using var labels = torch.tensor(f.TrainLabels, [64]);
        float torchLoss = trainer.Step(x, labels);
        float[] torchParameters = torchMlp.FlatParameters();

        report.TrainingStepChange = Data.MaxAbsDiff(net.Parameters, f.Medium.Parameters);
        const string name = "MLP-M SGD step, batch 64";
        return
        [
            new(name, "loss", TrainingTolerance, Math.Abs(netLoss - torchLoss), double.NaN, double.NaN, double.NaN, double.NaN),
            new(name, "parameters after the step", TrainingTolerance, Data.MaxAbsDiff(net.Parameters, torchParameters), double.NaN, double.NaN, double.NaN, double.NaN),
        ];
    }

    /// <summary>Issues 5 and 6: CNN and LSTM outputs on all three engines, and one SGD step each against TorchSharp.</summary>
    private static List<Check> CnnLstm(Fixtures f, Report report)
    {
        var checks = new List<Check>();
        var cnnWs = new FashionCnn.Workspace(64);
        var lstmWs = new SeqLstm.Workspace(32);
        using (TorchBackends.MkldnnOff())
        {
            using var torchCnn = TorchModel.Cnn(f.CnnWeights);
            using var onnxCnn = new OnnxModel(OnnxModel.Cnn(f.CnnWeights), [1, 28, 28], 10, threads: 1);
            foreach (var x in new[] { f.CnnX1, f.CnnX64 })
                checks.Add(Outputs($"CNN batch {x.Length / 784}", x, [1, 28, 28], (a, y) => f.CnnPredictor.Forward(a, y, cnnWs), torchCnn, onnxCnn));
        }
        using (var torchLstm = TorchModel.Lstm(f.LstmWeights))
        using (var onnxLstm = new OnnxModel(OnnxModel.Lstm(f.LstmWeights), [50, 32], 10, threads: 1))
            foreach (var x in new[] { f.LstmX1, f.LstmX32 })
                checks.Add(Outputs($"LSTM batch {x.Length / 1600}", x, [50, 32], (a, y) => f.LstmPredictor.Forward(a, y, lstmWs), torchLstm, onnxLstm));

        const float lr = 0.1f;
        // CNN: TorchSharp's step with mkldnn as shipped (a diagnostic: PEERS.md says its conv gradients are wrong here), then with mkldnn off (the check).
        var cnn = new FashionCnn(seed: 0);
        f.Cnn.Parameters.CopyTo(cnn.Parameters);
        float cnnLoss = cnn.TrainStep(f.CnnX64, f.CnnOneHot, new Sgd(lr), new FashionCnn.Workspace(64));
        using var cnnX = torch.tensor(f.CnnX64, [64, 1, 28, 28]);
        using var cnnLabels = torch.tensor(f.CnnLabels, [64]);
        using (var withMkldnn = TorchModel.Cnn(f.CnnWeights))
        {
            TorchBackends.Mkldnn = true;
            withMkldnn.Step(cnnX, cnnLabels, lr);
            report.CnnStepWithMkldnn = Data.MaxAbsDiff(cnn.Parameters, withMkldnn.FlatParameters());
        }
        using (TorchBackends.MkldnnOff())
        using (var torchCnn = TorchModel.Cnn(f.CnnWeights))
        {
            float torchLoss = torchCnn.Step(cnnX, cnnLabels, lr);
            const string name = "CNN SGD step, batch 64 (Torch mkldnn off)";
            checks.Add(new(name, "loss", TrainingTolerance, Math.Abs(cnnLoss - torchLoss), double.NaN, double.NaN, double.NaN, double.NaN));
            checks.Add(new(name, "parameters after the step", TrainingTolerance, Data.MaxAbsDiff(cnn.Parameters, torchCnn.FlatParameters()), double.NaN, double.NaN, double.NaN, double.NaN));
            report.CnnStepChange = Data.MaxAbsDiff(cnn.Parameters, f.Cnn.Parameters);
        }
        Program.Log($"CNN SGD step: TorchSharp with mkldnn on differs from NetDsl by {report.CnnStepWithMkldnn:E2} (mkldnn off: see the check)");

        var lstm = new SeqLstm(seed: 0);
        f.Lstm.Parameters.CopyTo(lstm.Parameters);
        float lstmLoss = lstm.TrainStep(f.LstmX32, f.LstmOneHot, new Sgd(lr), new SeqLstm.Workspace(32));
        using (var torchLstm = TorchModel.Lstm(f.LstmWeights))
        using (var lstmX = torch.tensor(f.LstmX32, [32, 50, 32]))
        using (var lstmLabels = torch.tensor(f.LstmLabels, [32]))
        {
            float torchLoss = torchLstm.Step(lstmX, lstmLabels, lr);
            const string name = "LSTM SGD step, batch 32";
            checks.Add(new(name, "loss", TrainingTolerance, Math.Abs(lstmLoss - torchLoss), double.NaN, double.NaN, double.NaN, double.NaN));
            checks.Add(new(name, "parameters after the step", TrainingTolerance, Data.MaxAbsDiff(lstm.Parameters, torchLstm.FlatParameters()), double.NaN, double.NaN, double.NaN, double.NaN));
            report.LstmStepChange = Data.MaxAbsDiff(lstm.Parameters, f.Lstm.Parameters);
        }
        return checks;
    }

    /// <summary>NetDsl's outputs against TorchSharp's and ORT's (no float64 reference for these networks: n/a).</summary>
    private static Check Outputs(string name, float[] x, long[] sampleShape, Action<float[], float[]> netDslForward, TorchModel torchModel, OnnxModel onnx)
    {
        int sample = (int)sampleShape.Aggregate(1L, (a, b) => a * b), batch = x.Length / sample;
        var netDsl = new float[batch * 10];
        netDslForward(x, netDsl);
        ThreadDeterminism(name, netDsl, y => netDslForward(x, y));
        using var torchX = torch.tensor(x, [batch, .. sampleShape]);
        float[] torchY = torchModel.InferToArray(torchX);
        onnx.Bind(x);
        float[] ortY = (float[])onnx.Run(batch).Clone();
        return new Check(name, "outputs", Tolerance, Data.MaxAbsDiff(netDsl, torchY), Data.MaxAbsDiff(netDsl, ortY), double.NaN, double.NaN, double.NaN);
    }
}
