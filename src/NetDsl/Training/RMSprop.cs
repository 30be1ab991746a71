using System;
using NetDsl.Kernels;

namespace NetDsl;

/// <summary>
/// RMSprop (Hinton's lecture 6e; centered variant by Graves 2013) as PyTorch's <c>torch.optim.RMSprop</c>:
/// <c>g' = g + wd·p</c>, <c>s = α·s + (1-α)·g'²</c>; centered, also <c>a = α·a + (1-α)·g'</c> and
/// <c>d = √(s - a²) + ε</c>, otherwise <c>d = √s + ε</c>; with momentum <c>b = μ·b + g'/d</c> and <c>p -= lr·b</c>,
/// otherwise <c>p -= lr·g'/d</c>.
/// </summary>
/// <remarks>
/// <para>Centered, <c>s - a²</c> (an estimate of the gradient's variance) is clamped at 0 so rounding cannot make its
/// square root NaN.</para>
/// <para>One instance updates one parameter buffer: its first <see cref="Step"/> binds it to that buffer's length and
/// allocates its state (<c>s</c>, and <c>a</c> and <c>b</c> when used), starting at zero. Later steps allocate nothing.</para>
/// </remarks>
public sealed unsafe class RMSprop : IOptimizer
{
    private float _learningRate;
    private float[]? _squareAverage;
    private float[]? _gradientAverage;
    private float[]? _buffer;
    private int _boundLength = -1;

    /// <summary>Creates the optimizer with PyTorch's defaults.</summary>
    /// <param name="learningRate">The step size <c>lr</c>; positive and finite.</param>
    /// <param name="alpha">The smoothing constant <c>α</c> of the running averages, in [0, 1).</param>
    /// <param name="epsilon">The term <c>ε</c> added to the root mean square; finite and not negative.</param>
    /// <param name="momentum">The momentum <c>μ</c>; finite and not negative (0 for none).</param>
    /// <param name="centered">Whether to divide by the gradient's estimated standard deviation rather than its root mean square.</param>
    /// <param name="weightDecay">The L2 penalty <c>wd</c> added to the gradient as <c>wd·p</c>; finite and not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public RMSprop(float learningRate = 0.01f, float alpha = 0.99f, float epsilon = 1e-8f, float momentum = 0f, bool centered = false, float weightDecay = 0f)
    {
        _learningRate = OptimizerGuard.LearningRate(learningRate, nameof(learningRate));
        Alpha = OptimizerGuard.UnitInterval(alpha, nameof(alpha));
        Epsilon = OptimizerGuard.NonNegative(epsilon, nameof(epsilon));
        Momentum = OptimizerGuard.NonNegative(momentum, nameof(momentum));
        Centered = centered;
        WeightDecay = OptimizerGuard.NonNegative(weightDecay, nameof(weightDecay));
    }

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = OptimizerGuard.ScheduledLearningRate(value, nameof(value));
    }

    /// <summary>The smoothing constant <c>α</c> of the running averages.</summary>
    public float Alpha { get; }

    /// <summary>The term <c>ε</c> added to the root mean square for numerical stability.</summary>
    public float Epsilon { get; }

    /// <summary>The momentum <c>μ</c> (0 for none).</summary>
    public float Momentum { get; }

    /// <summary>Whether the update divides by the gradient's estimated standard deviation, <c>√(s - a²)</c>.</summary>
    public bool Centered { get; }

    /// <summary>The L2 penalty <c>wd</c> added to the gradient (0 for none).</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    /// <exception cref="InvalidOperationException">The optimizer was bound to a buffer of another length by an earlier step.</exception>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => StepAt(parameters, gradients, SimdDispatch.Best);

    internal void StepAt(Span<float> parameters, ReadOnlySpan<float> gradients, SimdWidth width)
    {
        if (OptimizerGuard.Bind(parameters, gradients, ref _boundLength))
        {
            _squareAverage = new float[parameters.Length];
            _gradientAverage = Centered ? new float[parameters.Length] : [];
            _buffer = Momentum != 0f ? new float[parameters.Length] : [];
        }
        // An empty state array pins as null: the update skips what it does not use.
        fixed (float* p = parameters, g = gradients, square = _squareAverage, mean = _gradientAverage, buffer = _buffer)
        {
            OptimizerKernels.Run(new RmspropUpdate(p, g, square, mean, buffer, _learningRate, WeightDecay, Alpha, Epsilon, Momentum), parameters.Length, width);
        }
    }
}
