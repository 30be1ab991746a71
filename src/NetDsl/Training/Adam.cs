using System;
using NetDsl.Kernels;

namespace NetDsl;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) as PyTorch's <c>torch.optim.Adam</c> without weight decay or AMSGrad. At step <c>t</c>
/// (from 1): <c>m = β1·m + (1-β1)·g</c>, <c>v = β2·v + (1-β2)·g²</c>, <c>m̂ = m / (1-β1^t)</c>, <c>v̂ = v / (1-β2^t)</c>,
/// <c>p -= lr·m̂ / (√v̂ + ε)</c>.
/// </summary>
/// <remarks>
/// One instance updates one parameter buffer: its first <see cref="Step"/> binds it to that buffer's length and allocates
/// the moments <c>m</c> and <c>v</c>, starting at zero. Later steps allocate nothing.
/// </remarks>
public sealed class Adam : IOptimizer
{
    private float _learningRate;
    private float[]? _m;
    private float[]? _v;
    private int _boundLength = -1;

    /// <summary>Creates the optimizer with PyTorch's defaults.</summary>
    /// <param name="learningRate">The step size <c>lr</c>; positive and finite.</param>
    /// <param name="beta1">The decay of the first moment <c>β1</c>, in [0, 1).</param>
    /// <param name="beta2">The decay of the second moment <c>β2</c>, in [0, 1).</param>
    /// <param name="epsilon">The term <c>ε</c> added to <c>√v̂</c>; finite and not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        _learningRate = OptimizerGuard.LearningRate(learningRate, nameof(learningRate));
        Beta1 = OptimizerGuard.UnitInterval(beta1, nameof(beta1));
        Beta2 = OptimizerGuard.UnitInterval(beta2, nameof(beta2));
        Epsilon = OptimizerGuard.NonNegative(epsilon, nameof(epsilon));
    }

    /// <summary>The step size <c>lr</c>; settable between steps for a learning-rate schedule. Positive and finite.</summary>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = OptimizerGuard.LearningRate(value, nameof(value));
    }

    /// <summary>The decay of the first moment, <c>β1</c>.</summary>
    public float Beta1 { get; }

    /// <summary>The decay of the second moment, <c>β2</c>.</summary>
    public float Beta2 { get; }

    /// <summary>The term <c>ε</c> added to <c>√v̂</c> for numerical stability.</summary>
    public float Epsilon { get; }

    /// <summary>The number of steps taken, <c>t</c> (0 before the first).</summary>
    public int StepCount { get; private set; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    /// <exception cref="InvalidOperationException">The optimizer was bound to a buffer of another length by an earlier step.</exception>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => StepAt(parameters, gradients, SimdDispatch.Best);

    internal void StepAt(Span<float> parameters, ReadOnlySpan<float> gradients, SimdWidth width)
    {
        if (OptimizerGuard.Bind(parameters, gradients, ref _boundLength))
        {
            _m = new float[parameters.Length];
            _v = new float[parameters.Length];
        }
        int t = ++StepCount;
        // The bias corrections in double: 1 - β^t loses digits in float when β^t is close to 1.
        double biasCorrection1 = 1 - Math.Pow(Beta1, t);
        double biasCorrection2 = 1 - Math.Pow(Beta2, t);
        var step = new AdamStep(Beta1, Beta2, Epsilon,
            StepSize: (float)(_learningRate / biasCorrection1),
            InverseSqrtBiasCorrection2: (float)(1 / Math.Sqrt(biasCorrection2)));
        OptimizerKernels.Adam(parameters, gradients, _m, _v, step, width);
    }
}
