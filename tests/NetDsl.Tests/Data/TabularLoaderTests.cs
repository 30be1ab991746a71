using System;
using System.IO;
using System.Linq;
using System.Text;
using NetDsl.Data;
using Xunit;

namespace NetDsl.Tests.Data;

public sealed class TabularLoaderTests : IDisposable
{
    private readonly DataTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static int[] Histogram(Dataset data)
    {
        var counts = new int[data.ClassCount];
        foreach (int label in data.Labels)
        {
            counts[label]++;
        }

        return counts;
    }

    [Fact]
    public void Iris_loads_150_samples_4_features_3_balanced_classes()
    {
        Dataset iris = SklearnCsv.Load(DataTestFiles.Tabular("iris.csv"));

        Assert.Equal(150, iris.Count);
        Assert.Equal(4, iris.FeatureCount);
        Assert.Equal(3, iris.ClassCount);
        Assert.Equal(3, iris.TargetCount);
        Assert.True(iris.HasLabels);
        Assert.Equal(new[] { 50, 50, 50 }, Histogram(iris));
        Assert.Equal(new[] { 5.1f, 3.5f, 1.4f, 0.2f }, iris.GetFeatures(0).ToArray());
        Assert.Equal(new[] { 1f, 0f, 0f }, iris.GetTargets(0).ToArray());
        Assert.Equal(new[] { 5.9f, 3.0f, 5.1f, 1.8f }, iris.GetFeatures(149).ToArray());
        Assert.Equal(2, iris.GetLabel(149));
        Assert.Equal(new[] { 0f, 0f, 1f }, iris.GetTargets(149).ToArray());
    }

    [Fact]
    public void Digits_without_header_loads_1797_samples_64_features_10_classes()
    {
        Dataset digits = SklearnCsv.Load(DataTestFiles.Tabular("digits.csv.gz"));

        Assert.Equal(1797, digits.Count);
        Assert.Equal(64, digits.FeatureCount);
        Assert.Equal(10, digits.ClassCount);
        Assert.Equal(new[] { 178, 182, 177, 183, 181, 182, 181, 179, 174, 180 }, Histogram(digits));
        Assert.Equal(new[] { 0f, 0f, 5f, 13f, 9f, 1f, 0f, 0f }, digits.GetFeatures(0)[..8].ToArray());
        Assert.Equal(0, digits.GetLabel(0));
        Assert.Equal(8, digits.GetLabel(1796));
        Assert.Equal(561718.0, digits.Features.ToArray().Sum(v => (double)v));
        Assert.All(digits.Features.ToArray(), v => Assert.InRange(v, 0f, 16f));
    }

    [Fact]
    public void Diabetes_loads_442_samples_10_features_1_target()
    {
        Dataset diabetes = DelimitedText.Load(
            DataTestFiles.Tabular("diabetes_data_raw.csv.gz"), DataTestFiles.Tabular("diabetes_target.csv.gz"));

        Assert.Equal(442, diabetes.Count);
        Assert.Equal(10, diabetes.FeatureCount);
        Assert.Equal(1, diabetes.TargetCount);
        Assert.False(diabetes.HasLabels);
        Assert.Equal(0, diabetes.ClassCount);
        Assert.True(diabetes.Labels.IsEmpty);
        Assert.Equal(new[] { 59f, 2f, 32.1f, 101f, 157f, 93.2f, 38f, 4f, 4.8598f, 87f }, diabetes.GetFeatures(0).ToArray());
        Assert.Equal(151f, diabetes.GetTargets(0)[0]);
        Assert.Equal(57f, diabetes.GetTargets(441)[0]);
        Assert.Equal(152.133, diabetes.Targets.ToArray().Average(v => (double)v), 3);
    }

    [Fact]
    public void Header_sample_count_mismatch_names_file_and_counts()
    {
        string path = _files.WriteText("short.csv", "3,2,a,b\n1,2,0\n3,4,1\n");

        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("announces 3 samples but 2 data rows", e.Message);
        Assert.Contains("line 1", e.Message);
    }

    [Fact]
    public void Header_feature_count_mismatch_names_line_and_counts()
    {
        string path = _files.WriteText("wide.csv", "2,2,a,b\n1,2,0\n3,4,5,1\n");

        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("found 4 fields but expected 3", e.Message);
    }

    [Fact]
    public void Headerless_rows_of_different_widths_are_an_error()
    {
        string path = _files.WriteText("ragged.csv.gz", "1,2,0\n3,4,1\n5,1\n");

        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(path));

        Assert.Contains("line 3", e.Message);
        Assert.Contains("line 1 has 2 features", e.Message);
    }

    [Fact]
    public void Non_numeric_feature_names_file_line_and_column()
    {
        string path = _files.WriteText("bad.csv", "2,3,a,b\n1,2,3,0\n4,x5,6,1\n");

        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("line 3, column 2", e.Message);
        Assert.Contains("'x5'", e.Message);
    }

    [Theory]
    [InlineData("2,1,a,b\n1,0\n2,0.5\n", "'0.5' is not a class index")]
    [InlineData("2,1,a,b\n1,0\n2,2\n", "label 2 is not below the class count 2")]
    [InlineData("2,1,a,b\n1,0\n2,-1\n", "'-1' is not a class index")]
    [InlineData("2,1,a,b\n1,0\nNaN,1\n", "'NaN' is not a finite number")]
    [InlineData("x,1,a,b\n1,0\n", "not a valid n_samples")]
    public void Bad_labels_values_and_headers_are_errors(string content, string expected)
    {
        string path = _files.WriteText("labels.csv", content);

        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(path));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Class_count_parameter_must_agree_with_header_and_can_widen_headerless_files()
    {
        string withHeader = _files.WriteText("h.csv", "2,1,a,b\n1,0\n2,1\n");
        string headerless = _files.WriteText("n.csv", "1,0\n2,1\n");

        Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(withHeader, classCount: 3));
        Assert.Equal(2, SklearnCsv.Load(withHeader, classCount: 2).ClassCount);
        Assert.Equal(2, SklearnCsv.Load(headerless).ClassCount);
        Dataset wide = SklearnCsv.Load(headerless, classCount: 5);
        Assert.Equal(5, wide.ClassCount);
        Assert.Equal(new[] { 0f, 1f, 0f, 0f, 0f }, wide.GetTargets(1).ToArray());
        Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(headerless, classCount: 1));
    }

    [Fact]
    public void Missing_file_gives_full_path_and_where_the_data_comes_from()
    {
        string path = Path.Combine(_files.Directory, "nothing", "iris.csv");

        var e = Assert.Throws<FileNotFoundException>(() => SklearnCsv.Load(path));

        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
        Assert.Contains("python3-sklearn", e.Message);
    }

    [Fact]
    public void Truncated_gzip_is_an_error_even_when_cut_at_a_line_boundary()
    {
        // GZipStream alone returns a truncated file's partial content silently; the loader checks the gzip trailer.
        byte[] whole = File.ReadAllBytes(DataTestFiles.Tabular("digits.csv.gz"));
        string half = _files.WriteBytes("half.csv.gz", whole[..(whole.Length / 2)]);
        string noTrailer = _files.WriteBytes("notrailer.csv.gz", whole[..^8]);
        string notGzip = _files.WriteBytes("plain.csv.gz", Encoding.UTF8.GetBytes("1,2,0\n3,4,1\n5,6,0\n7,8,1\n"));

        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(half));
        Assert.Contains("truncated or corrupt gzip", e.Message);
        Assert.Contains(half, e.Message);
        Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(noTrailer));
        var e2 = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(notGzip));
        Assert.Contains("not a gzip file", e2.Message);
    }

    [Fact]
    public void Delimited_text_checks_row_counts_fields_and_separator()
    {
        string features = _files.WriteText("x.txt", "1 2\t3\n  4 5 6  \n\n");
        string targets = _files.WriteText("y.txt", "10\n20\n");
        string shortTargets = _files.WriteText("y1.txt", "10\n");
        string ragged = _files.WriteText("r.txt", "1 2 3\n4 5\n");
        string csv = _files.WriteText("c.csv", "1,2\n3,\n");

        Dataset data = DelimitedText.Load(features, targets);
        Assert.Equal(2, data.Count);
        Assert.Equal(new[] { 4f, 5f, 6f }, data.GetFeatures(1).ToArray());
        Assert.Equal(20f, data.GetTargets(1)[0]);

        var mismatch = Assert.Throws<InvalidDataException>(() => DelimitedText.Load(features, shortTargets));
        Assert.Contains("holds 2 samples", mismatch.Message);
        Assert.Contains(shortTargets, mismatch.Message);
        var width = Assert.Throws<InvalidDataException>(() => DelimitedText.Load(ragged, targets));
        Assert.Contains("line 2: found 2 fields but line 1 has 3", width.Message);
        var empty = Assert.Throws<InvalidDataException>(() => DelimitedText.Load(csv, targets, ','));
        Assert.Contains("line 2, column 2: '' is not a finite number", empty.Message);
        Assert.Throws<FileNotFoundException>(() => DelimitedText.Load(features, Path.Combine(_files.Directory, "missing.txt")));
    }
}
