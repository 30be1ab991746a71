using System;
using NetDsl.Kernels;

namespace NetDsl;

/// <summary>
/// Adagrad (Duchi, Hazan &amp; Singer 2011) as PyTorch's <c>torch.optim.Adagrad</c>. At step <c>t</c> (from 1):
/// <c>clr = lr / (1 + (t-1)·lr_decay)</c>, <c>g' = g + wd·p</c>, <c>s += g'²</c>, <c>p -= clr·g' / (√s + ε)</c>.
/// </summary>
/// <remarks>
/// Each parameter's step shrinks as its squared gradients accumulate in <c>s</c>, which suits sparse features but
/// can stall long runs. One instance updates one parameter buffer: its first <see cref="Step"/> binds it to that
/// buffer's length and allocates <c>s</c>, filled with <see cref="InitialAccumulatorValue"/>. Later steps allocate nothing.
/// </remarks>
public sealed unsafe class Adagrad : IOptimizer
{
    private float _learningRate;
    private float[]? _sum;
    private int _boundLength = -1;

    /// <summary>Creates the optimizer with PyTorch's defaults.</summary>
    /// <param name="learningRate">The step size <c>lr</c>; positive and finite.</param>
    /// <param name="epsilon">The term <c>ε</c> added to <c>√s</c>; finite and not negative.</param>
    /// <param name="initialAccumulatorValue">The starting value of every sum of squares <c>s</c>; finite and not negative.</param>
    /// <param name="learningRateDecay">The decay <c>lr_decay</c> of the step size with the step count; finite and not negative.</param>
    /// <param name="weightDecay">The L2 penalty <c>wd</c> added to the gradient as <c>wd·p</c>; finite and not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public Adagrad(float learningRate = 0.01f, float epsilon = 1e-10f, float initialAccumulatorValue = 0f, float learningRateDecay = 0f, float weightDecay = 0f)
    {
        _learningRate = OptimizerGuard.LearningRate(learningRate, nameof(learningRate));
        Epsilon = OptimizerGuard.NonNegative(epsilon, nameof(epsilon));
        InitialAccumulatorValue = OptimizerGuard.NonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        LearningRateDecay = OptimizerGuard.NonNegative(learningRateDecay, nameof(learningRateDecay));
        WeightDecay = OptimizerGuard.NonNegative(weightDecay, nameof(weightDecay));
    }

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = OptimizerGuard.ScheduledLearningRate(value, nameof(value));
    }

    /// <summary>The term <c>ε</c> added to <c>√s</c> for numerical stability.</summary>
    public float Epsilon { get; }

    /// <summary>The starting value of every sum of squared gradients.</summary>
    public float InitialAccumulatorValue { get; }

    /// <summary>The decay of the step size with the step count, <c>lr_decay</c>.</summary>
    public float LearningRateDecay { get; }

    /// <summary>The L2 penalty <c>wd</c> added to the gradient (0 for none).</summary>
    public float WeightDecay { get; }

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
            _sum = new float[parameters.Length];
            _sum.AsSpan().Fill(InitialAccumulatorValue);
        }
        int t = ++StepCount;
        float decayedLearningRate = (float)(_learningRate / (1 + (t - 1) * (double)LearningRateDecay));
        fixed (float* p = parameters, g = gradients, sum = _sum)
        {
            OptimizerKernels.Run(new AdagradUpdate(p, g, sum, decayedLearningRate, WeightDecay, Epsilon), parameters.Length, width);
        }
    }
}
