using System;

namespace NetDsl.Tests.Training;

/// <summary>
/// The optimizers' update rules in float64, transcribed from the pseudo-code of PyTorch's documentation
/// (<c>torch.optim.SGD</c>, <c>Adagrad</c>, <c>RMSprop</c>, <c>Adam</c>, <c>AdamW</c>), one element at a time, with
/// the state each keeps. Written independently of NetDsl's kernels, on purpose as plainly as the documentation.
/// </summary>
public abstract class ReferenceOptimizer
{
    /// <summary>The number of steps taken; <c>t</c> of the documentation during a step (1 for the first).</summary>
    protected int T { get; private set; }

    /// <summary>Applies one step to <paramref name="p"/>.</summary>
    public void Step(double[] p, double[] g)
    {
        T++;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = Update(i, p[i], g[i]);
        }
    }

    /// <summary>The new value of parameter <paramref name="i"/>.</summary>
    protected abstract double Update(int i, double p, double g);
}

/// <summary>
/// SGD: <c>g ← g + λθ</c>; with momentum μ, <c>b ← g</c> at t = 1, else <c>b ← μb + g</c> (no dampening);
/// Nesterov <c>g ← g + μb</c>, else <c>g ← b</c>; <c>θ ← θ - γg</c>.
/// </summary>
public sealed class SgdReference(int length, double lr, double momentum, double weightDecay, bool nesterov) : ReferenceOptimizer
{
    private readonly double[] _b = new double[length];

    protected override double Update(int i, double p, double g)
    {
        if (weightDecay != 0) g += weightDecay * p;
        if (momentum != 0)
        {
            _b[i] = T > 1 ? momentum * _b[i] + g : g;
            g = nesterov ? g + momentum * _b[i] : _b[i];
        }
        return p - lr * g;
    }
}

/// <summary>
/// Adagrad: <c>γ̃ ← γ / (1 + (t-1)η)</c>; <c>g ← g + λθ</c>; <c>state_sum ← state_sum + g²</c>;
/// <c>θ ← θ - γ̃ g / (√state_sum + ε)</c>, with <c>state_sum</c> starting at the initial accumulator value.
/// </summary>
public sealed class AdagradReference : ReferenceOptimizer
{
    private readonly double[] _stateSum;
    private readonly double _lr, _lrDecay, _weightDecay, _epsilon;

    public AdagradReference(int length, double lr, double lrDecay, double weightDecay, double initialAccumulatorValue, double epsilon)
    {
        _stateSum = new double[length];
        Array.Fill(_stateSum, initialAccumulatorValue);
        (_lr, _lrDecay, _weightDecay, _epsilon) = (lr, lrDecay, weightDecay, epsilon);
    }

    protected override double Update(int i, double p, double g)
    {
        double clr = _lr / (1 + (T - 1) * _lrDecay);
        if (_weightDecay != 0) g += _weightDecay * p;
        _stateSum[i] += g * g;
        return p - clr * g / (Math.Sqrt(_stateSum[i]) + _epsilon);
    }
}

/// <summary>
/// RMSprop: <c>g ← g + λθ</c>; <c>v ← αv + (1-α)g²</c>; <c>ṽ ← v</c>; centered: <c>g_ave ← α g_ave + (1-α)g</c>,
/// <c>ṽ ← ṽ - g_ave²</c>; with momentum <c>b ← μb + g / (√ṽ + ε)</c>, <c>θ ← θ - γb</c>; else
/// <c>θ ← θ - γ g / (√ṽ + ε)</c>.
/// </summary>
public sealed class RmspropReference(int length, double lr, double alpha, double epsilon, double weightDecay, double momentum, bool centered) : ReferenceOptimizer
{
    private readonly double[] _v = new double[length];
    private readonly double[] _gAve = new double[length];
    private readonly double[] _b = new double[length];

    protected override double Update(int i, double p, double g)
    {
        if (weightDecay != 0) g += weightDecay * p;
        _v[i] = alpha * _v[i] + (1 - alpha) * g * g;
        double vTilde = _v[i];
        if (centered)
        {
            _gAve[i] = alpha * _gAve[i] + (1 - alpha) * g;
            vTilde -= _gAve[i] * _gAve[i];
        }
        if (momentum > 0)
        {
            _b[i] = momentum * _b[i] + g / (Math.Sqrt(vTilde) + epsilon);
            return p - lr * _b[i];
        }
        return p - lr * g / (Math.Sqrt(vTilde) + epsilon);
    }
}

/// <summary>
/// Adam (<paramref name="decoupled"/> false: <c>g ← g + λθ</c>) and AdamW (true: <c>θ ← θ - γλθ</c>), then
/// <c>m ← β1 m + (1-β1)g</c>; <c>v ← β2 v + (1-β2)g²</c>; <c>m̂ ← m / (1-β1^t)</c>; <c>v̂ ← v / (1-β2^t)</c>;
/// <c>θ ← θ - γ m̂ / (√v̂ + ε)</c>.
/// </summary>
public sealed class AdamReference(int length, double lr, double beta1, double beta2, double epsilon, double weightDecay, bool decoupled) : ReferenceOptimizer
{
    private readonly double[] _m = new double[length];
    private readonly double[] _v = new double[length];

    protected override double Update(int i, double p, double g)
    {
        if (decoupled) p -= lr * weightDecay * p;
        else if (weightDecay != 0) g += weightDecay * p;
        _m[i] = beta1 * _m[i] + (1 - beta1) * g;
        _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
        double mHat = _m[i] / (1 - Math.Pow(beta1, T));
        double vHat = _v[i] / (1 - Math.Pow(beta2, T));
        return p - lr * mHat / (Math.Sqrt(vHat) + epsilon);
    }
}
