using System;
using System.Collections.Generic;

namespace NetDsl.Data;

/// <summary>
/// k-fold cross-validation: the samples are dealt into <see cref="FoldCount"/> folds of sizes differing by at most one;
/// fold <c>f</c> serves once as the validation set while the other folds train. Seeded, so the same seed always gives
/// the same folds.
/// </summary>
/// <remarks>
/// <para>
/// Plain folds: the samples are taken in the order <c>Permutation.Create(Count, seed)</c> and dealt round-robin,
/// position <c>p</c> going to fold <c>p mod k</c> (like scikit-learn's <c>KFold(shuffle=True)</c>).
/// </para>
/// <para>
/// Stratified folds (<c>stratified: true</c>, like <c>StratifiedKFold(shuffle=True)</c>): the same shuffled order is
/// grouped by class (keeping the random order within each class) before dealing, so every fold holds
/// <c>floor</c> or <c>ceil</c> of <c>count_c / k</c> samples of each class <c>c</c>. A class with fewer than <c>k</c>
/// samples is then missing from some validation folds.
/// </para>
/// <para>Index sets are sorted ascending; the datasets keep the original sample order (shuffle mini-batches each epoch).</para>
/// </remarks>
/// <example>
/// <code>
/// foreach ((Dataset train, Dataset validation) in new KFold(5, seed: 1, stratified: true).Split(data))
/// {
///     // fit a fresh model on train (scaler fitted on train only), evaluate on validation
/// }
/// </code>
/// </example>
public sealed class KFold
{
    /// <summary>Prepares <paramref name="foldCount"/>-fold cross-validation.</summary>
    /// <param name="foldCount">The number of folds <c>k</c>, at least 2 (5 or 10 are usual).</param>
    /// <param name="seed">The seed of the shuffle that decides which sample goes to which fold.</param>
    /// <param name="stratified">True to keep the class proportions in every fold (classification datasets only).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="foldCount"/> is less than 2.</exception>
    public KFold(int foldCount, int seed, bool stratified = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(foldCount, 2);
        FoldCount = foldCount;
        Seed = seed;
        Stratified = stratified;
    }

    /// <summary>The number of folds.</summary>
    public int FoldCount { get; }

    /// <summary>The seed of the shuffle.</summary>
    public int Seed { get; }

    /// <summary>Whether the folds keep the class proportions.</summary>
    public bool Stratified { get; }

    /// <summary>The fold of each sample, <c>0 .. FoldCount - 1</c>.</summary>
    /// <exception cref="ArgumentException">The dataset has fewer samples than folds.</exception>
    /// <exception cref="InvalidOperationException">Stratified folds of a dataset without labels.</exception>
    public int[] AssignFolds(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.Count < FoldCount)
        {
            throw new ArgumentException($"{FoldCount}-fold cross-validation needs at least {FoldCount} samples; the dataset has {dataset.Count}.", nameof(dataset));
        }

        int[] order = Permutation.Create(dataset.Count, Seed);
        if (Stratified)
        {
            ClassWeights.RequireLabels(dataset);
            ReadOnlySpan<int> labels = dataset.Labels;
            var grouped = new List<int>(order.Length);
            List<int>[] byClass = new List<int>[dataset.ClassCount];
            for (int c = 0; c < byClass.Length; c++)
            {
                byClass[c] = [];
            }

            foreach (int i in order)
            {
                byClass[labels[i]].Add(i);
            }

            foreach (List<int> members in byClass)
            {
                grouped.AddRange(members);
            }

            order = grouped.ToArray();
        }

        var folds = new int[dataset.Count];
        for (int p = 0; p < order.Length; p++)
        {
            folds[order[p]] = p % FoldCount;
        }

        return folds;
    }

    /// <summary>For each fold, the ascending indices of its training samples (all other folds) and of its validation samples.</summary>
    /// <exception cref="ArgumentException">The dataset has fewer samples than folds.</exception>
    /// <exception cref="InvalidOperationException">Stratified folds of a dataset without labels.</exception>
    public (int[] Train, int[] Validation)[] SplitIndices(Dataset dataset)
    {
        int[] folds = AssignFolds(dataset);
        var result = new (int[] Train, int[] Validation)[FoldCount];
        for (int f = 0; f < FoldCount; f++)
        {
            var train = new List<int>(folds.Length);
            var validation = new List<int>(folds.Length / FoldCount + 1);
            for (int i = 0; i < folds.Length; i++)
            {
                (folds[i] == f ? validation : train).Add(i);
            }

            result[f] = (train.ToArray(), validation.ToArray());
        }

        return result;
    }

    /// <summary>
    /// The <see cref="FoldCount"/> (train, validation) dataset pairs, one per fold in fold order; each pair is created when
    /// it is enumerated.
    /// </summary>
    /// <exception cref="ArgumentException">The dataset has fewer samples than folds.</exception>
    /// <exception cref="InvalidOperationException">Stratified folds of a dataset without labels.</exception>
    public IEnumerable<(Dataset Train, Dataset Validation)> Split(Dataset dataset)
    {
        (int[] Train, int[] Validation)[] splits = SplitIndices(dataset);
        return Enumerate(dataset, splits);

        static IEnumerable<(Dataset, Dataset)> Enumerate(Dataset dataset, (int[] Train, int[] Validation)[] splits)
        {
            foreach ((int[] train, int[] validation) in splits)
            {
                yield return (dataset.Select(train), dataset.Select(validation));
            }
        }
    }
}
