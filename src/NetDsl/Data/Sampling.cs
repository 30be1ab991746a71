using System;
using System.Collections.Generic;

namespace NetDsl.Data;

/// <summary>
/// Random over- and undersampling of a classification dataset so that every class has the same number of samples
/// (imbalanced-learn's <c>RandomOverSampler</c> and <c>RandomUnderSampler</c> with their default "auto" strategy).
/// Resample the training set only, never the validation or test set.
/// </summary>
/// <remarks>
/// Both are deterministic for a seed (<c>new Random(seed)</c>). Classes with no sample are left out of the balance
/// (they stay empty). The alternative that keeps the data as it is, weighting the loss instead, is
/// <see cref="ClassWeights"/>.
/// </remarks>
public static class Sampling
{
    /// <summary>
    /// Oversampling: every class is brought up to the count of the largest class by drawing extra copies of its samples
    /// uniformly at random with replacement. The result holds all the original samples, in their order, followed by
    /// the drawn copies, class after class; shuffle it (or its mini-batches each epoch) before training.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The dataset has no labels.</exception>
    public static Dataset RandomOversample(Dataset dataset, int seed)
    {
        List<int>[] byClass = IndicesByClass(dataset);
        int target = 0;
        foreach (List<int> members in byClass)
        {
            target = Math.Max(target, members.Count);
        }

        var random = new Random(seed);
        var indices = new List<int>(target * byClass.Length);
        for (int i = 0; i < dataset.Count; i++)
        {
            indices.Add(i);
        }

        foreach (List<int> members in byClass)
        {
            for (int k = members.Count; k > 0 && k < target; k++)
            {
                indices.Add(members[random.Next(members.Count)]);
            }
        }

        return dataset.Select(indices.ToArray());
    }

    /// <summary>
    /// Undersampling: every class is brought down to the count of the smallest non-empty class by keeping a uniformly
    /// random subset of its samples (without replacement). The kept samples stay in their original order.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The dataset has no labels.</exception>
    public static Dataset RandomUndersample(Dataset dataset, int seed)
    {
        List<int>[] byClass = IndicesByClass(dataset);
        int target = int.MaxValue;
        foreach (List<int> members in byClass)
        {
            if (members.Count > 0)
            {
                target = Math.Min(target, members.Count);
            }
        }

        var random = new Random(seed);
        var keep = new bool[dataset.Count];
        foreach (List<int> members in byClass)
        {
            // A partial Fisher–Yates shuffle: the first `target` positions become a uniform random subset.
            for (int i = 0; i < members.Count && i < target; i++)
            {
                int j = i + random.Next(members.Count - i);
                (members[i], members[j]) = (members[j], members[i]);
                keep[members[i]] = true;
            }
        }

        var indices = new List<int>();
        for (int i = 0; i < keep.Length; i++)
        {
            if (keep[i])
            {
                indices.Add(i);
            }
        }

        return dataset.Select(indices.ToArray());
    }

    /// <summary>The sample indices of each class, in dataset order.</summary>
    internal static List<int>[] IndicesByClass(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ClassWeights.RequireLabels(dataset);
        var byClass = new List<int>[dataset.ClassCount];
        for (int c = 0; c < byClass.Length; c++)
        {
            byClass[c] = [];
        }

        ReadOnlySpan<int> labels = dataset.Labels;
        for (int i = 0; i < labels.Length; i++)
        {
            byClass[labels[i]].Add(i);
        }

        return byClass;
    }
}
