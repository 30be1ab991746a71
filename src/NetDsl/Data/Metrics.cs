using System;

namespace NetDsl.Data;

/// <summary>Evaluation metrics over row-major model outputs. None of them allocates.</summary>
public static class Metrics
{
    /// <summary>
    /// The index of the largest value of <paramref name="row"/>; the lowest such index on ties. NaN values are never
    /// chosen; a row of only NaN gives -1 (so it never counts as a correct prediction).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="row"/> is empty.</exception>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        if (row.IsEmpty)
        {
            throw new ArgumentException("The row is empty.", nameof(row));
        }

        int best = -1;
        float bestValue = float.NegativeInfinity;
        for (int i = 0; i < row.Length; i++)
        {
            float value = row[i];
            if (!float.IsNaN(value) && (best < 0 || value > bestValue))
            {
                best = i;
                bestValue = value;
            }
        }

        return best;
    }

    /// <summary>
    /// The fraction of samples whose output row's <see cref="ArgMax"/> equals the label.
    /// </summary>
    /// <param name="outputs">Model outputs (scores, logits or probabilities), row-major <c>[labels.Length, classCount]</c>.</param>
    /// <param name="labels">The true class of each sample.</param>
    /// <param name="classCount">The number of classes (the width of an output row).</param>
    /// <exception cref="ArgumentException">There are no labels, or the lengths disagree.</exception>
    public static double Accuracy(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (labels.IsEmpty)
        {
            throw new ArgumentException("Accuracy needs at least one sample.", nameof(labels));
        }

        if (outputs.Length != (long)labels.Length * classCount)
        {
            throw new ArgumentException(
                $"outputs has {outputs.Length} values but labels.Length × classCount = {labels.Length} × {classCount} = {(long)labels.Length * classCount}.",
                nameof(outputs));
        }

        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (ArgMax(outputs.Slice(i * classCount, classCount)) == labels[i])
            {
                correct++;
            }
        }

        return (double)correct / labels.Length;
    }

    /// <summary>
    /// The coefficient of determination <c>R² = 1 - Σ(t - p)² / Σ(t - mean(t))²</c> over all values (a flat series;
    /// for several targets per sample it pools them). When the targets are all equal (zero variance) it follows
    /// scikit-learn: 1 for perfect predictions, otherwise 0.
    /// </summary>
    /// <exception cref="ArgumentException">The spans are empty or of different lengths.</exception>
    public static double RSquared(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
    {
        CheckPair(predictions, targets);
        double mean = 0;
        foreach (float t in targets)
        {
            mean += t;
        }

        mean /= targets.Length;
        double residual = 0, total = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            double r = (double)targets[i] - predictions[i];
            double d = targets[i] - mean;
            residual += r * r;
            total += d * d;
        }

        if (total == 0)
        {
            return residual == 0 ? 1.0 : 0.0;
        }

        return 1.0 - (residual / total);
    }

    /// <summary>The root mean squared error <c>sqrt(mean((p - t)²))</c> over all values.</summary>
    /// <exception cref="ArgumentException">The spans are empty or of different lengths.</exception>
    public static double RootMeanSquaredError(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
    {
        CheckPair(predictions, targets);
        double sum = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            double r = (double)predictions[i] - targets[i];
            sum += r * r;
        }

        return Math.Sqrt(sum / targets.Length);
    }

    private static void CheckPair(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
    {
        if (targets.IsEmpty || predictions.Length != targets.Length)
        {
            throw new ArgumentException(
                $"predictions ({predictions.Length} values) and targets ({targets.Length} values) must have the same non-zero length.",
                nameof(predictions));
        }
    }
}
