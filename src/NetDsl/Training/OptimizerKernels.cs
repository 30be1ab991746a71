using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NetDsl.Kernels;

namespace NetDsl;

/// <summary>Shared checks of the optimizers: argument ranges, and binding an optimizer to one parameter buffer.</summary>
internal static class OptimizerGuard
{
    /// <summary>Throws unless <paramref name="learningRate"/> is positive and finite.</summary>
    public static float LearningRate(float learningRate, string parameterName)
        => float.IsFinite(learningRate) && learningRate > 0f
            ? learningRate
            : throw new ArgumentOutOfRangeException(parameterName, learningRate, "The learning rate must be positive and finite.");

    /// <summary>Throws unless <paramref name="value"/> is in [0, 1).</summary>
    public static float UnitInterval(float value, string parameterName)
        => value >= 0f && value < 1f
            ? value
            : throw new ArgumentOutOfRangeException(parameterName, value, "Must be in [0, 1).");

    /// <summary>Throws unless <paramref name="value"/> is finite and not negative.</summary>
    public static float NonNegative(float value, string parameterName)
        => float.IsFinite(value) && value >= 0f
            ? value
            : throw new ArgumentOutOfRangeException(parameterName, value, "Must be finite and not negative.");

    /// <summary>
    /// Checks a step's spans, and binds the optimizer to the parameter count on its first step (<paramref name="boundLength"/>
    /// is -1 until then). Returns true on the first step, when the caller sizes its state.
    /// </summary>
    public static bool Bind(Span<float> parameters, ReadOnlySpan<float> gradients, ref int boundLength)
    {
        Guard.SameLength(gradients.Length, parameters.Length, nameof(gradients), nameof(parameters));
        if (boundLength < 0)
        {
            boundLength = parameters.Length;
            return true;
        }
        if (parameters.Length != boundLength)
        {
            throw new InvalidOperationException(
                $"This optimizer is bound to {boundLength} parameters (its state was sized by its first Step), but was given {parameters.Length}. Use one optimizer per parameter buffer.");
        }
        return false;
    }
}

/// <summary>The optimizers' update loops, written once over <see cref="ISimd{TVec}"/>; the remainder runs at <see cref="SimdScalar"/>.</summary>
internal static class OptimizerKernels
{
    /// <summary><c>p -= lr · g</c>.</summary>
    public static void Sgd(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, SimdWidth width)
    {
        switch (width)
        {
            case SimdWidth.Vector512: Sgd<Simd512, Vector512<float>>(parameters, gradients, learningRate); break;
            case SimdWidth.Vector256: Sgd<Simd256, Vector256<float>>(parameters, gradients, learningRate); break;
            case SimdWidth.Vector128: Sgd<Simd128, Vector128<float>>(parameters, gradients, learningRate); break;
            default: Sgd<SimdScalar, float>(parameters, gradients, learningRate); break;
        }
    }

    /// <summary><c>v = μ v + g; p -= lr · v</c>.</summary>
    public static void SgdMomentum(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> velocity, float learningRate, float momentum, SimdWidth width)
    {
        switch (width)
        {
            case SimdWidth.Vector512: SgdMomentum<Simd512, Vector512<float>>(parameters, gradients, velocity, learningRate, momentum); break;
            case SimdWidth.Vector256: SgdMomentum<Simd256, Vector256<float>>(parameters, gradients, velocity, learningRate, momentum); break;
            case SimdWidth.Vector128: SgdMomentum<Simd128, Vector128<float>>(parameters, gradients, velocity, learningRate, momentum); break;
            default: SgdMomentum<SimdScalar, float>(parameters, gradients, velocity, learningRate, momentum); break;
        }
    }

    /// <summary>One Adam update with precomputed bias corrections; see <see cref="AdamStep"/>.</summary>
    public static void Adam(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v, in AdamStep step, SimdWidth width)
    {
        switch (width)
        {
            case SimdWidth.Vector512: Adam<Simd512, Vector512<float>>(parameters, gradients, m, v, step); break;
            case SimdWidth.Vector256: Adam<Simd256, Vector256<float>>(parameters, gradients, m, v, step); break;
            case SimdWidth.Vector128: Adam<Simd128, Vector128<float>>(parameters, gradients, m, v, step); break;
            default: Adam<SimdScalar, float>(parameters, gradients, m, v, step); break;
        }
    }

    private static void Sgd<TSimd, TVec>(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        int vectorEnd = parameters.Length - parameters.Length % TSimd.Count;
        Sgd<TSimd, TVec>(ref p, ref g, 0, vectorEnd, -learningRate);
        Sgd<SimdScalar, float>(ref p, ref g, vectorEnd, parameters.Length, -learningRate);
    }

    private static void Sgd<TSimd, TVec>(ref float p, ref float g, nint start, nint end, float negativeLearningRate)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        TVec scale = TSimd.Broadcast(negativeLearningRate);
        for (nint i = start; i < end; i += TSimd.Count)
        {
            TSimd.Store(TSimd.MultiplyAdd(scale, TSimd.Load(ref g, i), TSimd.Load(ref p, i)), ref p, i);
        }
    }

    private static void SgdMomentum<TSimd, TVec>(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> velocity, float learningRate, float momentum)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float v = ref MemoryMarshal.GetReference(velocity);
        int vectorEnd = parameters.Length - parameters.Length % TSimd.Count;
        SgdMomentum<TSimd, TVec>(ref p, ref g, ref v, 0, vectorEnd, -learningRate, momentum);
        SgdMomentum<SimdScalar, float>(ref p, ref g, ref v, vectorEnd, parameters.Length, -learningRate, momentum);
    }

    private static void SgdMomentum<TSimd, TVec>(ref float p, ref float g, ref float v, nint start, nint end, float negativeLearningRate, float momentum)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        TVec scale = TSimd.Broadcast(negativeLearningRate), mu = TSimd.Broadcast(momentum);
        for (nint i = start; i < end; i += TSimd.Count)
        {
            TVec velocity = TSimd.MultiplyAdd(mu, TSimd.Load(ref v, i), TSimd.Load(ref g, i));
            TSimd.Store(velocity, ref v, i);
            TSimd.Store(TSimd.MultiplyAdd(scale, velocity, TSimd.Load(ref p, i)), ref p, i);
        }
    }

    private static void Adam<TSimd, TVec>(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v, in AdamStep step)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        var state = new AdamState(ref MemoryMarshal.GetReference(parameters), ref MemoryMarshal.GetReference(gradients), ref MemoryMarshal.GetReference(m), ref MemoryMarshal.GetReference(v));
        int vectorEnd = parameters.Length - parameters.Length % TSimd.Count;
        state.Update<TSimd, TVec>(0, vectorEnd, step);
        state.Update<SimdScalar, float>(vectorEnd, parameters.Length, step);
    }

    /// <summary>References to the four buffers of one Adam step.</summary>
    private readonly ref struct AdamState
    {
        private readonly ref float _p;
        private readonly ref float _g;
        private readonly ref float _m;
        private readonly ref float _v;

        public AdamState(ref float p, ref float g, ref float m, ref float v)
        {
            _p = ref p;
            _g = ref g;
            _m = ref m;
            _v = ref v;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update<TSimd, TVec>(nint start, nint end, in AdamStep step) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            TVec beta1 = TSimd.Broadcast(step.Beta1), oneMinusBeta1 = TSimd.Broadcast(1f - step.Beta1);
            TVec beta2 = TSimd.Broadcast(step.Beta2), oneMinusBeta2 = TSimd.Broadcast(1f - step.Beta2);
            TVec inverseSqrtCorrection2 = TSimd.Broadcast(step.InverseSqrtBiasCorrection2);
            TVec epsilon = TSimd.Broadcast(step.Epsilon);
            TVec negativeStepSize = TSimd.Broadcast(-step.StepSize);
            for (nint i = start; i < end; i += TSimd.Count)
            {
                TVec g = TSimd.Load(ref _g, i);
                // m = β1 m + (1 - β1) g;  v = β2 v + (1 - β2) g²
                TVec m = TSimd.MultiplyAdd(beta1, TSimd.Load(ref _m, i), TSimd.Multiply(oneMinusBeta1, g));
                TVec v = TSimd.MultiplyAdd(beta2, TSimd.Load(ref _v, i), TSimd.Multiply(oneMinusBeta2, TSimd.Multiply(g, g)));
                TSimd.Store(m, ref _m, i);
                TSimd.Store(v, ref _v, i);
                // √v̂ + ε = √v / √(1 - β2^t) + ε;  p -= (lr / (1 - β1^t)) · m / (√v̂ + ε)
                TVec denominator = TSimd.MultiplyAdd(TSimd.Sqrt(v), inverseSqrtCorrection2, epsilon);
                TSimd.Store(TSimd.MultiplyAdd(negativeStepSize, TSimd.Divide(m, denominator), TSimd.Load(ref _p, i)), ref _p, i);
            }
        }
    }
}

/// <summary>
/// The scalars of one Adam step <c>t</c>: <c>StepSize = lr / (1 - β1^t)</c> folds in the first bias correction and
/// <c>InverseSqrtBiasCorrection2 = 1 / √(1 - β2^t)</c> the second, as in PyTorch's implementation.
/// </summary>
internal readonly record struct AdamStep(float Beta1, float Beta2, float Epsilon, float StepSize, float InverseSqrtBiasCorrection2);
