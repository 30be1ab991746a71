using System;

namespace NetDsl.Data;

/// <summary>
/// Iterates a <see cref="Dataset"/> in mini-batches of at most <see cref="BatchSize"/> samples, copying each batch
/// into buffers allocated once by the constructor: getting a batch allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// The samples are visited in <see cref="Order"/>: the dataset order until <see cref="Shuffle"/> is called, typically
/// once per epoch with one <see cref="Random"/> created from a seed, which makes the whole run deterministic.
/// Every epoch visits every sample exactly once. When <see cref="Dataset.Count"/> is not a multiple of
/// <see cref="BatchSize"/>, the last batch holds the remaining samples (it is smaller, never padded or dropped).
/// </para>
/// <para>
/// A <see cref="MiniBatch"/> views the shared buffers: it is valid until the next batch is read from this instance.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var batches = new MiniBatches(train, batchSize: 32);
/// var random = new Random(42);
/// for (int epoch = 0; epoch &lt; epochs; epoch++)
/// {
///     batches.Shuffle(random);
///     foreach (MiniBatch batch in batches)
///     {
///         model.TrainStep(batch.Features, batch.Targets, batch.Count);
///     }
/// }
/// </code>
/// </example>
public sealed class MiniBatches
{
    private readonly int[] _order;
    private readonly float[] _features;
    private readonly float[] _targets;
    private readonly int[] _labels;

    /// <summary>Prepares batches of <paramref name="batchSize"/> samples of <paramref name="dataset"/>, in dataset order.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is less than 1.</exception>
    public MiniBatches(Dataset dataset, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Dataset = dataset;
        BatchSize = batchSize;
        int capacity = Math.Min(batchSize, dataset.Count);
        _order = new int[dataset.Count];
        Permutation.Identity(_order);
        _features = new float[capacity * dataset.FeatureCount];
        _targets = new float[capacity * dataset.TargetCount];
        _labels = dataset.HasLabels ? new int[capacity] : [];
    }

    /// <summary>The dataset the batches are read from.</summary>
    public Dataset Dataset { get; }

    /// <summary>The largest number of samples in a batch.</summary>
    public int BatchSize { get; }

    /// <summary>The number of batches per epoch: <c>ceil(Count / BatchSize)</c>, the last one possibly smaller.</summary>
    public int BatchCount => (int)(((long)Dataset.Count + BatchSize - 1) / BatchSize);

    /// <summary>The order in which the samples are visited: a permutation of the dataset's sample indices.</summary>
    public ReadOnlySpan<int> Order => _order;

    /// <summary>
    /// Draws a new visiting order: the identity order shuffled with <see cref="Permutation.Shuffle"/>, so the
    /// order depends only on the state of <paramref name="random"/>. Allocates nothing.
    /// </summary>
    public void Shuffle(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Permutation.Identity(_order);
        Permutation.Shuffle(_order, random);
    }

    /// <summary>Restores the dataset order.</summary>
    public void ResetOrder() => Permutation.Identity(_order);

    /// <summary>
    /// Copies batch <paramref name="batchIndex"/> (samples <c>Order[batchIndex × BatchSize ..]</c>) into the shared
    /// buffers and returns a view of them, valid until the next batch is read. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchIndex"/> is not in <c>0 .. BatchCount - 1</c>.</exception>
    public MiniBatch GetBatch(int batchIndex)
    {
        if ((uint)batchIndex >= (uint)BatchCount)
        {
            throw new ArgumentOutOfRangeException(nameof(batchIndex), batchIndex, $"There are {BatchCount} batches.");
        }

        int start = batchIndex * BatchSize;
        int count = Math.Min(BatchSize, Dataset.Count - start);
        ReadOnlySpan<int> indices = _order.AsSpan(start, count);
        Span<float> features = _features.AsSpan(0, count * Dataset.FeatureCount);
        Span<float> targets = _targets.AsSpan(0, count * Dataset.TargetCount);
        Dataset.CopyRows(indices, features, targets);
        Span<int> labels = default;
        if (Dataset.HasLabels)
        {
            labels = _labels.AsSpan(0, count);
            Dataset.CopyLabels(indices, labels);
        }

        return new MiniBatch(indices, features, targets, labels, Dataset.FeatureCount, Dataset.TargetCount);
    }

    /// <summary>Enumerates the batches of one epoch in the current <see cref="Order"/>. Allocates nothing.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Enumerates the batches of a <see cref="MiniBatches"/> (use <c>foreach</c>).</summary>
    public ref struct Enumerator
    {
        private readonly MiniBatches _owner;
        private int _next;
        private MiniBatch _current;

        internal Enumerator(MiniBatches owner)
        {
            _owner = owner;
            _next = 0;
            _current = default;
        }

        /// <summary>The current batch.</summary>
        public readonly MiniBatch Current => _current;

        /// <summary>Reads the next batch into the shared buffers; false after the last batch.</summary>
        public bool MoveNext()
        {
            if (_next >= _owner.BatchCount)
            {
                return false;
            }

            _current = _owner.GetBatch(_next++);
            return true;
        }
    }
}

/// <summary>
/// One mini-batch: a view of the buffers of a <see cref="MiniBatches"/>, valid until the next batch is read.
/// </summary>
public readonly ref struct MiniBatch
{
    internal MiniBatch(ReadOnlySpan<int> indices, ReadOnlySpan<float> features, ReadOnlySpan<float> targets, ReadOnlySpan<int> labels, int featureCount, int targetCount)
    {
        Indices = indices;
        Features = features;
        Targets = targets;
        Labels = labels;
        FeatureCount = featureCount;
        TargetCount = targetCount;
    }

    /// <summary>The number of samples in this batch (smaller than the batch size for a last partial batch).</summary>
    public int Count => Indices.Length;

    /// <summary>The dataset indices of the samples in this batch.</summary>
    public ReadOnlySpan<int> Indices { get; }

    /// <summary>The features, row-major <c>[Count, FeatureCount]</c>.</summary>
    public ReadOnlySpan<float> Features { get; }

    /// <summary>The targets, row-major <c>[Count, TargetCount]</c>.</summary>
    public ReadOnlySpan<float> Targets { get; }

    /// <summary>The class labels, <see cref="Count"/> values; empty when the dataset has no labels.</summary>
    public ReadOnlySpan<int> Labels { get; }

    /// <summary>The number of features per sample.</summary>
    public int FeatureCount { get; }

    /// <summary>The number of targets per sample.</summary>
    public int TargetCount { get; }
}
