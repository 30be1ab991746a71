using System;

namespace NetDsl;

/// <summary>Updates parameters from their gradients. An optimizer keeps state (such as momentum) for one parameter buffer.</summary>
public interface IOptimizer
{
    /// <summary>Applies one update to <paramref name="parameters"/> given <paramref name="gradients"/> of the same length.</summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients);
}
