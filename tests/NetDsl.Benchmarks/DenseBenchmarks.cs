using BenchmarkDotNet.Attributes;

namespace NetDsl.Benchmarks;

/// <summary>
/// One dense layer 512 → 512 at batch 512: the matrix kernels alone. Forward is <c>2·B·in·out</c> flops; the backward
/// pass computes the weight gradient <c>dzᵀ·x</c> and the input gradient <c>dz·W</c>, twice that again.
/// </summary>
[MemoryDiagnoser]
public class DenseBenchmarks
{
    /// <summary>The batch size.</summary>
    public const int Batch = 512;

    private const long ForwardFlops = 2L * Batch * Dense512.InputSize * Dense512.OutputSize;

    private readonly Dense512 _model = new(seed: 1);
    private readonly Dense512.Workspace _workspace = new(maxBatchSize: Batch);
    private readonly float[] _inputs = BenchmarkData.Uniform(Batch * Dense512.InputSize, seed: 2);
    private readonly float[] _outputs = new float[Batch * Dense512.OutputSize];
    private readonly float[] _outputGradient = BenchmarkData.Uniform(Batch * Dense512.OutputSize, seed: 3);
    private readonly float[] _inputGradient = new float[Batch * Dense512.InputSize];

    /// <summary><c>y = x·Wᵀ + b</c> for 512 samples.</summary>
    [Benchmark(Description = "Dense 512→512 Forward, batch 512")]
    [Work(Samples = Batch, Flops = ForwardFlops)]
    public float Forward()
    {
        _model.Forward(_inputs, _outputs, _workspace);
        return _outputs[0];
    }

    /// <summary>Forward, then the weight, bias and input gradients.</summary>
    [Benchmark(Description = "Dense 512→512 Forward+Backward, batch 512")]
    [Work(Samples = Batch, Flops = 3 * ForwardFlops)]
    public float ForwardBackward()
    {
        _model.Forward(_inputs, _outputs, _workspace);
        _model.Backward(_inputs, _outputGradient, _inputGradient, _workspace);
        return _inputGradient[0];
    }
}
