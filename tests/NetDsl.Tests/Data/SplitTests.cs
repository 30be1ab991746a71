using System;
using System.Linq;
using NetDsl.Data;
using Xunit;

namespace NetDsl.Tests.Data;

/// <summary>Stratified splits and k-fold cross-validation: partitions, class proportions, determinism.</summary>
public sealed class SplitTests
{
    private static Dataset WithIds(int[] labels, int classCount)
        => Dataset.FromLabels(Enumerable.Range(0, labels.Length).Select(i => (float)i).ToArray(), 1, labels, classCount);

    private static int[] Ids(Dataset data) => data.Features.ToArray().Select(v => (int)v).ToArray();

    [Fact]
    public void Stratified_split_keeps_class_proportions_and_partitions_the_data()
    {
        Dataset wine = SklearnCsv.Load(DataTestFiles.Tabular("wine_data.csv"));   // 59, 71, 48
        Dataset data = WithIds(wine.Labels.ToArray(), 3);

        (Dataset train, Dataset test) = data.StratifiedSplit(0.8, seed: 7);

        Assert.Equal(142, train.Count);                                          // round(178 · 0.8)
        Assert.Equal(36, test.Count);
        // 59·0.8 = 47.2, 71·0.8 = 56.8, 48·0.8 = 38.4: floors 47+56+38 = 141, one more to the largest remainder (class 1).
        Assert.Equal([47, 57, 38], ClassWeights.Count(train.Labels, 3));
        Assert.Equal([12, 14, 10], ClassWeights.Count(test.Labels, 3));
        Assert.Equal(Enumerable.Range(0, 178), Ids(train).Concat(Ids(test)).Order());
        for (int i = 0; i < train.Count; i++) Assert.Equal(wine.GetLabel((int)train.GetFeatures(i)[0]), train.GetLabel(i));

        // Deterministic per seed, different across seeds, and shuffled (not in dataset order).
        Assert.Equal(Ids(train), Ids(data.StratifiedSplit(0.8, seed: 7).First));
        Assert.NotEqual(Ids(train), Ids(data.StratifiedSplit(0.8, seed: 8).First));
        Assert.NotEqual(Ids(train).Order(), Ids(train));
    }

    [Fact]
    public void Stratified_split_quota_is_floor_or_ceil_of_each_share()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 200; trial++)
        {
            int classes = 1 + random.Next(5);
            int[] counts = Enumerable.Range(0, classes).Select(_ => random.Next(30)).ToArray();
            counts[0] += 2;
            int n = counts.Sum();
            double fraction = 0.05 + 0.9 * random.NextDouble();
            int first = (int)Math.Round(n * fraction, MidpointRounding.AwayFromZero);
            int[] quota = Dataset.StratifiedQuota(counts, first, fraction);
            Assert.Equal(first, quota.Sum());
            for (int c = 0; c < classes; c++)
                Assert.InRange(quota[c], (int)Math.Floor(counts[c] * fraction), (int)Math.Ceiling(counts[c] * fraction));
        }
    }

    [Fact]
    public void Stratified_split_errors()
    {
        Dataset regression = new([1f, 2f, 3f], 1, [1f, 2f, 3f], 1);
        Assert.Throws<InvalidOperationException>(() => regression.StratifiedSplit(0.5, 1));
        Dataset two = WithIds([0, 1], 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => two.StratifiedSplit(0.1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => two.StratifiedSplit(1.0, 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KFold_validation_folds_partition_the_data_and_train_is_the_complement(bool stratified)
    {
        Dataset breastCancer = SklearnCsv.Load(DataTestFiles.Tabular("breast_cancer.csv"));   // 212 / 357
        Dataset data = WithIds(breastCancer.Labels.ToArray(), 2);
        var kfold = new KFold(5, seed: 11, stratified);

        var splits = kfold.SplitIndices(data);
        Assert.Equal(5, splits.Length);
        Assert.Equal(Enumerable.Range(0, 569), splits.SelectMany(s => s.Validation).Order());
        foreach ((int[] train, int[] validation) in splits)
        {
            Assert.InRange(validation.Length, 113, 114);                                  // 569 / 5 = 113.8
            Assert.Equal(Enumerable.Range(0, 569), train.Concat(validation).Order());
            Assert.Equal(train.Order(), train);
            Assert.Empty(train.Intersect(validation));
            if (stratified)
            {
                int malignant = validation.Count(i => data.GetLabel(i) == 0);
                Assert.InRange(malignant, 42, 43);                                       // 212 / 5 = 42.4
            }
        }

        // The datasets match the index sets; same seed same folds; another seed other folds.
        int fold = 0;
        foreach ((Dataset train, Dataset validation) in kfold.Split(data))
        {
            Assert.Equal(splits[fold].Train, Ids(train));
            Assert.Equal(splits[fold].Validation, Ids(validation));
            fold++;
        }
        Assert.Equal(5, fold);
        Assert.Equal(kfold.AssignFolds(data), new KFold(5, 11, stratified).AssignFolds(data));
        Assert.NotEqual(kfold.AssignFolds(data), new KFold(5, 12, stratified).AssignFolds(data));
    }

    [Fact]
    public void Stratified_KFold_spreads_every_class_evenly_even_when_tiny()
    {
        int[] labels = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 0, 0, 1, 2, 2, 0];   // counts 10, 4, 3
        Dataset data = WithIds(labels, 3);
        int[] folds = new KFold(3, seed: 2, stratified: true).AssignFolds(data);
        for (int c = 0; c < 3; c++)
        {
            int[] perFold = Enumerable.Range(0, 3).Select(f => labels.Where((l, i) => l == c && folds[i] == f).Count()).ToArray();
            Assert.True(perFold.Max() - perFold.Min() <= 1, $"class {c}: [{string.Join(",", perFold)}]");
        }
        int[] sizes = Enumerable.Range(0, 3).Select(f => folds.Count(x => x == f)).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 1);
    }

    [Fact]
    public void KFold_errors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KFold(1, 0));
        Dataset three = WithIds([0, 1, 0], 2);
        var e = Assert.Throws<ArgumentException>(() => new KFold(4, 0).SplitIndices(three));
        Assert.Contains("at least 4 samples", e.Message);
        Dataset regression = new([1f, 2f, 3f], 1, [1f, 2f, 3f], 1);
        Assert.Equal(3, new KFold(3, 0).SplitIndices(regression).Length);
        Assert.Throws<InvalidOperationException>(() => new KFold(3, 0, stratified: true).SplitIndices(regression));
    }
}
