using System;

namespace NetDsl.Kernels;

/// <summary>
/// Loss functions over a batch. Each returns the mean loss and, when <c>gradient</c> is not empty, writes the gradient
/// of that mean with respect to each prediction (same length as the predictions).
/// </summary>
/// <remarks>
/// The loss is accumulated in double, so it stays accurate over large batches; gradients are written in float. These
/// loops touch each prediction once and cost far less than the layers before them, so they are kept scalar and plain.
/// </remarks>
public static class LossFunctions
{
    /// <summary><c>L = mean((y - t)²)</c> over all elements; <c>dL/dy = 2 (y - t) / count</c>.</summary>
    public static float MeanSquaredError(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient)
    {
        CheckLengths(predictions, targets, gradient);
        double count = predictions.Length;
        double sum = 0;
        bool writeGradient = !gradient.IsEmpty;
        for (int i = 0; i < predictions.Length; i++)
        {
            double difference = (double)predictions[i] - targets[i];
            sum += difference * difference;
            if (writeGradient)
            {
                gradient[i] = (float)(2 * difference / count);
            }
        }
        return (float)(sum / count);
    }

    /// <summary>
    /// Binary cross-entropy on logits, <c>L = mean(max(z,0) - z·t + log(1 + e^-|z|))</c> over all elements;
    /// <c>dL/dz = (σ(z) - t) / count</c>.
    /// </summary>
    public static float BinaryCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient)
    {
        CheckLengths(logits, targets, gradient);
        double count = logits.Length;
        double sum = 0;
        bool writeGradient = !gradient.IsEmpty;
        for (int i = 0; i < logits.Length; i++)
        {
            double z = logits[i], t = targets[i];
            // e^-|z| ≤ 1 never overflows; the same term gives σ(z) on either side of zero.
            double e = Math.Exp(-Math.Abs(z));
            sum += Math.Max(z, 0) - z * t + Math.Log(1 + e);
            if (writeGradient)
            {
                double sigmoid = z >= 0 ? 1 / (1 + e) : e / (1 + e);
                gradient[i] = (float)((sigmoid - t) / count);
            }
        }
        return (float)(sum / count);
    }

    /// <summary>
    /// Softmax cross-entropy on logits of rows of <paramref name="classes"/> elements, <c>L = mean over rows of
    /// -Σ_i t_i log softmax(z)_i</c> (targets are probabilities, usually one-hot); <c>dL/dz = (softmax(z) - t) / rows</c>.
    /// </summary>
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient, int classes)
    {
        CheckLengths(logits, targets, gradient);
        Guard.Rows(logits.Length, classes, nameof(logits), nameof(classes));
        int rows = logits.Length / classes;
        double sum = 0;
        bool writeGradient = !gradient.IsEmpty;
        for (int start = 0; start < logits.Length; start += classes)
        {
            ReadOnlySpan<float> z = logits.Slice(start, classes);
            ReadOnlySpan<float> t = targets.Slice(start, classes);

            // log Σ_j e^z_j, with the maximum taken out so the exponentials cannot overflow.
            float max = float.NegativeInfinity;
            for (int j = 0; j < classes; j++) max = MathF.Max(max, z[j]);
            double exponentials = 0;
            for (int j = 0; j < classes; j++) exponentials += Math.Exp((double)z[j] - max);
            double logSumExp = max + Math.Log(exponentials);

            // -Σ_i t_i log softmax(z)_i = Σ_i t_i (logSumExp - z_i).
            for (int i = 0; i < classes; i++)
            {
                sum += t[i] * (logSumExp - z[i]);
                if (writeGradient)
                {
                    gradient[start + i] = (float)((Math.Exp(z[i] - logSumExp) - t[i]) / rows);
                }
            }
        }
        return (float)(sum / rows);
    }

    /// <summary>
    /// The perceptron criterion on step outputs <c>y ∈ {0, 1}</c> and targets <c>t ∈ {0, 1}</c>: the loss is the fraction of
    /// wrong outputs and the gradient is <c>(y - t) / rows</c> for rows of <paramref name="outputs"/> elements, so a
    /// gradient step with learning rate <c>lr</c> is the perceptron rule <c>w += lr · (t - y) · x</c> averaged over the batch.
    /// </summary>
    public static float Perceptron(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs)
    {
        CheckLengths(predictions, targets, gradient);
        Guard.Rows(predictions.Length, outputs, nameof(predictions), nameof(outputs));
        float rows = predictions.Length / outputs;
        int wrong = 0;
        bool writeGradient = !gradient.IsEmpty;
        for (int i = 0; i < predictions.Length; i++)
        {
            if (predictions[i] != targets[i])
            {
                wrong++;
            }
            if (writeGradient)
            {
                gradient[i] = (predictions[i] - targets[i]) / rows;
            }
        }
        return (float)((double)wrong / predictions.Length);
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
