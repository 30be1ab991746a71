using System;
using BenchmarkDotNet.Attributes;

namespace NetDsl.Benchmarks;

/// <summary>Single-sample latency of the small MLP 784-128-10.</summary>
[MemoryDiagnoser]
public class SmallMlpBenchmarks
{
    private readonly Mlp784x128x10 _model = new(seed: 1);
    private readonly Mlp784x128x10.Workspace _workspace = new(maxBatchSize: 1);
    private readonly float[] _input = BenchmarkData.Uniform(Mlp784x128x10.InputSize, seed: 2);
    private readonly float[] _output = new float[Mlp784x128x10.OutputSize];

    /// <summary>One sample through 784 → 128 ReLU → 10.</summary>
    [Benchmark(Description = "MLP 784-128-10 Forward, batch 1")]
    [Work(Samples = 1, Flops = 2 * Flops.Mlp784x128x10Weights)]
    public float ForwardBatch1()
    {
        _model.Forward(_input, _output, _workspace);
        return _output[0];
    }
}

/// <summary>Latency, inference throughput and training throughput of the MLP 784-512-256-10 of the Fashion-MNIST sample.</summary>
[MemoryDiagnoser]
public class MlpBenchmarks
{
    /// <summary>The batch size of the throughput benchmark.</summary>
    public const int InferenceBatch = 256;

    /// <summary>The batch size of the training benchmark.</summary>
    public const int TrainingBatch = 64;

    private readonly Mlp784x512x256x10 _model = new(seed: 1);
    private readonly Mlp784x512x256x10.Workspace _workspace = new(maxBatchSize: InferenceBatch);
    private readonly float[] _inputs = BenchmarkData.Uniform(InferenceBatch * Mlp784x512x256x10.InputSize, seed: 2);
    private readonly float[] _outputs = new float[InferenceBatch * Mlp784x512x256x10.OutputSize];
    private readonly float[] _targets = BenchmarkData.OneHot(TrainingBatch, Mlp784x512x256x10.OutputSize, seed: 3);
    private readonly Sgd _sgd = new(learningRate: 0.01f, momentum: 0.9f);

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

    /// <summary>
    /// One SGD training step (forward, softmax cross-entropy, backward, momentum update) on a batch of 64.
    /// Flops: forward and weight gradients over all layers, input gradients of the hidden layers only.
    /// </summary>
    [Benchmark(Description = "MLP 784-512-256-10 TrainStep SGD, batch 64")]
    [Work(Samples = TrainingBatch, Flops = 2 * TrainingBatch * ((2 * Flops.Mlp784x512x256x10Weights) + Flops.Mlp784x512x256x10HiddenWeights))]
    public float TrainStepBatch64()
        => _model.TrainStep(
            _inputs.AsSpan(0, TrainingBatch * Mlp784x512x256x10.InputSize),
            _targets,
            _sgd,
            _workspace);
}
