using System;

namespace NetDsl.Data;

/// <summary>
/// Evaluation metrics over row-major model outputs. None of them allocates except <see cref="RocAuc"/>, which sorts a
/// copy of the scores. Precision, recall, F1 and the confusion matrix are in <see cref="ConfusionMatrix"/>.
/// </summary>
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

    /// <summary>The mean absolute error <c>mean(|p - t|)</c> over all values.</summary>
    /// <exception cref="ArgumentException">The spans are empty or of different lengths.</exception>
    public static double MeanAbsoluteError(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
    {
        CheckPair(predictions, targets);
        double sum = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            sum += Math.Abs((double)predictions[i] - targets[i]);
        }

        return sum / targets.Length;
    }

    /// <summary>
    /// The area under the ROC curve of binary scores: the probability that a random positive sample scores higher than a
    /// random negative one, ties counting one half (the Mann–Whitney U statistic over <c>n₁·n₀</c>, as scikit-learn's
    /// <c>roc_auc_score</c>). Computed from ranks with ties given their average rank, in <c>O(n log n)</c>.
    /// </summary>
    /// <param name="scores">One score per sample, larger meaning more likely class 1 (a probability or a logit).</param>
    /// <param name="labels">The true class of each sample, 0 or 1.</param>
    /// <exception cref="ArgumentException">
    /// The lengths differ, a score is NaN, a label is not 0 or 1, or only one class is present (the AUC is undefined).
    /// </exception>
    public static double RocAuc(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException($"scores ({scores.Length} values) and labels ({labels.Length}) must have the same length.", nameof(scores));
        }

        long positives = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] is not (0 or 1))
            {
                throw new ArgumentException($"labels[{i}] is {labels[i]}; ROC AUC takes binary labels 0 and 1.", nameof(labels));
            }

            if (float.IsNaN(scores[i]))
            {
                throw new ArgumentException($"scores[{i}] is NaN.", nameof(scores));
            }

            positives += labels[i];
        }

        long negatives = labels.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            throw new ArgumentException(
                $"ROC AUC needs both classes, but all {labels.Length} labels are {(positives == 0 ? 0 : 1)}; it is undefined (scikit-learn raises too).",
                nameof(labels));
        }

        float[] sorted = scores.ToArray();
        int[] sortedLabels = labels.ToArray();
        Array.Sort(sorted, sortedLabels);

        // Sum of the 1-based ranks of the positives, each run of equal scores sharing the average of its ranks.
        double positiveRankSum = 0;
        for (int start = 0; start < sorted.Length;)
        {
            int end = start + 1;
            while (end < sorted.Length && sorted[end] == sorted[start])
            {
                end++;
            }

            double averageRank = (start + 1 + end) / 2.0;
            for (int k = start; k < end; k++)
            {
                positiveRankSum += sortedLabels[k] * averageRank;
            }

            start = end;
        }

        double u = positiveRankSum - positives * (positives + 1) / 2.0;
        return u / ((double)positives * negatives);
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
