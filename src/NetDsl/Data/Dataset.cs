using System;

namespace NetDsl.Data;

/// <summary>
/// An immutable in-memory table of samples: float features <c>[Count, FeatureCount]</c> and float targets
/// <c>[Count, TargetCount]</c>, both row-major. For classification the targets are one-hot rows and the
/// integer labels are kept too (<see cref="HasLabels"/>); for regression the targets are the real values.
/// </summary>
/// <remarks>
/// Operations that reorder or subset samples (<see cref="Select"/>, <see cref="Shuffled"/>, <see cref="Split"/>,
/// <see cref="StratifiedSplit"/>, <see cref="KFold"/>)
/// return new datasets; nothing is modified in place. To train without allocating per batch, use
/// <see cref="MiniBatches"/> or <see cref="CopyRows"/>.
/// </remarks>
public sealed class Dataset
{
    private readonly float[] _features;
    private readonly float[] _targets;
    private readonly int[]? _labels;

    /// <summary>Creates a dataset from row-major features and targets, which are copied.</summary>
    /// <param name="features">The features, <c>Count × featureCount</c> values, sample after sample.</param>
    /// <param name="featureCount">The number of features per sample, at least 1.</param>
    /// <param name="targets">The targets, <c>Count × targetCount</c> values, sample after sample.</param>
    /// <param name="targetCount">The number of targets per sample, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="featureCount"/> or <paramref name="targetCount"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The lengths do not describe the same number of whole samples.</exception>
    public Dataset(ReadOnlySpan<float> features, int featureCount, ReadOnlySpan<float> targets, int targetCount)
    {
        int count = CheckShape(features.Length, featureCount, targets.Length, targetCount);
        _features = features.ToArray();
        _targets = targets.ToArray();
        Count = count;
        FeatureCount = featureCount;
        TargetCount = targetCount;
    }

    /// <summary>Creates a dataset that owns the given arrays (no copy). Callers must not keep references to them.</summary>
    private Dataset(float[] features, int featureCount, float[] targets, int targetCount, int[]? labels, int classCount)
    {
        Count = CheckShape(features.Length, featureCount, targets.Length, targetCount);
        _features = features;
        _targets = targets;
        FeatureCount = featureCount;
        TargetCount = targetCount;
        _labels = labels;
        ClassCount = classCount;
    }

    /// <summary>
    /// Creates a classification dataset from row-major features (copied) and integer labels: the targets are
    /// one-hot rows of length <paramref name="classCount"/>.
    /// </summary>
    /// <param name="features">The features, <c>labels.Length × featureCount</c> values.</param>
    /// <param name="featureCount">The number of features per sample, at least 1.</param>
    /// <param name="labels">One class index per sample, each in <c>0 .. classCount - 1</c>.</param>
    /// <param name="classCount">The number of classes, at least 1.</param>
    /// <exception cref="ArgumentException">The lengths disagree or a label is out of range (the message names the first such sample).</exception>
    public static Dataset FromLabels(ReadOnlySpan<float> features, int featureCount, ReadOnlySpan<int> labels, int classCount)
        => FromOwnedArrays(features.ToArray(), featureCount, labels.ToArray(), classCount);

    /// <summary>As <see cref="FromLabels"/>, but takes ownership of the arrays without copying them.</summary>
    internal static Dataset FromOwnedArrays(float[] features, int featureCount, int[] labels, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if ((long)labels.Length * featureCount != features.Length)
        {
            throw new ArgumentException(
                $"features has {features.Length} values but labels.Length × featureCount = {labels.Length} × {featureCount} = {(long)labels.Length * featureCount}.",
                nameof(features));
        }

        if ((long)labels.Length * classCount > Array.MaxLength)
        {
            throw new ArgumentException($"{labels.Length} samples × {classCount} classes is too large for one-hot targets.", nameof(classCount));
        }

        var targets = new float[labels.Length * classCount];
        for (int i = 0; i < labels.Length; i++)
        {
            int label = labels[i];
            if ((uint)label >= (uint)classCount)
            {
                throw new ArgumentException($"labels[{i}] is {label}, outside 0..{classCount - 1} (classCount is {classCount}).", nameof(labels));
            }

            targets[(i * classCount) + label] = 1f;
        }

        return new Dataset(features, featureCount, targets, classCount, labels, classCount);
    }

    /// <summary>Creates a regression dataset that owns the given arrays (no copy).</summary>
    internal static Dataset FromOwnedArrays(float[] features, int featureCount, float[] targets, int targetCount)
        => new(features, featureCount, targets, targetCount, null, 0);

    /// <summary>A dataset with the same targets and labels and new features (owned, same sample count).</summary>
    internal Dataset WithFeatures(float[] features, int featureCount)
        => new(features, featureCount, _targets, TargetCount, _labels, ClassCount);

    private static int CheckShape(int featuresLength, int featureCount, int targetsLength, int targetCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetCount, 1);
        if (featuresLength % featureCount != 0)
        {
            throw new ArgumentException($"features has {featuresLength} values, which is not a multiple of featureCount {featureCount}.", "features");
        }

        int count = featuresLength / featureCount;
        if ((long)count * targetCount != targetsLength)
        {
            throw new ArgumentException(
                $"targets has {targetsLength} values but Count × targetCount = {count} × {targetCount} = {(long)count * targetCount} " +
                $"(Count {count} comes from {featuresLength} feature values / featureCount {featureCount}).",
                "targets");
        }

        return count;
    }

    /// <summary>The number of samples.</summary>
    public int Count { get; }

    /// <summary>The number of features per sample.</summary>
    public int FeatureCount { get; }

    /// <summary>The number of targets per sample (the class count for classification).</summary>
    public int TargetCount { get; }

    /// <summary>All features, row-major <c>[Count, FeatureCount]</c>.</summary>
    public ReadOnlySpan<float> Features => _features;

    /// <summary>All targets, row-major <c>[Count, TargetCount]</c>.</summary>
    public ReadOnlySpan<float> Targets => _targets;

    /// <summary>Whether the dataset is a classification dataset with integer labels (see <see cref="FromLabels"/>).</summary>
    public bool HasLabels => _labels is not null;

    /// <summary>The class index of each sample; empty when <see cref="HasLabels"/> is false.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>The number of classes; 0 when <see cref="HasLabels"/> is false.</summary>
    public int ClassCount { get; }

    /// <summary>The features of sample <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in <c>0 .. Count - 1</c>.</exception>
    public ReadOnlySpan<float> GetFeatures(int index)
    {
        CheckIndex(index);
        return _features.AsSpan(index * FeatureCount, FeatureCount);
    }

    /// <summary>The targets of sample <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in <c>0 .. Count - 1</c>.</exception>
    public ReadOnlySpan<float> GetTargets(int index)
    {
        CheckIndex(index);
        return _targets.AsSpan(index * TargetCount, TargetCount);
    }

    /// <summary>The class index of sample <paramref name="index"/>.</summary>
    /// <exception cref="InvalidOperationException">The dataset has no labels.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in <c>0 .. Count - 1</c>.</exception>
    public int GetLabel(int index)
    {
        if (_labels is null)
        {
            throw new InvalidOperationException("This dataset has no labels (it was not created for classification).");
        }

        CheckIndex(index);
        return _labels[index];
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The dataset has {Count} samples.");
        }
    }

    /// <summary>
    /// A new dataset made of the samples at <paramref name="indices"/>, in that order. An index may appear
    /// more than once (for example for bootstrap sampling).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is not in <c>0 .. Count - 1</c>.</exception>
    public Dataset Select(ReadOnlySpan<int> indices)
    {
        CheckIndices(indices);
        var features = new float[indices.Length * FeatureCount];
        var targets = new float[indices.Length * TargetCount];
        CopyRows(indices, features, targets);
        int[]? labels = null;
        if (_labels is not null)
        {
            labels = new int[indices.Length];
            CopyLabels(indices, labels);
        }

        return new Dataset(features, FeatureCount, targets, TargetCount, labels, ClassCount);
    }

    /// <summary>
    /// A new dataset with the samples in a random order: a Fisher–Yates shuffle driven by
    /// <c>new Random(seed)</c>, so the same seed always gives the same order (see <see cref="Permutation.Create"/>).
    /// </summary>
    public Dataset Shuffled(int seed) => Select(Permutation.Create(Count, seed));

    /// <summary>
    /// Splits the samples, in their current order, into a first part holding
    /// <c>round(Count × firstFraction)</c> samples (midpoint rounded away from zero) and a second part holding the rest.
    /// Call <see cref="Shuffled"/> first for a random split.
    /// </summary>
    /// <param name="firstFraction">The share of samples in the first part, strictly between 0 and 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="firstFraction"/> is not strictly between 0 and 1, or one part would be empty.</exception>
    public (Dataset First, Dataset Second) Split(double firstFraction)
    {
        int firstCount = CheckSplit(firstFraction);
        return (Slice(0, firstCount), Slice(firstCount, Count - firstCount));
    }

    private int CheckSplit(double firstFraction)
    {
        if (!(firstFraction > 0 && firstFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(firstFraction), firstFraction, "The fraction must be strictly between 0 and 1.");
        }

        int firstCount = (int)Math.Round(Count * firstFraction, MidpointRounding.AwayFromZero);
        if (firstCount == 0 || firstCount == Count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(firstFraction), firstFraction,
                $"Splitting {Count} samples at this fraction gives {firstCount} and {Count - firstCount} samples; both parts must be non-empty.");
        }

        return firstCount;
    }

    /// <summary>
    /// A random split that keeps the class proportions (a stratified split, like scikit-learn's
    /// <c>train_test_split(..., stratify=y)</c>): the first part holds <c>round(Count × firstFraction)</c> samples
    /// (midpoint rounded away from zero), and each class contributes <c>floor</c> or <c>ceil</c> of its share
    /// <c>count_c × firstFraction</c> (largest remainders first, then the lower class index). Which samples of a class go
    /// first, and the order of both parts, follow <c>Permutation.Create(Count, seed)</c>, so the same seed always gives
    /// the same split.
    /// </summary>
    /// <param name="firstFraction">The share of samples in the first part, strictly between 0 and 1.</param>
    /// <param name="seed">The seed of the random choice and order.</param>
    /// <exception cref="InvalidOperationException">The dataset has no labels (use <see cref="Shuffled"/> and <see cref="Split"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="firstFraction"/> is not strictly between 0 and 1, or one part would be empty.</exception>
    public (Dataset First, Dataset Second) StratifiedSplit(double firstFraction, int seed)
    {
        ClassWeights.RequireLabels(this);
        int firstCount = CheckSplit(firstFraction);
        int[] quota = StratifiedQuota(ClassWeights.Count(_labels, ClassCount), firstCount, firstFraction);

        var first = new int[firstCount];
        var second = new int[Count - firstCount];
        int f = 0, s = 0;
        foreach (int i in Permutation.Create(Count, seed))
        {
            if (quota[_labels![i]] > 0)
            {
                quota[_labels[i]]--;
                first[f++] = i;
            }
            else
            {
                second[s++] = i;
            }
        }

        return (Select(first), Select(second));
    }

    /// <summary>
    /// How many samples of each class go to the first part: <c>floor(count_c × fraction)</c>, plus one for the classes with
    /// the largest remainders until the total is <paramref name="firstCount"/>.
    /// </summary>
    internal static int[] StratifiedQuota(int[] counts, int firstCount, double fraction)
    {
        var quota = new int[counts.Length];
        var remainders = new double[counts.Length];
        int assigned = 0;
        for (int c = 0; c < counts.Length; c++)
        {
            double share = counts[c] * fraction;
            quota[c] = (int)Math.Floor(share);
            remainders[c] = share - quota[c];
            assigned += quota[c];
        }

        while (assigned < firstCount)
        {
            int best = -1;
            for (int c = 0; c < counts.Length; c++)
            {
                if (quota[c] < counts[c] && (best < 0 || remainders[c] > remainders[best]))
                {
                    best = c;
                }
            }

            quota[best]++;
            remainders[best] = -1;
            assigned++;
        }

        return quota;
    }

    private Dataset Slice(int start, int length)
        => new(
            _features.AsSpan(start * FeatureCount, length * FeatureCount).ToArray(), FeatureCount,
            _targets.AsSpan(start * TargetCount, length * TargetCount).ToArray(), TargetCount,
            _labels?.AsSpan(start, length).ToArray(), ClassCount);

    /// <summary>
    /// Copies the features and targets of the samples at <paramref name="indices"/>, in that order, to the start of
    /// <paramref name="features"/> and <paramref name="targets"/> (row-major). Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException">A destination is shorter than <c>indices.Length</c> rows.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is not in <c>0 .. Count - 1</c>.</exception>
    public void CopyRows(ReadOnlySpan<int> indices, Span<float> features, Span<float> targets)
    {
        CheckDestination(features.Length, indices.Length, FeatureCount, nameof(features));
        CheckDestination(targets.Length, indices.Length, TargetCount, nameof(targets));
        CheckIndices(indices);
        int f = FeatureCount, t = TargetCount;
        for (int i = 0; i < indices.Length; i++)
        {
            int row = indices[i];
            _features.AsSpan(row * f, f).CopyTo(features.Slice(i * f, f));
            _targets.AsSpan(row * t, t).CopyTo(targets.Slice(i * t, t));
        }
    }

    /// <summary>Copies the labels of the samples at <paramref name="indices"/>, in that order, to the start of <paramref name="labels"/>. Allocates nothing.</summary>
    /// <exception cref="InvalidOperationException">The dataset has no labels.</exception>
    /// <exception cref="ArgumentException"><paramref name="labels"/> is shorter than <paramref name="indices"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is not in <c>0 .. Count - 1</c>.</exception>
    public void CopyLabels(ReadOnlySpan<int> indices, Span<int> labels)
    {
        if (_labels is null)
        {
            throw new InvalidOperationException("This dataset has no labels (it was not created for classification).");
        }

        CheckDestination(labels.Length, indices.Length, 1, nameof(labels));
        CheckIndices(indices);
        for (int i = 0; i < indices.Length; i++)
        {
            labels[i] = _labels[indices[i]];
        }
    }

    private void CheckIndices(ReadOnlySpan<int> indices)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"indices[{i}] is {indices[i]}, but the dataset has {Count} samples.");
            }
        }
    }

    private static void CheckDestination(int length, int rows, int width, string name)
    {
        if (length < (long)rows * width)
        {
            throw new ArgumentException($"{name} holds {length} values but {rows} rows of {width} need {(long)rows * width}.", name);
        }
    }
}
