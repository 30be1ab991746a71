using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics.Tensors;
using NetDsl.Serialization;

namespace NetDsl.Data;

/// <summary>
/// A per-feature affine scaling <c>x' = (x - Offsets[j]) / Scales[j]</c>, fitted on training data only and then
/// applied unchanged to training, validation and test data (and to inputs at inference).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="FitStandardization(Dataset)"/> gives standardization (offset = mean, scale = population standard
/// deviation), <see cref="FitMinMax(Dataset)"/> maps the training range to [0, 1] (offset = minimum, scale = maximum -
/// minimum).
/// </para>
/// <para>
/// A feature whose values are all equal in the training data (standard deviation or range 0) gets scale 1: it is
/// only shifted, so it becomes exactly 0 on the training data and no NaN or infinity is produced.
/// </para>
/// <para>
/// The fitted statistics are exposed as <see cref="Offsets"/> and <see cref="Scales"/>. Save them with the model
/// (<see cref="Save(string)"/>, a safetensors file next to the weights) and restore the scaler with
/// <see cref="Load(string)"/>, or from known values with the
/// <see cref="FeatureScaler(ReadOnlySpan{float}, ReadOnlySpan{float})"/> constructor.
/// </para>
/// </remarks>
public sealed class FeatureScaler
{
    private readonly float[] _offsets;
    private readonly float[] _scales;

    /// <summary>Creates a scaler from known statistics (for example saved with a model). The spans are copied.</summary>
    /// <exception cref="ArgumentException">The spans are empty or of different lengths, a value is not finite, or a scale is 0.</exception>
    public FeatureScaler(ReadOnlySpan<float> offsets, ReadOnlySpan<float> scales)
    {
        if (offsets.Length == 0 || offsets.Length != scales.Length)
        {
            throw new ArgumentException($"offsets ({offsets.Length} values) and scales ({scales.Length} values) must have the same non-zero length.", nameof(scales));
        }

        for (int j = 0; j < offsets.Length; j++)
        {
            if (!float.IsFinite(offsets[j]))
            {
                throw new ArgumentException($"offsets[{j}] is {offsets[j]}; offsets must be finite.", nameof(offsets));
            }

            if (!float.IsFinite(scales[j]) || scales[j] == 0)
            {
                throw new ArgumentException($"scales[{j}] is {scales[j]}; scales must be finite and non-zero.", nameof(scales));
            }
        }

        _offsets = offsets.ToArray();
        _scales = scales.ToArray();
    }

    private FeatureScaler(float[] offsets, float[] scales)
    {
        _offsets = offsets;
        _scales = scales;
    }

    /// <summary>The number of features this scaler applies to.</summary>
    public int FeatureCount => _offsets.Length;

    /// <summary>The value subtracted from each feature (the mean, or the minimum).</summary>
    public ReadOnlySpan<float> Offsets => _offsets;

    /// <summary>The divisor of each feature (the standard deviation, or the range; 1 for a constant feature).</summary>
    public ReadOnlySpan<float> Scales => _scales;

    /// <summary>Fits standardization (mean 0, standard deviation 1 per feature) on the features of <paramref name="training"/>.</summary>
    /// <exception cref="ArgumentException">The dataset is empty or holds non-finite values.</exception>
    public static FeatureScaler FitStandardization(Dataset training)
    {
        ArgumentNullException.ThrowIfNull(training);
        return FitStandardization(training.Features, training.FeatureCount);
    }

    /// <summary>Fits standardization on row-major <paramref name="features"/> <c>[count, featureCount]</c>.</summary>
    /// <exception cref="ArgumentException">There are no samples, the length is not a multiple of <paramref name="featureCount"/>, or a value is not finite.</exception>
    public static FeatureScaler FitStandardization(ReadOnlySpan<float> features, int featureCount)
    {
        int count = CheckFitInput(features, featureCount);
        var mean = new double[featureCount];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = features.Slice(i * featureCount, featureCount);
            for (int j = 0; j < featureCount; j++)
            {
                mean[j] += row[j];
            }
        }

        for (int j = 0; j < featureCount; j++)
        {
            mean[j] /= count;
        }

        var squares = new double[featureCount];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = features.Slice(i * featureCount, featureCount);
            for (int j = 0; j < featureCount; j++)
            {
                double d = row[j] - mean[j];
                squares[j] += d * d;
            }
        }

        bool[] constant = FindConstantFeatures(features, featureCount, count);
        var offsets = new float[featureCount];
        var scales = new float[featureCount];
        for (int j = 0; j < featureCount; j++)
        {
            offsets[j] = (float)mean[j];
            scales[j] = constant[j] ? 1f : (float)Math.Sqrt(squares[j] / count);
        }

        return Create(offsets, scales);
    }

    /// <summary>Fits a scaling of each feature's training range to [0, 1] on the features of <paramref name="training"/>.</summary>
    /// <exception cref="ArgumentException">The dataset is empty or holds non-finite values.</exception>
    public static FeatureScaler FitMinMax(Dataset training)
    {
        ArgumentNullException.ThrowIfNull(training);
        return FitMinMax(training.Features, training.FeatureCount);
    }

    /// <summary>Fits a scaling of each feature's range to [0, 1] on row-major <paramref name="features"/> <c>[count, featureCount]</c>.</summary>
    /// <exception cref="ArgumentException">There are no samples, the length is not a multiple of <paramref name="featureCount"/>, or a value is not finite.</exception>
    public static FeatureScaler FitMinMax(ReadOnlySpan<float> features, int featureCount)
    {
        int count = CheckFitInput(features, featureCount);
        float[] min = features[..featureCount].ToArray();
        float[] max = features[..featureCount].ToArray();
        for (int i = 1; i < count; i++)
        {
            ReadOnlySpan<float> row = features.Slice(i * featureCount, featureCount);
            for (int j = 0; j < featureCount; j++)
            {
                min[j] = Math.Min(min[j], row[j]);
                max[j] = Math.Max(max[j], row[j]);
            }
        }

        var scales = new float[featureCount];
        for (int j = 0; j < featureCount; j++)
        {
            scales[j] = max[j] > min[j] ? max[j] - min[j] : 1f;
        }

        return Create(min, scales);
    }

    private static FeatureScaler Create(float[] offsets, float[] scales)
    {
        for (int j = 0; j < offsets.Length; j++)
        {
            // Finite inputs can still overflow float (a range wider than float.MaxValue) or underflow to a zero scale.
            if (!float.IsFinite(offsets[j]) || !float.IsFinite(scales[j]) || scales[j] == 0)
            {
                throw new ArgumentException($"Feature {j} cannot be scaled: offset {offsets[j]}, scale {scales[j]}.", "features");
            }
        }

        return new FeatureScaler(offsets, scales);
    }

    private static int CheckFitInput(ReadOnlySpan<float> features, int featureCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        if (features.Length == 0 || features.Length % featureCount != 0)
        {
            throw new ArgumentException($"features has {features.Length} values; fitting needs at least one whole row of {featureCount}.", nameof(features));
        }

        for (int k = 0; k < features.Length; k++)
        {
            if (!float.IsFinite(features[k]))
            {
                throw new ArgumentException($"features[{k}] (sample {k / featureCount}, feature {k % featureCount}) is {features[k]}; fitting needs finite values.", nameof(features));
            }
        }

        return features.Length / featureCount;
    }

    private static bool[] FindConstantFeatures(ReadOnlySpan<float> features, int featureCount, int count)
    {
        var constant = new bool[featureCount];
        ReadOnlySpan<float> first = features[..featureCount];
        constant.AsSpan().Fill(true);
        for (int i = 1; i < count; i++)
        {
            ReadOnlySpan<float> row = features.Slice(i * featureCount, featureCount);
            for (int j = 0; j < featureCount; j++)
            {
                constant[j] &= row[j] == first[j];
            }
        }

        return constant;
    }

    /// <summary>The tensor holding <see cref="Offsets"/> in a saved scaler, shape <c>[FeatureCount]</c>.</summary>
    public const string OffsetsTensorName = "scaler.offsets";

    /// <summary>The tensor holding <see cref="Scales"/> in a saved scaler, shape <c>[FeatureCount]</c>.</summary>
    public const string ScalesTensorName = "scaler.scales";

    private const string FeatureCountKey = "scaler.feature_count";

    /// <summary>
    /// Saves the scaler as a safetensors file holding two F32 tensors of shape <c>[FeatureCount]</c>,
    /// <c>scaler.offsets</c> and <c>scaler.scales</c> (readable from Python with <c>safetensors.torch.load_file</c>:
    /// <c>x' = (x - offsets) / scales</c>), and the feature count in the metadata. Keep it with the model's weights.
    /// The file is replaced atomically.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public void Save(string path) => SafeTensors.Save(path, Buffer(), Tensors(FeatureCount), Metadata());

    /// <summary>Writes the scaler to <paramref name="destination"/> in the format of <see cref="Save(string)"/>; the stream is not closed.</summary>
    public void Save(Stream destination) => SafeTensors.Save(destination, Buffer(), Tensors(FeatureCount), Metadata());

    /// <summary>Loads a scaler saved by <see cref="Save(string)"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="WeightFileException">The file is not a saved scaler (missing tensors or metadata, wrong shapes, truncated).</exception>
    /// <exception cref="ArgumentException">The stored values are not a valid scaler (a non-finite value or a zero scale).</exception>
    public static FeatureScaler Load(string path)
    {
        int featureCount = ReadFeatureCount(SafeTensors.ReadMetadata(path), Path.GetFullPath(path));
        var buffer = new float[2 * featureCount];
        SafeTensors.Load(path, buffer, Tensors(featureCount));
        return new FeatureScaler(buffer.AsSpan(0, featureCount), buffer.AsSpan(featureCount));
    }

    /// <summary>Loads a scaler written by <see cref="Save(Stream)"/> from <paramref name="source"/>, read to its end and not closed.</summary>
    /// <exception cref="WeightFileException">The data is not a saved scaler.</exception>
    /// <exception cref="ArgumentException">The stored values are not a valid scaler.</exception>
    public static FeatureScaler Load(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        // The header is read twice (feature count, then the tensors), so a non-seekable stream is buffered first.
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        copy.Position = 0;
        int featureCount = ReadFeatureCount(SafeTensors.ReadMetadata(copy), null);
        copy.Position = 0;
        var buffer = new float[2 * featureCount];
        SafeTensors.Load(copy, buffer, Tensors(featureCount));
        return new FeatureScaler(buffer.AsSpan(0, featureCount), buffer.AsSpan(featureCount));
    }

    private float[] Buffer() => [.. _offsets, .. _scales];

    private static ParameterTensor[] Tensors(int featureCount) =>
    [
        new(OffsetsTensorName, 0, [featureCount]),
        new(ScalesTensorName, featureCount, [featureCount]),
    ];

    private Dictionary<string, string> Metadata() => new()
    {
        ["format"] = "netdsl.feature_scaler",
        [FeatureCountKey] = FeatureCount.ToString(CultureInfo.InvariantCulture),
    };

    private static int ReadFeatureCount(IReadOnlyDictionary<string, string> metadata, string? path)
    {
        string where = path is null ? "" : $"Cannot load scaler file '{path}': ";
        if (!metadata.TryGetValue(FeatureCountKey, out string? text))
        {
            throw new WeightFileException(
                $"{where}the file has no '{FeatureCountKey}' metadata, so it was not written by FeatureScaler.Save. " +
                "Load model weights with the model's LoadParameters, and save the scaler with FeatureScaler.Save.",
                filePath: path);
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1)
        {
            throw new WeightFileException($"{where}the metadata '{FeatureCountKey}' is '{text}', not a positive feature count.", filePath: path);
        }

        return count;
    }

    /// <summary>Scales row-major <paramref name="features"/> <c>[count, FeatureCount]</c> in place. Allocates nothing.</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of <see cref="FeatureCount"/>.</exception>
    public void Transform(Span<float> features)
    {
        if (features.Length % FeatureCount != 0)
        {
            throw new ArgumentException($"features has {features.Length} values, which is not a multiple of the scaler's {FeatureCount} features.", nameof(features));
        }

        for (int start = 0; start < features.Length; start += FeatureCount)
        {
            Span<float> row = features.Slice(start, FeatureCount);
            TensorPrimitives.Subtract(row, _offsets, row);
            TensorPrimitives.Divide(row, _scales, row);
        }
    }

    /// <summary>A new dataset with the scaled features of <paramref name="dataset"/> and the same targets and labels.</summary>
    /// <exception cref="ArgumentException">The dataset's feature count differs from <see cref="FeatureCount"/>.</exception>
    public Dataset Transform(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.FeatureCount != FeatureCount)
        {
            throw new ArgumentException($"The dataset has {dataset.FeatureCount} features but the scaler was fitted on {FeatureCount}.", nameof(dataset));
        }

        float[] features = dataset.Features.ToArray();
        Transform(features);
        return dataset.WithFeatures(features, FeatureCount);
    }
}
