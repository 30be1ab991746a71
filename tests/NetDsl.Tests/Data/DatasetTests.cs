using System;
using System.Linq;
using NetDsl.Data;
using Xunit;

namespace NetDsl.Tests.Data;

public sealed class DatasetTests
{
    // Sample i has features (i, 10 i) and label i % 3.
    private static Dataset Numbered(int count)
        => Dataset.FromLabels(
            Enumerable.Range(0, count).SelectMany(i => new[] { (float)i, 10f * i }).ToArray(), 2,
            Enumerable.Range(0, count).Select(i => i % 3).ToArray(), 3);

    [Fact]
    public void Constructors_validate_lengths_with_clear_messages()
    {
        var notRows = Assert.Throws<ArgumentException>(() => new Dataset(new float[5], 2, new float[2], 1));
        Assert.Contains("5 values, which is not a multiple of featureCount 2", notRows.Message);
        var targets = Assert.Throws<ArgumentException>(() => new Dataset(new float[6], 2, new float[4], 1));
        Assert.Contains("targets has 4 values but Count × targetCount = 3 × 1 = 3", targets.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset(new float[6], 0, new float[3], 1));
        var label = Assert.Throws<ArgumentException>(() => Dataset.FromLabels(new float[4], 2, [0, 3], 3));
        Assert.Contains("labels[1] is 3, outside 0..2", label.Message);
        Assert.Throws<ArgumentException>(() => Dataset.FromLabels(new float[4], 2, [0], 3));
    }

    [Fact]
    public void Regression_constructor_copies_its_inputs()
    {
        float[] features = [1, 2, 3, 4];
        var data = new Dataset(features, 2, [5f, 6f], 1);
        features[0] = 99;

        Assert.Equal(1f, data.Features[0]);
        Assert.Equal((2, 2, 1), (data.Count, data.FeatureCount, data.TargetCount));
        Assert.Throws<InvalidOperationException>(() => data.GetLabel(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetFeatures(2));
    }

    [Fact]
    public void Shuffled_is_a_deterministic_permutation_that_keeps_rows_together()
    {
        Dataset data = Numbered(50);

        Dataset a = data.Shuffled(seed: 7);
        Dataset b = data.Shuffled(seed: 7);
        Dataset c = data.Shuffled(seed: 8);

        Assert.Equal(a.Features.ToArray(), b.Features.ToArray());
        Assert.NotEqual(a.Features.ToArray(), c.Features.ToArray());
        int[] order = Enumerable.Range(0, 50).Select(i => (int)a.GetFeatures(i)[0]).ToArray();
        Assert.Equal(Enumerable.Range(0, 50), order.OrderBy(i => i));
        Assert.NotEqual(Enumerable.Range(0, 50), order);
        Assert.Equal(Permutation.Create(50, 7), order);
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(10f * order[i], a.GetFeatures(i)[1]);
            Assert.Equal(order[i] % 3, a.GetLabel(i));
            Assert.Equal(1f, a.GetTargets(i)[order[i] % 3]);
        }
    }

    [Fact]
    public void Permutation_shuffle_is_fisher_yates_driven_by_the_random()
    {
        int[] expected = Enumerable.Range(0, 10).ToArray();
        var reference = new Random(3);
        for (int i = expected.Length - 1; i > 0; i--)
        {
            int j = reference.Next(i + 1);
            (expected[i], expected[j]) = (expected[j], expected[i]);
        }

        Assert.Equal(expected, Permutation.Create(10, 3));
        Assert.Empty(Permutation.Create(0, 3));
    }

    [Fact]
    public void Split_keeps_order_and_rounds_the_first_part()
    {
        Dataset data = Numbered(10);

        (Dataset train, Dataset test) = data.Split(0.75);

        Assert.Equal(8, train.Count); // 7.5 rounds away from zero
        Assert.Equal(2, test.Count);
        Assert.Equal(0f, train.GetFeatures(0)[0]);
        Assert.Equal(8f, test.GetFeatures(0)[0]);
        Assert.Equal(9 % 3, test.GetLabel(1));
        Assert.Equal(3, test.ClassCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(0.01)); // 0 samples in the first part
    }

    [Fact]
    public void Select_allows_repeats_and_checks_indices()
    {
        Dataset data = Numbered(5);

        Dataset picked = data.Select([4, 4, 0]);

        Assert.Equal(new[] { 4f, 40f, 4f, 40f, 0f, 0f }, picked.Features.ToArray());
        Assert.Equal(new[] { 1, 1, 0 }, picked.Labels.ToArray());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => data.Select([1, 5]));
        Assert.Contains("indices[1] is 5", e.Message);
    }
}
