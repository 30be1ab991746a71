using System;
using System.Linq;
using NetDsl.Data;
using Xunit;

namespace NetDsl.Tests.Data;

public sealed class MiniBatchesTests
{
    private static Dataset Numbered(int count)
        => Dataset.FromLabels(
            Enumerable.Range(0, count).SelectMany(i => new[] { (float)i, -i }).ToArray(), 2,
            Enumerable.Range(0, count).Select(i => i % 4).ToArray(), 4);

    [Fact]
    public void Every_sample_is_visited_once_per_epoch_with_a_smaller_last_batch()
    {
        Dataset data = Numbered(23);
        var batches = new MiniBatches(data, batchSize: 5);
        var random = new Random(1);
        Assert.Equal(5, batches.BatchCount);

        for (int epoch = 0; epoch < 3; epoch++)
        {
            batches.Shuffle(random);
            var seen = new int[23];
            var sizes = new System.Collections.Generic.List<int>();
            foreach (MiniBatch batch in batches)
            {
                sizes.Add(batch.Count);
                Assert.Equal(batch.Count * 2, batch.Features.Length);
                Assert.Equal(batch.Count * 4, batch.Targets.Length);
                Assert.Equal(batch.Count, batch.Labels.Length);
                for (int i = 0; i < batch.Count; i++)
                {
                    int sample = (int)batch.Features[2 * i];
                    Assert.Equal(batch.Indices[i], sample);
                    Assert.Equal(-sample, batch.Features[(2 * i) + 1]);
                    Assert.Equal(sample % 4, batch.Labels[i]);
                    Assert.Equal(1f, batch.Targets[(4 * i) + (sample % 4)]);
                    seen[sample]++;
                }
            }

            Assert.Equal(new[] { 5, 5, 5, 5, 3 }, sizes);
            Assert.All(seen, n => Assert.Equal(1, n));
        }
    }

    [Fact]
    public void Order_is_deterministic_for_a_seed_and_resettable()
    {
        var a = new MiniBatches(Numbered(30), 8);
        var b = new MiniBatches(Numbered(30), 8);

        a.Shuffle(new Random(5));
        b.Shuffle(new Random(5));
        Assert.Equal(a.Order.ToArray(), b.Order.ToArray());
        Assert.Equal(Permutation.Create(30, 5), a.Order.ToArray());

        a.ResetOrder();
        Assert.Equal(Enumerable.Range(0, 30), a.Order.ToArray());
        Assert.Equal(new[] { 24f, -24f, 25f }, a.GetBatch(3).Features[..3].ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => a.GetBatch(4));
    }

    [Fact]
    public void Batch_larger_than_dataset_gives_one_batch_and_regression_has_no_labels()
    {
        var data = new Dataset([1f, 2f, 3f], 1, [10f, 20f, 30f], 1);
        var batches = new MiniBatches(data, 100);

        Assert.Equal(1, batches.BatchCount);
        MiniBatch batch = batches.GetBatch(0);
        Assert.Equal(3, batch.Count);
        Assert.Equal(new[] { 10f, 20f, 30f }, batch.Targets.ToArray());
        Assert.True(batch.Labels.IsEmpty);
    }

    [Fact]
    public void Iterating_batches_allocates_nothing_per_batch()
    {
        using var kernelThreads = KernelThreads.Hold();
        var batches = new MiniBatches(Numbered(1000), 32);
        var random = new Random(9);

        float checksum = RunEpoch(batches, random); // warm-up: JIT, static initialization
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int epoch = 0; epoch < 5; epoch++)
        {
            checksum += RunEpoch(batches, random);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(checksum > 0);
    }

    private static float RunEpoch(MiniBatches batches, Random random)
    {
        batches.Shuffle(random);
        float sum = 0;
        foreach (MiniBatch batch in batches)
        {
            sum += batch.Features[0] + batch.Targets[0] + batch.Labels[0];
        }

        return sum;
    }
}
