using System;
using NetDsl.Kernels;

namespace NetDsl;

/// <summary>
/// Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay, as PyTorch's
/// <c>torch.optim.SGD</c> without dampening: <c>g' = g + wd·p</c>; with momentum <c>v = μ·v + g'</c> and
/// <c>p -= lr·v</c>, or with Nesterov <c>p -= lr·(g' + μ·v)</c>; without momentum <c>p -= lr·g'</c>.
/// </summary>
/// <remarks>
/// One instance updates one parameter buffer: its first <see cref="Step"/> binds it to that buffer's length (and, with
/// momentum, allocates the velocity, starting at zero). Later steps allocate nothing.
/// </remarks>
public sealed unsafe class Sgd : IOptimizer
{
    private float _learningRate;
    private float[]? _velocity;
    private int _boundLength = -1;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">The step size <c>lr</c>; positive and finite.</param>
    /// <param name="momentum">The momentum <c>μ</c>; finite and not negative (0 for plain SGD).</param>
    /// <param name="weightDecay">The L2 penalty <c>wd</c> added to the gradient as <c>wd·p</c> (PyTorch's <c>weight_decay</c>); finite and not negative.</param>
    /// <param name="nesterov">Whether to use Nesterov momentum; as in PyTorch, requires <paramref name="momentum"/> &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    /// <exception cref="ArgumentException"><paramref name="nesterov"/> is set without momentum.</exception>
    public Sgd(float learningRate, float momentum = 0f, float weightDecay = 0f, bool nesterov = false)
    {
        _learningRate = OptimizerGuard.LearningRate(learningRate, nameof(learningRate));
        Momentum = OptimizerGuard.NonNegative(momentum, nameof(momentum));
        WeightDecay = OptimizerGuard.NonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && momentum == 0f)
        {
            throw new ArgumentException("Nesterov momentum requires a momentum above 0 (as in PyTorch): pass momentum, e.g. 0.9.", nameof(nesterov));
        }
        Nesterov = nesterov;
    }

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = OptimizerGuard.ScheduledLearningRate(value, nameof(value));
    }

    /// <summary>The momentum <c>μ</c> (0 for plain SGD).</summary>
    public float Momentum { get; }

    /// <summary>The L2 penalty <c>wd</c> added to the gradient as <c>wd·p</c> (0 for none).</summary>
    public float WeightDecay { get; }

    /// <summary>Whether the update uses Nesterov momentum, <c>g' + μ·v</c>, instead of the velocity <c>v</c>.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The spans' lengths differ.</exception>
    /// <exception cref="InvalidOperationException">The optimizer was bound to a buffer of another length by an earlier step.</exception>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => StepAt(parameters, gradients, SimdDispatch.Best);

    internal void StepAt(Span<float> parameters, ReadOnlySpan<float> gradients, SimdWidth width)
    {
        if (OptimizerGuard.Bind(parameters, gradients, ref _boundLength) && Momentum != 0f)
        {
            _velocity = new float[parameters.Length];
        }
        fixed (float* p = parameters, g = gradients, v = _velocity)
        {
            if (_velocity is null)
            {
                OptimizerKernels.Run(new SgdUpdate(p, g, _learningRate, WeightDecay), parameters.Length, width);
            }
            else
            {
                OptimizerKernels.Run(new SgdMomentumUpdate(p, g, v, _learningRate, WeightDecay, Momentum, Nesterov), parameters.Length, width);
            }
        }
    }
}
