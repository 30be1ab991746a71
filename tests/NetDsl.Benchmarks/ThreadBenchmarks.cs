using System;
using BenchmarkDotNet.Attributes;
using NetDsl.Kernels;

namespace NetDsl.Benchmarks;

/// <summary>
/// The MLP workloads at 1 and 2 kernel threads (<see cref="KernelOptions.MaxThreads"/>): batch-1 latency, batch-256
/// inference and batch-64 training. Results are bit-identical at every thread count; only the time changes.
/// </summary>
[MemoryDiagnoser]
public class ThreadBenchmarks
{
    private const int InferenceBatch = MlpBenchmarks.InferenceBatch;
    private const int TrainingBatch = MlpBenchmarks.TrainingBatch;

    private readonly Mlp784x128x10 _small = new(seed: 1);
    private readonly Mlp784x128x10.Workspace _smallWorkspace = new(maxBatchSize: 1);
    private readonly Mlp784x512x256x10 _model = new(seed: 1);
    private readonly Mlp784x512x256x10.Workspace _workspace = new(maxBatchSize: InferenceBatch);
    private readonly float[] _inputs = BenchmarkData.Uniform(InferenceBatch * Mlp784x512x256x10.InputSize, seed: 2);
    private readonly float[] _outputs = new float[InferenceBatch * Mlp784x512x256x10.OutputSize];
    private readonly float[] _targets = BenchmarkData.OneHot(TrainingBatch, Mlp784x512x256x10.OutputSize, seed: 3);
    private readonly Sgd _sgd = new(learningRate: 0.01f, momentum: 0.9f);
    private int _savedThreads;

    /// <summary>Kernel threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _savedThreads = KernelOptions.MaxThreads;
        KernelOptions.MaxThreads = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => KernelOptions.MaxThreads = _savedThreads;

    /// <summary>One sample through 784 → 128 ReLU → 10.</summary>
    [Benchmark(Description = "MLP 784-128-10 Forward, batch 1")]
    [Work(Samples = 1, Flops = 2 * Flops.Mlp784x128x10Weights)]
    public float SmallForwardBatch1()
    {
        _small.Forward(_inputs.AsSpan(0, Mlp784x128x10.InputSize), _outputs.AsSpan(0, Mlp784x128x10.OutputSize), _smallWorkspace);
        return _outputs[0];
    }

    /// <summary>One sample through 784 → 512 ReLU → 256 ReLU → 10.</summary>
    [Benchmark(Description = "MLP 784-512-256-10 Forward, batch 1")]
    [Work(Samples = 1, Flops = 2 * Flops.Mlp784x512x256x10Weights)]
    public float ForwardBatch1()
    {
        _model.Forward(_inputs.AsSpan(0, Mlp784x512x256x10.InputSize), _outputs.AsSpan(0, Mlp784x512x256x10.OutputSize), _workspace);
        return _outputs[0];
    }

    /// <summary>Inference on a batch of 256 samples.</summary>
    [Benchmark(Description = "MLP 784-512-256-10 Forward, batch 256")]
    [Work(Samples = InferenceBatch, Flops = 2 * InferenceBatch * Flops.Mlp784x512x256x10Weights)]
    public float ForwardBatch256()
    {
        _model.Forward(_inputs, _outputs, _workspace);
        return _outputs[0];
    }

    /// <summary>One SGD training step on a batch of 64 (as in <see cref="MlpBenchmarks.TrainStepBatch64"/>).</summary>
    [Benchmark(Description = "MLP 784-512-256-10 TrainStep SGD, batch 64")]
    [Work(Samples = TrainingBatch, Flops = 2 * TrainingBatch * ((2 * Flops.Mlp784x512x256x10Weights) + Flops.Mlp784x512x256x10HiddenWeights))]
    public float TrainStepBatch64()
        => _model.TrainStep(_inputs.AsSpan(0, TrainingBatch * Mlp784x512x256x10.InputSize), _targets, _sgd, _workspace);
}
