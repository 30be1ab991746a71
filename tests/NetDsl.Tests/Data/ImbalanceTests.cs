using System;
using System.Linq;
using NetDsl.Data;
using Xunit;

namespace NetDsl.Tests.Data;

/// <summary>Class weights, over- and undersampling, on hand-made labels and on the imbalanced breast cancer data.</summary>
public sealed class ImbalanceTests
{
    private static Dataset WithIds(int[] labels, int classCount)
    {
        // Feature = the sample's index, so tests can tell which samples were kept or copied.
        float[] ids = Enumerable.Range(0, labels.Length).Select(i => (float)i).ToArray();
        return Dataset.FromLabels(ids, 1, labels, classCount);
    }

    [Fact]
    public void Balanced_weights_follow_sklearn()
    {
        // sklearn: compute_class_weight("balanced", classes=[0,1,2], y=[0,0,0,0,0,0,1,1,2,2,2,2]) = n / (k·count)
        int[] labels = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
        float[] weights = ClassWeights.Balanced(labels, 3);
        Assert.Equal([12f / 18, 12f / 6, 12f / 12], weights);

        // Every class then carries the same total weight n / k, and the weights average to 1 over the samples.
        float[] perSample = new float[labels.Length];
        ClassWeights.ToSampleWeights(weights, labels, perSample);
        Assert.Equal(1.0, perSample.Average(w => (double)w), 6);
        for (int c = 0; c < 3; c++)
            Assert.Equal(4.0, labels.Select((l, i) => l == c ? perSample[i] : 0.0).Sum(), 5);

        Dataset breastCancer = SklearnCsv.Load(DataTestFiles.Tabular("breast_cancer.csv"));
        Assert.Equal([569f / (2 * 212), 569f / (2 * 357)], ClassWeights.Balanced(breastCancer));
        Assert.Equal([212, 357], ClassWeights.Count(breastCancer.Labels, 2));
    }

    [Fact]
    public void Class_weight_errors_are_explained()
    {
        var e = Assert.Throws<ArgumentException>(() => ClassWeights.Balanced([0, 0, 2], 3));
        Assert.Contains("Class 1 has no sample", e.Message);
        Assert.Throws<ArgumentException>(() => ClassWeights.Balanced([0, 3], 3));
        Assert.Throws<ArgumentException>(() => ClassWeights.Balanced([], 3));
        Assert.Throws<ArgumentException>(() => ClassWeights.ToSampleWeights([1f, 2f], [0, 1, 1], new float[2]));
        e = Assert.Throws<ArgumentException>(() => ClassWeights.ToSampleWeights([1f, 2f], [0, 2], new float[2]));
        Assert.Contains("labels[1] is 2", e.Message);
        Dataset regression = new([1f, 2f], 1, [1f, 2f], 1);
        Assert.Throws<InvalidOperationException>(() => ClassWeights.Balanced(regression));
        Assert.Throws<InvalidOperationException>(() => Sampling.RandomOversample(regression, 1));
        Assert.Throws<InvalidOperationException>(() => Sampling.RandomUndersample(regression, 1));
    }

    [Fact]
    public void Oversampling_keeps_every_sample_and_copies_minority_samples_up_to_the_majority()
    {
        int[] labels = [0, 1, 0, 0, 2, 0, 0, 1, 0];      // counts 6, 2, 1
        Dataset data = WithIds(labels, 3);
        Dataset balanced = Sampling.RandomOversample(data, seed: 5);

        Assert.Equal(18, balanced.Count);
        Assert.Equal([6, 6, 6], ClassWeights.Count(balanced.Labels, 3));
        // The originals come first, in order; every copy is a real sample of its class with its features and targets.
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (float)i), balanced.Features[..9].ToArray());
        for (int i = 9; i < balanced.Count; i++)
        {
            int source = (int)balanced.GetFeatures(i)[0];
            Assert.Equal(labels[source], balanced.GetLabel(i));
            Assert.Equal(data.GetTargets(source).ToArray(), balanced.GetTargets(i).ToArray());
        }

        Assert.Equal(balanced.Features.ToArray(), Sampling.RandomOversample(data, seed: 5).Features.ToArray());
        Assert.NotEqual(balanced.Features.ToArray(), Sampling.RandomOversample(data, seed: 6).Features.ToArray());
    }

    [Fact]
    public void Undersampling_keeps_a_random_subset_of_each_class_of_the_minority_size()
    {
        int[] labels = [0, 1, 0, 0, 2, 0, 2, 1, 0, 1, 1];   // counts 5, 4, 2
        Dataset data = WithIds(labels, 3);
        Dataset balanced = Sampling.RandomUndersample(data, seed: 3);

        Assert.Equal(6, balanced.Count);
        Assert.Equal([2, 2, 2], ClassWeights.Count(balanced.Labels, 3));
        float[] kept = balanced.Features.ToArray();
        Assert.Equal(kept.Order(), kept);                   // original order
        Assert.Equal(kept.Length, kept.Distinct().Count()); // without replacement
        Assert.All(Enumerable.Range(0, 6), i => Assert.Equal(labels[(int)kept[i]], balanced.GetLabel(i)));

        // Over seeds, every sample of a majority class is sometimes kept (the choice is random, not the first ones).
        var seen = new bool[labels.Length];
        for (int seed = 0; seed < 40; seed++)
            foreach (float id in Sampling.RandomUndersample(data, seed).Features) seen[(int)id] = true;
        Assert.All(seen, Assert.True);
    }

    [Fact]
    public void Breast_cancer_resampling_balances_212_against_357()
    {
        Dataset data = SklearnCsv.Load(DataTestFiles.Tabular("breast_cancer.csv"));
        Assert.Equal([357, 357], ClassWeights.Count(Sampling.RandomOversample(data, 1).Labels, 2));
        Assert.Equal([212, 212], ClassWeights.Count(Sampling.RandomUndersample(data, 1).Labels, 2));
    }
}
