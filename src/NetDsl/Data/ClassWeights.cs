using System;

namespace NetDsl.Data;

/// <summary>
/// Class weights for imbalanced classification (cost-sensitive training): a weight per class, turned into a weight per
/// sample of each batch and passed as <c>sampleWeights</c> to the losses of <see cref="Kernels.LossFunctions"/>.
/// </summary>
/// <example>
/// <code>
/// float[] classWeights = ClassWeights.Balanced(train.Labels, train.ClassCount);
/// float[] sampleWeights = new float[batchSize];                       // once
/// foreach (MiniBatch batch in batches)
/// {
///     Span&lt;float&gt; weights = sampleWeights.AsSpan(0, batch.Count);
///     ClassWeights.ToSampleWeights(classWeights, batch.Labels, weights); // no allocation
///     // ... loss with sampleWeights: weights
/// }
/// </code>
/// </example>
public static class ClassWeights
{
    /// <summary>
    /// scikit-learn's <c>class_weight="balanced"</c>: <c>n / (k · count_c)</c> for <c>n</c> samples, <c>k</c> classes and
    /// <c>count_c</c> samples of class <c>c</c>. Every class then carries the same total weight <c>n / k</c>, and the
    /// weights average to 1 over the samples.
    /// </summary>
    /// <param name="labels">The class of each training sample.</param>
    /// <param name="classCount">The number of classes <c>k</c>.</param>
    /// <exception cref="ArgumentException">There are no labels, a label is out of range, or a class has no sample (its weight would be infinite).</exception>
    public static float[] Balanced(ReadOnlySpan<int> labels, int classCount)
    {
        int[] counts = Count(labels, classCount);
        var weights = new float[classCount];
        for (int c = 0; c < classCount; c++)
        {
            if (counts[c] == 0)
            {
                throw new ArgumentException(
                    $"Class {c} has no sample among the {labels.Length} labels, so its balanced weight n / (k·0) is undefined. " +
                    "Check classCount, or split with Dataset.StratifiedSplit so every class reaches the training set.",
                    nameof(labels));
            }

            weights[c] = (float)((double)labels.Length / ((double)classCount * counts[c]));
        }

        return weights;
    }

    /// <summary>The balanced class weights of a classification dataset (see <see cref="Balanced(ReadOnlySpan{int}, int)"/>).</summary>
    /// <exception cref="InvalidOperationException">The dataset has no labels.</exception>
    public static float[] Balanced(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        RequireLabels(dataset);
        return Balanced(dataset.Labels, dataset.ClassCount);
    }

    /// <summary>
    /// Writes <c>sampleWeights[i] = classWeights[labels[i]]</c>. Allocates nothing, so it can run for every batch.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="sampleWeights"/> is not as long as <paramref name="labels"/>, or a label has no class weight.</exception>
    public static void ToSampleWeights(ReadOnlySpan<float> classWeights, ReadOnlySpan<int> labels, Span<float> sampleWeights)
    {
        if (sampleWeights.Length != labels.Length)
        {
            throw new ArgumentException($"sampleWeights holds {sampleWeights.Length} values but there are {labels.Length} labels; slice it to the batch.", nameof(sampleWeights));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            int label = labels[i];
            if ((uint)label >= (uint)classWeights.Length)
            {
                throw new ArgumentException($"labels[{i}] is {label}, but there are {classWeights.Length} class weights.", nameof(labels));
            }

            sampleWeights[i] = classWeights[label];
        }
    }

    /// <summary>The number of samples of each class.</summary>
    /// <exception cref="ArgumentException">There are no labels or a label is outside <c>0 .. classCount - 1</c>.</exception>
    public static int[] Count(ReadOnlySpan<int> labels, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (labels.IsEmpty)
        {
            throw new ArgumentException("There are no labels.", nameof(labels));
        }

        var counts = new int[classCount];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentException($"labels[{i}] is {labels[i]}, outside 0..{classCount - 1}.", nameof(labels));
            }

            counts[labels[i]]++;
        }

        return counts;
    }

    internal static void RequireLabels(Dataset dataset)
    {
        if (!dataset.HasLabels)
        {
            throw new InvalidOperationException("This dataset has no labels: class weights, resampling and stratification need a classification dataset (Dataset.FromLabels, SklearnCsv.Load, Csv.LoadClassification).");
        }
    }
}
