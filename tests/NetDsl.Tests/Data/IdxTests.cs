using System;
using System.IO;
using System.Linq;
using NetDsl.Data;
using Xunit;

namespace NetDsl.Tests.Data;

/// <summary>
/// A fact that runs only when Fashion-MNIST is installed (Debian package dataset-fashion-mnist). Otherwise it is
/// reported as skipped with the reason, never as passed: xunit 2 reads <see cref="FactAttribute.Skip"/> at discovery.
/// </summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!File.Exists(Path.Combine(DataTestFiles.FashionMnistDirectory, "t10k-images-idx3-ubyte.gz")))
        {
            Skip = $"Fashion-MNIST is not installed at {DataTestFiles.FashionMnistDirectory} (apt-get install dataset-fashion-mnist).";
        }
    }
}

public sealed class IdxTests : IDisposable
{
    private readonly DataTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static readonly byte[] Pixels = Enumerable.Range(0, 3 * 2 * 2).Select(i => (byte)(i * 20)).ToArray();
    private static readonly byte[] Labels = [2, 0, 1];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Round_trip_of_a_small_images_and_labels_file(bool gzip)
    {
        byte[] images = DataTestFiles.Idx([3, 2, 2], Pixels);
        byte[] labels = DataTestFiles.Idx([3], Labels);
        string suffix = gzip ? ".gz" : "";
        string imagesPath = _files.WriteBytes("images-idx3-ubyte" + suffix, gzip ? DataTestFiles.Gzip(images) : images);
        string labelsPath = _files.WriteBytes("labels-idx1-ubyte" + suffix, gzip ? DataTestFiles.Gzip(labels) : labels);

        IdxImages loaded = Idx.LoadImages(imagesPath);
        Assert.Equal((3, 2, 2, 4), (loaded.Count, loaded.Rows, loaded.Columns, loaded.PixelCount));
        Assert.Equal(Pixels, loaded.Pixels.ToArray());
        Assert.Equal(Pixels[4..8], loaded.GetImage(1).ToArray());
        Assert.Equal(new[] { 2, 0, 1 }, Idx.LoadLabels(labelsPath));

        Dataset data = Idx.LoadDataset(imagesPath, labelsPath);
        Assert.Equal((3, 4, 3), (data.Count, data.FeatureCount, data.ClassCount));
        Assert.Equal(new[] { 80 * (1f / 255f), 100 * (1f / 255f), 120 * (1f / 255f), 140 * (1f / 255f) }, data.GetFeatures(1).ToArray());
        Assert.Equal(new[] { 0f, 0f, 1f }, data.GetTargets(0).ToArray());

        Dataset raw = Idx.LoadDataset(imagesPath, labelsPath, scale: 1f, classCount: 10);
        Assert.Equal(10, raw.ClassCount);
        Assert.Equal(220f, raw.Features[^1]);
        Assert.Throws<InvalidDataException>(() => Idx.LoadDataset(imagesPath, labelsPath, classCount: 2));
    }

    [Fact]
    public void Truncated_or_padded_data_is_an_error()
    {
        byte[] images = DataTestFiles.Idx([3, 2, 2], Pixels);
        string truncated = _files.WriteBytes("t-images", images[..^1]);
        string padded = _files.WriteBytes("p-images", [.. images, 0]);
        string headerOnly = _files.WriteBytes("h-images", images[..10]);
        string truncatedGz = _files.WriteBytes("t-images.gz", DataTestFiles.Gzip(images)[..^9]);

        var e = Assert.Throws<InvalidDataException>(() => Idx.LoadImages(truncated));
        Assert.Contains("3 × 2 × 2 = 12 bytes", e.Message);
        Assert.Contains("holds 11 (truncated file)", e.Message);
        Assert.Contains(truncated, e.Message);
        Assert.Contains("1 unexpected trailing bytes", Assert.Throws<InvalidDataException>(() => Idx.LoadImages(padded)).Message);
        Assert.Contains("too few for the IDX header", Assert.Throws<InvalidDataException>(() => Idx.LoadImages(headerOnly)).Message);
        Assert.Throws<InvalidDataException>(() => Idx.LoadImages(truncatedGz));
    }

    [Fact]
    public void Wrong_magic_number_is_an_error()
    {
        string labels = _files.WriteBytes("labels", DataTestFiles.Idx([3], Labels));
        byte[] floats = DataTestFiles.Idx([3, 2, 2], Pixels);
        floats[2] = 0x0D;
        string floatImages = _files.WriteBytes("float-images", floats);

        var e = Assert.Throws<InvalidDataException>(() => Idx.LoadImages(labels));
        Assert.Contains("0x00000801 found but 0x00000803 expected", e.Message);
        Assert.Contains("0x00000D03 found", Assert.Throws<InvalidDataException>(() => Idx.LoadImages(floatImages)).Message);
        Assert.Throws<InvalidDataException>(() => Idx.LoadLabels(floatImages));
    }

    [Fact]
    public void Image_and_label_counts_must_match_and_missing_files_say_where_data_comes_from()
    {
        string images = _files.WriteBytes("images", DataTestFiles.Idx([3, 2, 2], Pixels));
        string labels = _files.WriteBytes("labels", DataTestFiles.Idx([2], Labels[..2]));
        string missing = Path.Combine(_files.Directory, "train-images-idx3-ubyte.gz");

        Assert.Contains("holds 3 images but", Assert.Throws<InvalidDataException>(() => Idx.LoadDataset(images, labels)).Message);
        var e = Assert.Throws<FileNotFoundException>(() => Idx.LoadImages(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("dataset-fashion-mnist", e.Message);
    }

    [FashionMnistFact]
    public void Fashion_mnist_test_set_loads_10000_images_of_784_pixels_in_10_balanced_classes()
    {
        Dataset test = Idx.LoadDataset(
            Path.Combine(DataTestFiles.FashionMnistDirectory, "t10k-images-idx3-ubyte.gz"),
            Path.Combine(DataTestFiles.FashionMnistDirectory, "t10k-labels-idx1-ubyte.gz"));

        Assert.Equal(10000, test.Count);
        Assert.Equal(784, test.FeatureCount);
        Assert.Equal(10, test.ClassCount);
        Assert.Equal(new[] { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 }, test.Labels[..10].ToArray());
        var counts = new int[10];
        foreach (int label in test.Labels)
        {
            counts[label]++;
        }

        Assert.All(counts, c => Assert.Equal(1000, c));
        float min = float.MaxValue, max = float.MinValue;
        foreach (float v in test.Features)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        Assert.Equal(0f, min);
        Assert.Equal(1f, max);
        Assert.Equal(33456 / 255.0, test.GetFeatures(0).ToArray().Sum(v => (double)v), 3);
    }
}
