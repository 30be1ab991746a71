using System;

namespace NetDsl.Kernels;

/// <summary>
/// Loss functions over a batch. Each returns the (weighted) mean loss and, when <c>gradient</c> is not empty, writes the
/// gradient of that mean with respect to each prediction (same length as the predictions).
/// </summary>
/// <remarks>
/// <para>
/// Every loss has one uniform overload, the one generated training code calls:
/// <c>X(predictions, targets, gradient, outputs, sampleWeights, loss-specific parameters)</c>. The predictions, targets
/// and gradient are row-major <c>[rows, outputs]</c>; the loss of row <c>s</c> is a per-sample loss <c>ℓ_s</c> (its
/// definition is on each method, following PyTorch's); the returned loss is <c>Σ_s w_s·ℓ_s / Σ_s w_s</c>, with every
/// <c>w_s = 1</c> when <c>sampleWeights</c> is empty; and the gradient is the exact derivative of that return value.
/// Weights must be finite, non-negative, one per row, with a positive sum. Weighting a sample by an integer <c>w</c>
/// gives the same loss and gradient as repeating it <c>w</c> times.
/// </para>
/// <para>
/// The loss is accumulated in double, so it stays accurate over large batches; gradients are written in float. These
/// loops touch each prediction once and cost far less than the layers before them, so they are kept scalar and plain.
/// Nothing allocates.
/// </para>
/// </remarks>
public static partial class LossFunctions
{
    // ------------------------------------------------------------------ Mean squared error

    /// <summary><c>L = mean((y - t)²)</c> over all elements; <c>dL/dy = 2 (y - t) / count</c>.</summary>
    public static float MeanSquaredError(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient)
        => MeanSquaredError(predictions, targets, gradient, outputs: 1, sampleWeights: default);

    /// <summary>
    /// Mean squared error, <c>ℓ_s = mean_j (y_sj - t_sj)²</c> (PyTorch <c>MSELoss</c>); unweighted, the mean over all
    /// elements. See the class remarks for the shapes, the weighting and the gradient.
    /// </summary>
    /// <param name="predictions">The predictions <c>y</c>, <c>[rows, outputs]</c>.</param>
    /// <param name="targets">The targets <c>t</c>, same shape.</param>
    /// <param name="gradient">Receives <c>dL/dy</c>, same shape; empty to skip it.</param>
    /// <param name="outputs">The number of outputs per sample (the row length).</param>
    /// <param name="sampleWeights">One weight per row; empty for all 1.</param>
    public static float MeanSquaredError(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights)
        => Elementwise(new SquaredError(), predictions, targets, gradient, outputs, sampleWeights);

    private readonly struct SquaredError : IElementLoss
    {
        public double Evaluate(double y, double t, out double derivative)
        {
            double difference = y - t;
            derivative = 2 * difference;
            return difference * difference;
        }
    }

    // ------------------------------------------------------------------ Binary cross-entropy

    /// <summary>
    /// Binary cross-entropy on logits, <c>L = mean(max(z,0) - z·t + log(1 + e^-|z|))</c> over all elements;
    /// <c>dL/dz = (σ(z) - t) / count</c>.
    /// </summary>
    public static float BinaryCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient)
        => BinaryCrossEntropy(logits, targets, gradient, outputs: 1, sampleWeights: default);

    /// <summary>
    /// Binary cross-entropy on logits <c>z</c>, <c>ℓ_s = mean_j (max(z,0) - z·t + log(1 + e^-|z|))</c>, which is
    /// <c>-t log σ(z) - (1 - t) log(1 - σ(z))</c> computed without overflow (PyTorch <c>BCEWithLogitsLoss</c>);
    /// <c>dℓ/dz = (σ(z) - t) / outputs</c>. See the class remarks for the shapes, the weighting and the gradient.
    /// </summary>
    /// <param name="predictions">The logits <c>z</c>, <c>[rows, outputs]</c>.</param>
    /// <param name="targets">The targets, probabilities in [0, 1] (usually 0 or 1), same shape.</param>
    /// <param name="gradient">Receives <c>dL/dz</c>, same shape; empty to skip it.</param>
    /// <param name="outputs">The number of outputs per sample (the row length).</param>
    /// <param name="sampleWeights">One weight per row; empty for all 1.</param>
    public static float BinaryCrossEntropy(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights)
        => Elementwise(new LogisticLoss(), predictions, targets, gradient, outputs, sampleWeights);

    private readonly struct LogisticLoss : IElementLoss
    {
        public double Evaluate(double z, double t, out double derivative)
        {
            // e^-|z| ≤ 1 never overflows; the same term gives σ(z) on either side of zero.
            double e = Math.Exp(-Math.Abs(z));
            double sigmoid = z >= 0 ? 1 / (1 + e) : e / (1 + e);
            derivative = sigmoid - t;
            return Math.Max(z, 0) - z * t + Math.Log(1 + e);
        }
    }

    // ------------------------------------------------------------------ Softmax cross-entropy

    /// <summary>
    /// Softmax cross-entropy on logits of rows of <paramref name="classes"/> elements, <c>L = mean over rows of
    /// -Σ_i t_i log softmax(z)_i</c> (targets are probabilities, usually one-hot); <c>dL/dz = (softmax(z) - t) / rows</c>
    /// for target rows that sum to 1.
    /// </summary>
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient, int classes)
    {
        CheckLengths(logits, targets, gradient);
        Guard.Rows(logits.Length, classes, nameof(logits), nameof(classes));
        return SoftmaxCrossEntropy(logits, targets, gradient, classes, sampleWeights: default);
    }

    /// <summary>
    /// Softmax cross-entropy on logits <c>z</c> with optional label smoothing (PyTorch <c>CrossEntropyLoss</c> with
    /// probability targets and <c>label_smoothing = ε</c>): <c>ℓ_s = -Σ_j t'_j log softmax(z)_j</c> with
    /// <c>t' = (1 - ε)·t + ε / C</c> and <c>C = outputs</c>; <c>dℓ/dz = (Σ_j t'_j)·softmax(z) - t'</c>, which is
    /// <c>softmax(z) - t'</c> for target rows that sum to 1. See the class remarks for the shapes, the weighting and
    /// the gradient.
    /// </summary>
    /// <param name="predictions">The logits <c>z</c>, <c>[rows, outputs]</c>.</param>
    /// <param name="targets">The target probabilities (usually one-hot rows), same shape.</param>
    /// <param name="gradient">Receives <c>dL/dz</c>, same shape; empty to skip it.</param>
    /// <param name="outputs">The number of classes <c>C</c> (the row length).</param>
    /// <param name="sampleWeights">One weight per row; empty for all 1.</param>
    /// <param name="labelSmoothing">The smoothing <c>ε</c> in [0, 1]; 0 (the default) for plain cross-entropy.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is not in [0, 1].</exception>
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights, float labelSmoothing = 0f)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1] (PyTorch's range); 0 turns it off, 0.1 is usual.");
        }

        double totalWeight = CheckBatch(predictions, targets, gradient, outputs, sampleWeights, out int rows);
        double keep = 1.0 - labelSmoothing, spread = (double)labelSmoothing / outputs;
        double sum = 0;
        bool writeGradient = !gradient.IsEmpty;
        // A row's exponentials e_j = exp(z_j - max), kept for the gradient's softmax_j = e_j / Σe so each exp is taken once
        // (double exps dominate this loss: MLP-M's 64 × 10 took ~14 µs with two per element, a serial part of every step).
        Span<double> kept = outputs <= MaxKeptExponentials ? stackalloc double[MaxKeptExponentials] : default;
        for (int r = 0; r < rows; r++)
        {
            int start = r * outputs;
            ReadOnlySpan<float> z = predictions.Slice(start, outputs);
            ReadOnlySpan<float> t = targets.Slice(start, outputs);
            double w = sampleWeights.IsEmpty ? 1.0 : sampleWeights[r];
            Span<double> exponentials = kept.IsEmpty ? default : kept.Slice(0, outputs);
            double logSumExp = LogSumExp(z, exponentials, out double exponentialSum);

            // -Σ_j t'_j log softmax(z)_j = Σ_j t'_j (logSumExp - z_j).
            double targetSum = 0;
            for (int j = 0; j < outputs; j++)
            {
                double smoothed = keep * t[j] + spread;
                targetSum += smoothed;
                sum += w * (smoothed * (logSumExp - z[j]));
            }

            if (writeGradient)
            {
                for (int j = 0; j < outputs; j++)
                {
                    double smoothed = keep * t[j] + spread;
                    double softmax = exponentials.IsEmpty ? Math.Exp(z[j] - logSumExp) : exponentials[j] / exponentialSum;
                    gradient[start + j] = (float)(w * ((targetSum * softmax - smoothed) / totalWeight));
                }
            }
        }

        return (float)(sum / totalWeight);
    }

    // ------------------------------------------------------------------ Perceptron

    /// <summary>
    /// The perceptron criterion on step outputs <c>y ∈ {0, 1}</c> and targets <c>t ∈ {0, 1}</c>: the loss is the fraction of
    /// wrong outputs and the gradient is <c>(y - t) / rows</c> for rows of <paramref name="outputs"/> elements, so a
    /// gradient step with learning rate <c>lr</c> is the perceptron rule <c>w += lr · (t - y) · x</c> averaged over the batch.
    /// </summary>
    public static float Perceptron(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs)
        => Perceptron(predictions, targets, gradient, outputs, sampleWeights: default);

    /// <summary>
    /// The perceptron criterion with sample weights: <c>ℓ_s</c> is the fraction of wrong outputs of row <c>s</c>, the
    /// returned loss <c>Σ_s w_s·ℓ_s / Σ_s w_s</c>, and the gradient is the perceptron rule's error term
    /// <c>(y - t)·w_s / Σ_s w_s</c> (not the derivative of the step count, which is 0 almost everywhere);
    /// unweighted, <c>(y - t) / rows</c>.
    /// </summary>
    /// <param name="predictions">The step outputs <c>y ∈ {0, 1}</c>, <c>[rows, outputs]</c>.</param>
    /// <param name="targets">The targets <c>t ∈ {0, 1}</c>, same shape.</param>
    /// <param name="gradient">Receives the error term, same shape; empty to skip it.</param>
    /// <param name="outputs">The number of outputs per sample (the row length).</param>
    /// <param name="sampleWeights">One weight per row; empty for all 1.</param>
    public static float Perceptron(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights)
    {
        double totalWeight = CheckBatch(predictions, targets, gradient, outputs, sampleWeights, out int rows);
        float floatTotal = (float)totalWeight;
        double wrong = 0;
        bool writeGradient = !gradient.IsEmpty;
        for (int r = 0, i = 0; r < rows; r++)
        {
            float w = sampleWeights.IsEmpty ? 1f : sampleWeights[r];
            for (int j = 0; j < outputs; j++, i++)
            {
                if (predictions[i] != targets[i])
                {
                    wrong += w;
                }
                if (writeGradient)
                {
                    gradient[i] = (predictions[i] - targets[i]) * w / floatTotal;
                }
            }
        }

        return (float)(wrong / (outputs * totalWeight));
    }

    // ------------------------------------------------------------------ Shared machinery

    /// <summary>A loss applied to each element: its value and derivative at one prediction and target.</summary>
    private interface IElementLoss
    {
        double Evaluate(double prediction, double target, out double derivative);
    }

    /// <summary>
    /// <c>L = Σ_s w_s·mean_j f(y_sj, t_sj) / Σ_s w_s</c> and <c>dL/dy_sj = w_s·f'(y_sj, t_sj) / (outputs·Σ_s w_s)</c>. Unweighted,
    /// the terms are summed in element order and divided once by the element count, so the result is the plain mean.
    /// </summary>
    private static float Elementwise<TLoss>(TLoss loss, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights)
        where TLoss : struct, IElementLoss
    {
        double totalWeight = CheckBatch(predictions, targets, gradient, outputs, sampleWeights, out int rows);
        double normalizer = outputs * totalWeight;
        double sum = 0;
        bool writeGradient = !gradient.IsEmpty;
        for (int r = 0, i = 0; r < rows; r++)
        {
            double w = sampleWeights.IsEmpty ? 1.0 : sampleWeights[r];
            for (int j = 0; j < outputs; j++, i++)
            {
                double value = loss.Evaluate(predictions[i], targets[i], out double derivative);
                sum += w * value;
                if (writeGradient)
                {
                    gradient[i] = (float)(w * (derivative / normalizer));
                }
            }
        }

        return (float)(sum / normalizer);
    }

    /// <summary><c>log Σ_j e^z_j</c>, with the maximum taken out so the exponentials cannot overflow.</summary>
    private static double LogSumExp(ReadOnlySpan<float> z)
    {
        float max = float.NegativeInfinity;
        for (int j = 0; j < z.Length; j++) max = MathF.Max(max, z[j]);
        double exponentials = 0;
        for (int j = 0; j < z.Length; j++) exponentials += Math.Exp((double)z[j] - max);
        return max + Math.Log(exponentials);
    }

    /// <summary>The most classes whose exponentials <see cref="SoftmaxCrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, ReadOnlySpan{float}, float)"/> keeps on the stack (2 KB).</summary>
    private const int MaxKeptExponentials = 256;

    /// <summary>
    /// <see cref="LogSumExp(ReadOnlySpan{float})"/>, also writing <c>exp(z_j - max)</c> to <paramref name="exponentials"/>
    /// (unless empty) and returning their sum in <paramref name="sum"/>.
    /// </summary>
    private static double LogSumExp(ReadOnlySpan<float> z, Span<double> exponentials, out double sum)
    {
        float max = float.NegativeInfinity;
        for (int j = 0; j < z.Length; j++) max = MathF.Max(max, z[j]);
        sum = 0;
        for (int j = 0; j < z.Length; j++)
        {
            double e = Math.Exp((double)z[j] - max);
            if (!exponentials.IsEmpty) exponentials[j] = e;
            sum += e;
        }
        return max + Math.Log(sum);
    }

    /// <summary>
    /// Checks the shapes and the weights of a batch; returns <c>Σ_s w_s</c> (the row count when unweighted) and the row count.
    /// </summary>
    private static double CheckBatch(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights, out int rows)
    {
        CheckLengths(predictions, targets, gradient);
        Guard.Rows(predictions.Length, outputs, nameof(predictions), nameof(outputs));
        rows = predictions.Length / outputs;
        if (sampleWeights.IsEmpty)
        {
            return rows;
        }

        if (sampleWeights.Length != rows)
        {
            throw new ArgumentException(
                $"Expected one weight per sample, {rows} ({predictions.Length} predictions / {outputs} outputs), but got {sampleWeights.Length}; pass an empty span for equal weights.",
                nameof(sampleWeights));
        }

        double total = 0;
        for (int s = 0; s < sampleWeights.Length; s++)
        {
            float w = sampleWeights[s];
            if (!(w >= 0) || !float.IsFinite(w))
            {
                throw new ArgumentException($"sampleWeights[{s}] is {w}; sample weights must be finite and non-negative.", nameof(sampleWeights));
            }
            total += w;
        }

        if (!(total > 0))
        {
            throw new ArgumentException(
                $"The {rows} sample weights sum to 0, so the weighted mean is undefined; give at least one sample a positive weight.",
                nameof(sampleWeights));
        }

        return total;
    }

    private static void CheckLengths(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient)
    {
        if (predictions.IsEmpty)
        {
            throw new ArgumentException("A loss needs at least one prediction; got an empty span.", nameof(predictions));
        }
        Guard.SameLength(targets.Length, predictions.Length, nameof(targets), nameof(predictions));
        if (!gradient.IsEmpty)
        {
            Guard.SameLength(gradient.Length, predictions.Length, nameof(gradient), "the predictions (or 0 for no gradient)");
        }
    }
}
