using System;

namespace NetDsl;

/// <summary>Updates parameters from their gradients. An optimizer keeps state (such as momentum) for one parameter buffer.</summary>
/// <remarks>
/// Implemented by <see cref="Sgd"/>, <see cref="Adagrad"/>, <see cref="RMSprop"/>, <see cref="Adam"/> and
/// <see cref="AdamW"/>, each with PyTorch's update rule and defaults.
/// </remarks>
public interface IOptimizer
{
    /// <summary>
    /// The step size <c>lr</c> of the next <see cref="Step"/>. A learning-rate schedule (<see cref="ILearningRateSchedule"/>)
    /// sets it between steps. Finite and not negative; at 0 a step leaves the parameters unchanged (the optimizer's state,
    /// such as momentum, still advances).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is negative, NaN or infinite.</exception>
    float LearningRate { get; set; }

    /// <summary>Applies one update to <paramref name="parameters"/> given <paramref name="gradients"/> of the same length.</summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients);
}
