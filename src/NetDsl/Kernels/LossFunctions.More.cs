using System;

namespace NetDsl.Kernels;

// Losses beyond the four the declaration's Loss enum started with: robust regression (MAE, Huber), counts (Poisson),
// margins (hinge, multi-class hinge) and distributions (KL divergence). Each follows PyTorch's definition and the
// uniform overload described on the class.
public static partial class LossFunctions
{
    // ------------------------------------------------------------------ Mean absolute error

    /// <summary>
    /// Mean absolute error, <c>ℓ_s = mean_j |y_sj - t_sj|</c> (PyTorch <c>L1Loss</c>); <c>dℓ/dy = sign(y - t) / outputs</c>,
    /// 0 where <c>y = t</c>. See the class remarks for the shapes, the weighting and the gradient.
    /// </summary>
    /// <param name="predictions">The predictions <c>y</c>, <c>[rows, outputs]</c>.</param>
    /// <param name="targets">The targets <c>t</c>, same shape.</param>
    /// <param name="gradient">Receives <c>dL/dy</c>, same shape; empty to skip it.</param>
    /// <param name="outputs">The number of outputs per sample (the row length).</param>
    /// <param name="sampleWeights">One weight per row; empty for all 1.</param>
    public static float MeanAbsoluteError(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights)
        => Elementwise(new AbsoluteError(), predictions, targets, gradient, outputs, sampleWeights);

    private readonly struct AbsoluteError : IElementLoss
    {
        public double Evaluate(double y, double t, out double derivative)
        {
            double difference = y - t;
            derivative = Math.Sign(difference);
            return Math.Abs(difference);
        }
    }

    // ------------------------------------------------------------------ Huber

    /// <summary>
    /// Huber loss (PyTorch <c>HuberLoss</c>): with <c>d = y - t</c>, <c>ℓ_s = mean_j h(d)</c> where <c>h(d) = ½d²</c> if
    /// <c>|d| ≤ δ</c> and <c>δ(|d| - ½δ)</c> otherwise: squared near the target, linear (robust to outliers) beyond δ.
    /// <c>h'(d) = d</c> if <c>|d| ≤ δ</c>, else <c>δ·sign(d)</c>. See the class remarks for the shapes, the weighting and the gradient.
    /// </summary>
    /// <param name="predictions">The predictions <c>y</c>, <c>[rows, outputs]</c>.</param>
    /// <param name="targets">The targets <c>t</c>, same shape.</param>
    /// <param name="gradient">Receives <c>dL/dy</c>, same shape; empty to skip it.</param>
    /// <param name="outputs">The number of outputs per sample (the row length).</param>
    /// <param name="sampleWeights">One weight per row; empty for all 1.</param>
    /// <param name="delta">Where the loss turns from quadratic to linear, δ &gt; 0; 1 by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not a positive finite number.</exception>
    public static float Huber(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights, float delta = 1f)
    {
        if (!(delta > 0) || !float.IsFinite(delta))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "Huber's delta must be a positive finite number (1 is PyTorch's default).");
        }

        return Elementwise(new HuberError(delta), predictions, targets, gradient, outputs, sampleWeights);
    }

    private readonly struct HuberError(double delta) : IElementLoss
    {
        public double Evaluate(double y, double t, out double derivative)
        {
            double difference = y - t;
            if (Math.Abs(difference) <= delta)
            {
                derivative = difference;
                return 0.5 * difference * difference;
            }

            derivative = delta * Math.Sign(difference);
            return delta * (Math.Abs(difference) - 0.5 * delta);
        }
    }

    // ------------------------------------------------------------------ Poisson

    /// <summary>
    /// Poisson negative log-likelihood on log-rates (PyTorch <c>PoissonNLLLoss(log_input=True, full=False)</c>): the
    /// predictions are <c>z = log λ</c>, <c>ℓ_s = mean_j (e^z - t·z)</c> (the constant <c>log t!</c> is left out);
    /// <c>dℓ/dz = (e^z - t) / outputs</c>. See the class remarks for the shapes, the weighting and the gradient.
    /// </summary>
    /// <param name="predictions">The log-rates <c>z</c>, <c>[rows, outputs]</c> (a network's linear output).</param>
    /// <param name="targets">The observed counts <c>t ≥ 0</c>, same shape.</param>
    /// <param name="gradient">Receives <c>dL/dz</c>, same shape; empty to skip it.</param>
    /// <param name="outputs">The number of outputs per sample (the row length).</param>
    /// <param name="sampleWeights">One weight per row; empty for all 1.</param>
    public static float Poisson(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights)
        => Elementwise(new PoissonDeviance(), predictions, targets, gradient, outputs, sampleWeights);

    private readonly struct PoissonDeviance : IElementLoss
    {
        public double Evaluate(double z, double t, out double derivative)
        {
            double rate = Math.Exp(z);
            derivative = rate - t;
            return rate - t * z;
        }
    }

    // ------------------------------------------------------------------ Hinge

    /// <summary>
    /// Binary hinge loss (the soft-margin SVM loss) on scores <c>y</c> with targets <c>t ∈ {0, 1}</c> mapped to signs
    /// <c>s = 2t - 1</c>: <c>ℓ_s = mean_j max(0, 1 - s·y)</c>; <c>dℓ/dy = -s / outputs</c> where <c>s·y &lt; 1</c>, else 0.
    /// Predict class 1 where <c>y ≥ 0</c>. See the class remarks for the shapes, the weighting and the gradient.
    /// </summary>
    /// <param name="predictions">The scores <c>y</c>, <c>[rows, outputs]</c> (a linear output, no sigmoid).</param>
    /// <param name="targets">The targets, each 0 or 1, same shape.</param>
    /// <param name="gradient">Receives <c>dL/dy</c>, same shape; empty to skip it.</param>
    /// <param name="outputs">The number of outputs per sample (the row length).</param>
    /// <param name="sampleWeights">One weight per row; empty for all 1.</param>
    /// <exception cref="ArgumentException">A target is neither 0 nor 1 (for ±1 labels, pass <c>(t + 1) / 2</c>).</exception>
    public static float Hinge(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights)
    {
        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i] != 0f && targets[i] != 1f)
            {
                throw new ArgumentException(
                    $"targets[{i}] is {targets[i]}; the hinge loss takes targets 0 or 1 (mapped to -1 and +1). For targets already in ±1, pass (t + 1) / 2.",
                    nameof(targets));
            }
        }

        return Elementwise(new HingeError(), predictions, targets, gradient, outputs, sampleWeights);
    }

    private readonly struct HingeError : IElementLoss
    {
        public double Evaluate(double y, double t, out double derivative)
        {
            double sign = 2 * t - 1;
            double slack = 1 - sign * y;
            derivative = slack > 0 ? -sign : 0;
            return Math.Max(slack, 0);
        }
    }

    // ------------------------------------------------------------------ Multi-class hinge

    /// <summary>
    /// Multi-class hinge loss (PyTorch <c>MultiMarginLoss</c> with <c>p = 1</c>, Weston–Watkins style): with <c>c</c> the
    /// index of the largest target of the row (the first on ties; one-hot rows give the class) and <c>C = outputs</c>,
    /// <c>ℓ_s = Σ_{j≠c} max(0, margin - z_c + z_j) / C</c>. Each violated margin adds <c>1 / C</c> to <c>dℓ/dz_j</c> and
    /// subtracts it from <c>dℓ/dz_c</c>. See the class remarks for the shapes, the weighting and the gradient.
    /// </summary>
    /// <param name="predictions">The class scores <c>z</c>, <c>[rows, outputs]</c> (a linear output).</param>
    /// <param name="targets">One-hot target rows (the argmax is the class), same shape.</param>
    /// <param name="gradient">Receives <c>dL/dz</c>, same shape; empty to skip it.</param>
    /// <param name="outputs">The number of classes <c>C</c> (the row length).</param>
    /// <param name="sampleWeights">One weight per row; empty for all 1.</param>
    /// <param name="margin">The margin by which the true class's score should exceed the others; 1 by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="margin"/> is not finite.</exception>
    public static float MultiClassHinge(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights, float margin = 1f)
    {
        if (!float.IsFinite(margin))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The margin must be finite (1 is PyTorch's default).");
        }

        double totalWeight = CheckBatch(predictions, targets, gradient, outputs, sampleWeights, out int rows);
        double normalizer = outputs * totalWeight;
        double sum = 0;
        bool writeGradient = !gradient.IsEmpty;
        for (int r = 0; r < rows; r++)
        {
            int start = r * outputs;
            ReadOnlySpan<float> z = predictions.Slice(start, outputs);
            ReadOnlySpan<float> t = targets.Slice(start, outputs);
            double w = sampleWeights.IsEmpty ? 1.0 : sampleWeights[r];
            int c = FirstArgMax(t);
            double step = w / normalizer;
            Span<float> g = writeGradient ? gradient.Slice(start, outputs) : default;
            g.Clear();
            double trueClassGradient = 0;
            for (int j = 0; j < outputs; j++)
            {
                if (j == c)
                {
                    continue;
                }

                double violation = margin - (double)z[c] + z[j];
                if (violation > 0)
                {
                    sum += w * violation;
                    if (writeGradient)
                    {
                        g[j] = (float)step;
                        trueClassGradient -= step;
                    }
                }
            }

            if (writeGradient)
            {
                g[c] = (float)trueClassGradient;
            }
        }

        return (float)(sum / normalizer);
    }

    private static int FirstArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++)
        {
            if (row[j] > row[best])
            {
                best = j;
            }
        }

        return best;
    }

    // ------------------------------------------------------------------ Kullback–Leibler divergence

    /// <summary>
    /// Kullback–Leibler divergence from the predicted distribution <c>q = softmax(z)</c> to the target distribution
    /// <c>t</c>: <c>ℓ_s = Σ_j t_j (log t_j - log q_j)</c>, with <c>0·log 0 = 0</c> (PyTorch
    /// <c>KLDivLoss(reduction='batchmean')</c> applied to <c>log_softmax(z)</c>); <c>dℓ/dz = (Σ_j t_j)·q - t</c>, which is
    /// <c>q - t</c> for target rows that sum to 1. It differs from softmax cross-entropy only by the constant entropy of
    /// <c>t</c>, so it is 0 exactly when <c>q = t</c>. See the class remarks for the shapes, the weighting and the gradient.
    /// </summary>
    /// <param name="predictions">The logits <c>z</c>, <c>[rows, outputs]</c>.</param>
    /// <param name="targets">The target probabilities, each finite and ≥ 0 (rows normally sum to 1), same shape.</param>
    /// <param name="gradient">Receives <c>dL/dz</c>, same shape; empty to skip it.</param>
    /// <param name="outputs">The number of classes (the row length).</param>
    /// <param name="sampleWeights">One weight per row; empty for all 1.</param>
    /// <exception cref="ArgumentException">A target is negative or not finite.</exception>
    public static float KullbackLeibler(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights)
    {
        double totalWeight = CheckBatch(predictions, targets, gradient, outputs, sampleWeights, out int rows);
        for (int i = 0; i < targets.Length; i++)
        {
            if (!(targets[i] >= 0) || !float.IsFinite(targets[i]))
            {
                throw new ArgumentException($"targets[{i}] is {targets[i]}; KL divergence targets are probabilities (finite and non-negative).", nameof(targets));
            }
        }

        double sum = 0;
        bool writeGradient = !gradient.IsEmpty;
        for (int r = 0; r < rows; r++)
        {
            int start = r * outputs;
            ReadOnlySpan<float> z = predictions.Slice(start, outputs);
            ReadOnlySpan<float> t = targets.Slice(start, outputs);
            double w = sampleWeights.IsEmpty ? 1.0 : sampleWeights[r];
            double logSumExp = LogSumExp(z);

            // t_j (log t_j - log q_j) with log q_j = z_j - logSumExp; a zero target contributes nothing.
            double targetSum = 0;
            for (int j = 0; j < outputs; j++)
            {
                double p = t[j];
                targetSum += p;
                if (p > 0)
                {
                    sum += w * (p * (Math.Log(p) - (z[j] - logSumExp)));
                }
            }

            if (writeGradient)
            {
                for (int j = 0; j < outputs; j++)
                {
                    gradient[start + j] = (float)(w * ((targetSum * Math.Exp(z[j] - logSumExp) - t[j]) / totalWeight));
                }
            }
        }

        return (float)(sum / totalWeight);
    }
}
