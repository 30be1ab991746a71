using System;
using NetDsl.Kernels;

namespace NetDsl;

/// <summary>
/// Stochastic gradient descent with optional momentum, as PyTorch's <c>torch.optim.SGD</c> (no dampening, weight decay or
/// Nesterov): <c>v = μ·v + g; p -= lr·v</c>, which for <c>μ = 0</c> is plain <c>p -= lr·g</c>.
/// </summary>
/// <remarks>
/// One instance updates one parameter buffer: its first <see cref="Step"/> binds it to that buffer's length (and, with
/// momentum, allocates the velocity, starting at zero). Later steps allocate nothing.
/// </remarks>
public sealed class Sgd : IOptimizer
{
    private float _learningRate;
    private float[]? _velocity;
    private int _boundLength = -1;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">The step size <c>lr</c>; positive and finite.</param>
    /// <param name="momentum">The momentum <c>μ</c>; finite and not negative (0 for plain SGD).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public Sgd(float learningRate, float momentum = 0f)
    {
        _learningRate = OptimizerGuard.LearningRate(learningRate, nameof(learningRate));
        Momentum = OptimizerGuard.NonNegative(momentum, nameof(momentum));
    }

    /// <summary>The step size <c>lr</c>; settable between steps for a learning-rate schedule. Positive and finite.</summary>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = OptimizerGuard.LearningRate(value, nameof(value));
    }

    /// <summary>The momentum <c>μ</c> (0 for plain SGD).</summary>
    public float Momentum { get; }

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
        if (_velocity is null)
        {
            OptimizerKernels.Sgd(parameters, gradients, _learningRate, width);
        }
        else
        {
            OptimizerKernels.SgdMomentum(parameters, gradients, _velocity, _learningRate, Momentum, width);
        }
    }
}
