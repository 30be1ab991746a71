using System;
using NetDsl.Kernels;

namespace NetDsl;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) as PyTorch's <c>torch.optim.Adam</c> without AMSGrad. At step <c>t</c> (from 1):
/// <c>g' = g + wd·p</c>, <c>m = β1·m + (1-β1)·g'</c>, <c>v = β2·v + (1-β2)·g'²</c>, <c>m̂ = m / (1-β1^t)</c>,
/// <c>v̂ = v / (1-β2^t)</c>, <c>p -= lr·m̂ / (√v̂ + ε)</c>.
/// </summary>
/// <remarks>
/// <para>Weight decay here is PyTorch's coupled L2 penalty, which the adaptive scaling weakens for parameters with large
/// gradients; <see cref="AdamW"/> decouples it, which usually regularizes better.</para>
/// <para>One instance updates one parameter buffer: its first <see cref="Step"/> binds it to that buffer's length and
/// allocates the moments <c>m</c> and <c>v</c>, starting at zero. Later steps allocate nothing.</para>
/// </remarks>
public sealed class Adam : IOptimizer
{
    private AdamMoments _moments;

    /// <summary>Creates the optimizer with PyTorch's defaults.</summary>
    /// <param name="learningRate">The step size <c>lr</c>; positive and finite.</param>
    /// <param name="beta1">The decay of the first moment <c>β1</c>, in [0, 1).</param>
    /// <param name="beta2">The decay of the second moment <c>β2</c>, in [0, 1).</param>
    /// <param name="epsilon">The term <c>ε</c> added to <c>√v̂</c>; finite and not negative.</param>
    /// <param name="weightDecay">The L2 penalty <c>wd</c> added to the gradient as <c>wd·p</c> (PyTorch's <c>weight_decay</c>); finite and not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
    {
        _moments = new AdamMoments(learningRate, beta1, beta2, epsilon);
        WeightDecay = OptimizerGuard.NonNegative(weightDecay, nameof(weightDecay));
    }

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _moments.LearningRate;
        set => _moments.LearningRate = OptimizerGuard.ScheduledLearningRate(value, nameof(value));
    }

    /// <summary>The decay of the first moment, <c>β1</c>.</summary>
    public float Beta1 => _moments.Beta1;

    /// <summary>The decay of the second moment, <c>β2</c>.</summary>
    public float Beta2 => _moments.Beta2;

    /// <summary>The term <c>ε</c> added to <c>√v̂</c> for numerical stability.</summary>
    public float Epsilon => _moments.Epsilon;

    /// <summary>The L2 penalty <c>wd</c> added to the gradient (0 for none).</summary>
    public float WeightDecay { get; }

    /// <summary>The number of steps taken, <c>t</c> (0 before the first).</summary>
    public int StepCount => _moments.StepCount;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    /// <exception cref="InvalidOperationException">The optimizer was bound to a buffer of another length by an earlier step.</exception>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => StepAt(parameters, gradients, SimdDispatch.Best);

    internal void StepAt(Span<float> parameters, ReadOnlySpan<float> gradients, SimdWidth width)
        => _moments.Step(parameters, gradients, coupledWeightDecay: WeightDecay, decoupledWeightDecay: 0f, width);
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019) as PyTorch's <c>torch.optim.AdamW</c> without AMSGrad: the weight decay is
/// decoupled from the gradient, applied first as <c>p -= lr·wd·p</c>, then the <see cref="Adam"/> update with the plain
/// gradient: <c>m = β1·m + (1-β1)·g</c>, <c>v = β2·v + (1-β2)·g²</c>, <c>p -= lr·m̂ / (√v̂ + ε)</c>.
/// </summary>
/// <remarks>
/// One instance updates one parameter buffer: its first <see cref="Step"/> binds it to that buffer's length and
/// allocates the moments <c>m</c> and <c>v</c>, starting at zero. Later steps allocate nothing. The decay applies to every
/// parameter, biases included, as when all parameters are in one PyTorch parameter group.
/// </remarks>
public sealed class AdamW : IOptimizer
{
    private AdamMoments _moments;

    /// <summary>Creates the optimizer with PyTorch's defaults.</summary>
    /// <param name="learningRate">The step size <c>lr</c>; positive and finite.</param>
    /// <param name="beta1">The decay of the first moment <c>β1</c>, in [0, 1).</param>
    /// <param name="beta2">The decay of the second moment <c>β2</c>, in [0, 1).</param>
    /// <param name="epsilon">The term <c>ε</c> added to <c>√v̂</c>; finite and not negative.</param>
    /// <param name="weightDecay">The decoupled decay <c>wd</c>: each step first scales the parameters by <c>1 - lr·wd</c>; finite and not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public AdamW(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
    {
        _moments = new AdamMoments(learningRate, beta1, beta2, epsilon);
        WeightDecay = OptimizerGuard.NonNegative(weightDecay, nameof(weightDecay));
    }

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _moments.LearningRate;
        set => _moments.LearningRate = OptimizerGuard.ScheduledLearningRate(value, nameof(value));
    }

    /// <summary>The decay of the first moment, <c>β1</c>.</summary>
    public float Beta1 => _moments.Beta1;

    /// <summary>The decay of the second moment, <c>β2</c>.</summary>
    public float Beta2 => _moments.Beta2;

    /// <summary>The term <c>ε</c> added to <c>√v̂</c> for numerical stability.</summary>
    public float Epsilon => _moments.Epsilon;

    /// <summary>The decoupled weight decay <c>wd</c>.</summary>
    public float WeightDecay { get; }

    /// <summary>The number of steps taken, <c>t</c> (0 before the first).</summary>
    public int StepCount => _moments.StepCount;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    /// <exception cref="InvalidOperationException">The optimizer was bound to a buffer of another length by an earlier step.</exception>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => StepAt(parameters, gradients, SimdDispatch.Best);

    internal void StepAt(Span<float> parameters, ReadOnlySpan<float> gradients, SimdWidth width)
        => _moments.Step(parameters, gradients, coupledWeightDecay: 0f, decoupledWeightDecay: WeightDecay, width);
}

/// <summary>The hyperparameters and state Adam and AdamW share: the moments, the step count and the bias corrections.</summary>
internal unsafe struct AdamMoments
{
    private float[]? _m;
    private float[]? _v;
    private int _boundLength;

    public AdamMoments(float learningRate, float beta1, float beta2, float epsilon)
    {
        LearningRate = OptimizerGuard.LearningRate(learningRate, nameof(learningRate));
        Beta1 = OptimizerGuard.UnitInterval(beta1, nameof(beta1));
        Beta2 = OptimizerGuard.UnitInterval(beta2, nameof(beta2));
        Epsilon = OptimizerGuard.NonNegative(epsilon, nameof(epsilon));
        _boundLength = -1;
    }

    public float LearningRate;
    public readonly float Beta1;
    public readonly float Beta2;
    public readonly float Epsilon;
    public int StepCount;

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, float coupledWeightDecay, float decoupledWeightDecay, SimdWidth width)
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
            StepSize: (float)(LearningRate / biasCorrection1),
            InverseSqrtBiasCorrection2: (float)(1 / Math.Sqrt(biasCorrection2)),
            CoupledWeightDecay: coupledWeightDecay,
            DecoupledScale: (float)(1 - (double)LearningRate * decoupledWeightDecay));
        fixed (float* p = parameters, g = gradients, m = _m, v = _v)
        {
            OptimizerKernels.Run(new AdamUpdate(p, g, m, v, step), parameters.Length, width);
        }
    }
}
