using System;
using System.Linq;
using NetDsl.Data;
using Xunit;

namespace NetDsl.Tests.Data;

public sealed class FeatureScalerTests
{
    private static (double Mean, double Std) Column(Dataset data, int j)
    {
        double[] values = Enumerable.Range(0, data.Count).Select(i => (double)data.GetFeatures(i)[j]).ToArray();
        double mean = values.Average();
        return (mean, Math.Sqrt(values.Average(v => (v - mean) * (v - mean))));
    }

    [Fact]
    public void Standardization_fitted_on_train_gives_mean_0_std_1_on_train_only()
    {
        Dataset digits = SklearnCsv.Load(DataTestFiles.Tabular("digits.csv.gz")).Shuffled(seed: 1);
        (Dataset train, Dataset test) = digits.Split(0.8);

        FeatureScaler scaler = FeatureScaler.FitStandardization(train);
        Dataset scaledTrain = scaler.Transform(train);
        Dataset scaledTest = scaler.Transform(test);

        Assert.Equal(64, scaler.FeatureCount);
        int constant = 0;
        for (int j = 0; j < 64; j++)
        {
            (double mean, double std) = Column(scaledTrain, j);
            Assert.Equal(0, mean, 4);
            if (scaler.Scales[j] == 1f && Column(train, j).Std == 0)
            {
                constant++;
                Assert.Equal(0, std); // constant feature: shifted only, exactly 0
            }
            else
            {
                Assert.Equal(1, std, 4);
            }
        }

        Assert.True(constant > 0, "digits has always-zero pixels");
        Assert.All(scaledTest.Features.ToArray(), v => Assert.True(float.IsFinite(v)));
        // The test set is transformed with the training statistics, not its own.
        Assert.Equal((test.GetFeatures(0)[10] - scaler.Offsets[10]) / scaler.Scales[10], scaledTest.GetFeatures(0)[10], 5);
        Assert.Equal(train.Labels.ToArray(), scaledTrain.Labels.ToArray());
        Assert.Equal(train.Targets.ToArray(), scaledTrain.Targets.ToArray());
        Assert.Equal(0f, train.GetFeatures(0)[0] - train.Features[0]); // the input is not modified
    }

    [Fact]
    public void Constant_feature_is_centred_without_nan_and_unseen_values_stay_finite()
    {
        float[] features = [1f, 0.1f, 3f, 0.1f, 5f, 0.1f];

        FeatureScaler scaler = FeatureScaler.FitStandardization(features, 2);
        Assert.Equal(new[] { 3f, 0.1f }, scaler.Offsets.ToArray());
        Assert.Equal(1f, scaler.Scales[1]);
        Assert.Equal((float)Math.Sqrt(8.0 / 3), scaler.Scales[0], 5);

        float[] data = [3f, 0.1f, 3f, 2.1f];
        scaler.Transform(data);
        Assert.Equal(new[] { 0f, 0f, 0f }, data[..3]); // exactly 0 on the constant training value
        Assert.Equal(2f, data[3], 5); // an unseen value is shifted, not divided by a zero deviation
    }

    [Fact]
    public void Min_max_maps_training_range_to_unit_interval()
    {
        float[] features = [2f, 7f, 4f, 7f, 6f, 7f];

        FeatureScaler scaler = FeatureScaler.FitMinMax(features, 2);
        float[] scaled = (float[])features.Clone();
        scaler.Transform(scaled);

        Assert.Equal(new[] { 0f, 0f, 0.5f, 0f, 1f, 0f }, scaled);
        Assert.Equal(new[] { 2f, 7f }, scaler.Offsets.ToArray());
        Assert.Equal(new[] { 4f, 1f }, scaler.Scales.ToArray());
    }

    [Fact]
    public void Restored_scaler_matches_and_inputs_are_validated()
    {
        FeatureScaler fitted = FeatureScaler.FitStandardization([1f, 2f, 3f, 5f], 2);
        var restored = new FeatureScaler(fitted.Offsets, fitted.Scales);
        float[] a = [4f, 4f], b = [4f, 4f];
        fitted.Transform(a);
        restored.Transform(b);

        Assert.Equal(a, b);
        Assert.Throws<ArgumentException>(() => new FeatureScaler([0f], [0f]));
        Assert.Throws<ArgumentException>(() => new FeatureScaler([0f, 1f], [1f]));
        Assert.Throws<ArgumentException>(() => FeatureScaler.FitStandardization([1f, float.NaN], 2));
        Assert.Throws<ArgumentException>(() => FeatureScaler.FitMinMax([], 2));
        Assert.Throws<ArgumentException>(() => fitted.Transform(new float[3]));
        Assert.Throws<ArgumentException>(() => fitted.Transform(new Dataset(new float[3], 3, new float[1], 1)));
    }

    [Fact]
    public void Saved_scaler_round_trips_through_a_safetensors_file_and_a_stream()
    {
        Dataset wine = SklearnCsv.Load(DataTestFiles.Tabular("wine_data.csv"));
        FeatureScaler scaler = FeatureScaler.FitStandardization(wine);
        using var files = new DataTestFiles();
        string path = System.IO.Path.Combine(files.Directory, "wine.scaler.safetensors");

        scaler.Save(path);
        FeatureScaler loaded = FeatureScaler.Load(path);
        Assert.Equal(scaler.Offsets.ToArray(), loaded.Offsets.ToArray());
        Assert.Equal(scaler.Scales.ToArray(), loaded.Scales.ToArray());
        Assert.Equal(scaler.Transform(wine).Features.ToArray(), loaded.Transform(wine).Features.ToArray());

        // The file holds the two named tensors, readable by any safetensors reader.
        var buffer = new float[26];
        NetDsl.Serialization.SafeTensors.Load(path, buffer,
            [new("scaler.offsets", 0, [13]), new("scaler.scales", 13, [13])]);
        Assert.Equal(scaler.Offsets.ToArray(), buffer[..13]);
        Assert.Equal(scaler.Scales.ToArray(), buffer[13..]);

        using var stream = new System.IO.MemoryStream();
        scaler.Save(stream);
        stream.Position = 0;
        Assert.Equal(scaler.Scales.ToArray(), FeatureScaler.Load(stream).Scales.ToArray());
    }

    [Fact]
    public void Loading_a_file_that_is_not_a_scaler_says_so()
    {
        using var files = new DataTestFiles();
        string path = System.IO.Path.Combine(files.Directory, "weights.safetensors");
        NetDsl.Serialization.SafeTensors.Save(path, [1f, 2f], [new("0.weight", 0, [2])]);

        var e = Assert.Throws<NetDsl.Serialization.WeightFileException>(() => FeatureScaler.Load(path));
        Assert.Contains("FeatureScaler.Save", e.Message);
        Assert.Contains(path, e.Message);
        Assert.Throws<System.IO.FileNotFoundException>(() => FeatureScaler.Load(System.IO.Path.Combine(files.Directory, "none.safetensors")));
    }
}
