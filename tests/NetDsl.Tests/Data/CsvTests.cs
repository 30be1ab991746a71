using System;
using System.IO;
using System.Linq;
using NetDsl.Data;
using Xunit;

namespace NetDsl.Tests.Data;

/// <summary>The general headed CSV loader, and the two sklearn CSVs added for the imbalance and normalization tests.</summary>
public sealed class CsvTests : IDisposable
{
    private readonly DataTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private const string Cars =
        "name,mpg,cylinders,\"weight, lbs\",origin\n" +
        "chevrolet chevelle,18,8,3504,USA\n" +
        "\"buick \"\"skylark\"\"\",15,8,3693,USA\n" +
        "\n" +
        "toyota corona, 24 ,4,2372,Japan\n";

    [Fact]
    public void Columns_are_chosen_by_name_and_text_columns_are_skipped()
    {
        string path = _files.WriteText("cars.csv", Cars);

        Assert.Equal(["name", "mpg", "cylinders", "weight, lbs", "origin"], Csv.ReadHeader(path));
        Dataset data = Csv.LoadRegression(path, ["weight, lbs", "cylinders"], "mpg");
        Assert.Equal(3, data.Count);
        Assert.Equal(2, data.FeatureCount);
        Assert.False(data.HasLabels);
        Assert.Equal([3504f, 8f, 3693f, 8f, 2372f, 4f], data.Features.ToArray());
        Assert.Equal([18f, 15f, 24f], data.Targets.ToArray());

        Dataset byOrigin = Csv.LoadClassification(path, ["mpg", "weight, lbs"], "origin", classNames: ["USA", "Europe", "Japan"]);
        Assert.Equal(3, byOrigin.ClassCount);
        Assert.Equal([0, 0, 2], byOrigin.Labels.ToArray());
        Assert.Equal([0f, 0f, 1f], byOrigin.GetTargets(2).ToArray());
    }

    [Fact]
    public void Null_features_means_every_other_column_and_integer_labels_give_the_class_count()
    {
        string path = _files.WriteText("t.csv.gz", "a;b;label\n1.5;-2e-3;2\n3;4;0\n");
        var options = new CsvOptions { Separator = ';' };

        Dataset data = Csv.LoadClassification(path, null, "label", options: options);
        Assert.Equal(2, data.FeatureCount);
        Assert.Equal(3, data.ClassCount);
        Assert.Equal([1.5f, -0.002f, 3f, 4f], data.Features.ToArray());
        Assert.Equal([2, 0], data.Labels.ToArray());
    }

    [Fact]
    public void Missing_values_are_errors_naming_file_line_and_column_unless_mapped_explicitly()
    {
        string path = _files.WriteText("gaps.csv", "x,y,t\n1,2,3\n4,,6\n7,NA,9\n");

        var e = Assert.Throws<InvalidDataException>(() => Csv.LoadRegression(path, ["x", "y"], "t"));
        Assert.Contains(path, e.Message);
        Assert.Contains("line 3, column 2 ('y')", e.Message);
        Assert.Contains("missing", e.Message);
        Assert.Contains("CsvOptions.MissingValue", e.Message);

        // "NA" is not a number unless declared a missing marker.
        var options = new CsvOptions { MissingValue = float.NaN };
        e = Assert.Throws<InvalidDataException>(() => Csv.LoadRegression(path, ["x", "y"], "t", options));
        Assert.Contains("line 4, column 2 ('y'): 'NA' is not a finite number", e.Message);

        Dataset data = Csv.LoadRegression(path, ["x", "y"], "t", options with { MissingMarkers = ["NA"] });
        Assert.Equal(3, data.Count);
        Assert.True(float.IsNaN(data.GetFeatures(1)[1]));
        Assert.True(float.IsNaN(data.GetFeatures(2)[1]));
        Assert.Equal(4f, data.GetFeatures(1)[0]);

        // A missing target is never imputed.
        string noTarget = _files.WriteText("notarget.csv", "x,t\n1,2\n3,\n");
        e = Assert.Throws<InvalidDataException>(() => Csv.LoadRegression(noTarget, null, "t", options));
        Assert.Contains("line 3, column 2 ('t')", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Csv.LoadClassification(noTarget, null, "t", options: options));
        Assert.Contains("the label is missing", e.Message);
    }

    [Theory]
    [InlineData("a,b\n1,2\n", "no column 'c'", "c")]
    [InlineData("a,C\n1,2\n", "did you mean 'C'?", "c")]
    [InlineData("a,c,c\n1,2,3\n", "appears twice in the header (columns 2 and 3)", "c")]
    [InlineData("a,c\n1,2\n3\n", "line 3: found 1 fields but the header has 2 columns", "c")]
    [InlineData("a,c\n1,2\n1,5,\n", "line 3: found 3 fields", "c")]
    [InlineData("a,c\n1,2\n\"1,2\n", "line 3, column 1: a quoted field is not closed", "c")]
    [InlineData("a,c\n1;5,2\n", "line 2, column 1 ('a'): '1;5' is not a finite number", "c")]
    [InlineData("a,c\n", "has a header but no data rows", "c")]
    public void Malformed_files_give_precise_errors(string content, string expected, string target)
    {
        string path = _files.WriteText("bad.csv", content);
        var e = Assert.Throws<InvalidDataException>(() => Csv.LoadRegression(path, ["a"], target));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Label_errors_and_argument_errors()
    {
        string path = _files.WriteText("labels.csv", "x,label\n1,sun\n2,fog\n");
        var e = Assert.Throws<InvalidDataException>(() => Csv.LoadClassification(path, null, "label", ["sun", "rain"]));
        Assert.Contains("line 3, column 2 ('label'): the label 'fog' is not one of the class names 'sun', 'rain'", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Csv.LoadClassification(path, null, "label"));
        Assert.Contains("not a class index", e.Message);
        Assert.Contains("pass them as classNames", e.Message);
        Assert.Throws<ArgumentException>(() => Csv.LoadClassification(path, ["x", "label"], "label", ["sun", "fog"]));
        Assert.Throws<ArgumentException>(() => Csv.LoadClassification(path, null, "label", []));
        Assert.Throws<FileNotFoundException>(() => Csv.LoadRegression(Path.Combine(_files.Directory, "none.csv"), null, "x"));
        Assert.Throws<InvalidDataException>(() => Csv.ReadHeader(_files.WriteText("empty.csv", "\n\n")));
    }

    [Fact]
    public void Breast_cancer_loads_569_samples_30_features_212_malignant_357_benign()
    {
        Dataset data = SklearnCsv.Load(DataTestFiles.Tabular("breast_cancer.csv"));
        Assert.Equal(569, data.Count);
        Assert.Equal(30, data.FeatureCount);
        Assert.Equal(2, data.ClassCount);
        Assert.Equal([212, 357], ClassWeights.Count(data.Labels, 2));
        Assert.Equal([17.99f, 10.38f, 122.8f, 1001f], data.GetFeatures(0)[..4].ToArray());
        Assert.Equal(0, data.GetLabel(0));
        Assert.Equal(0.07039f, data.GetFeatures(568)[29]);
        Assert.Equal(1, data.GetLabel(568));
    }

    [Fact]
    public void Wine_loads_178_samples_13_features_59_71_48()
    {
        Dataset data = SklearnCsv.Load(DataTestFiles.Tabular("wine_data.csv"));
        Assert.Equal(178, data.Count);
        Assert.Equal(13, data.FeatureCount);
        Assert.Equal(3, data.ClassCount);
        Assert.Equal([59, 71, 48], ClassWeights.Count(data.Labels, 3));
        Assert.Equal([14.23f, 1.71f, 2.43f, 15.6f, 127f, 2.8f, 3.06f, 0.28f, 2.29f, 5.64f, 1.04f, 3.92f, 1065f], data.GetFeatures(0).ToArray());
        Assert.Equal(560f, data.GetFeatures(177)[12]);
        Assert.Equal(2, data.GetLabel(177));
        // Proline is in the hundreds to thousands while hue is around 1: why standardization matters on wine.
        Assert.True(data.Features.ToArray().Where((_, k) => k % 13 == 12).Min() > 250);
    }
}
