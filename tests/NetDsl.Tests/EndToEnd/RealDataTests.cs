using System;
using System.IO;
using NetDsl.Data;
using NetDsl.Tests.Data;
using NetDsl.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace NetDsl.Tests.EndToEnd;

/// <summary>
/// Generated networks trained on real data with fixed seeds must reach the accuracy the issue states, and a saved
/// and reloaded network must predict bit for bit what the original predicts.
/// </summary>
public class RealDataTests(ITestOutputHelper output)
{
    /// <summary>A plain epoch loop over shuffled mini-batches: what a user writes with the generated API.</summary>
    private static void Train(ITrainableNetwork network, Dataset training, IOptimizer optimizer, int epochs, int batchSize, int seed)
    {
        var batches = new MiniBatches(training, batchSize);
        NetworkWorkspace workspace = network.CreateWorkspace(batchSize);
        var random = new Random(seed);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            batches.Shuffle(random);
            foreach (MiniBatch batch in batches)
                network.TrainStep(batch.Features, batch.Targets, optimizer, workspace);
        }
    }

    private static float[] Predict(INetwork network, Dataset data)
    {
        var outputs = new float[data.Count * network.OutputSize];
        network.Forward(data.Features, outputs, network.CreateWorkspace(data.Count));
        return outputs;
    }

    /// <summary>Shuffles with a seed, holds out the last fifth, and standardizes both parts with training statistics.</summary>
    private static (Dataset Training, Dataset Test) Prepare(Dataset data, int seed)
    {
        (Dataset training, Dataset test) = data.Shuffled(seed).Split(0.8);
        FeatureScaler scaler = FeatureScaler.FitStandardization(training);
        return (scaler.Transform(training), scaler.Transform(test));
    }

    [Fact]
    public void Digits_classifier_reaches_95_percent_on_held_out_digits()
    {
        (Dataset training, Dataset test) = Prepare(SklearnCsv.Load(DataTestFiles.Tabular("digits.csv.gz")), seed: 1);
        var network = new DigitsClassifier(seed: 1);

        Train(network, training, new Adam(1e-3f), epochs: 30, batchSize: 32, seed: 1);

        double accuracy = Metrics.Accuracy(Predict(network, test), test.Labels, 10);
        output.WriteLine($"digits: held-out accuracy {accuracy:P2} on {test.Count} samples");
        Assert.True(accuracy >= 0.95, $"held-out accuracy {accuracy:P2} < 95 %");
    }

    [Fact]
    public void Iris_classifier_reaches_93_percent_on_held_out_flowers()
    {
        (Dataset training, Dataset test) = Prepare(SklearnCsv.Load(DataTestFiles.Tabular("iris.csv")), seed: 2);
        var network = new IrisClassifier(seed: 2);

        Train(network, training, new Sgd(0.05f, momentum: 0.9f), epochs: 100, batchSize: 16, seed: 2);

        double accuracy = Metrics.Accuracy(Predict(network, test), test.Labels, 3);
        output.WriteLine($"iris: held-out accuracy {accuracy:P2} on {test.Count} samples");
        Assert.True(accuracy >= 0.93, $"held-out accuracy {accuracy:P2} < 93 %");
    }

    [Fact]
    public void Diabetes_regressor_explains_40_percent_of_the_variance_of_held_out_patients()
    {
        Dataset data = DelimitedText.Load(DataTestFiles.Tabular("diabetes_data_raw.csv.gz"), DataTestFiles.Tabular("diabetes_target.csv.gz"));
        (Dataset training, Dataset test) = Prepare(data, seed: 3);

        // The target (disease progression, 25..346) is standardized with training statistics too, so the MSE is on a unit scale.
        FeatureScaler targetScaler = FeatureScaler.FitStandardization(training.Targets, 1);
        var scaledTargets = training.Targets.ToArray();
        targetScaler.Transform(scaledTargets);
        var scaledTraining = new Dataset(training.Features, training.FeatureCount, scaledTargets, 1);

        var network = new DiabetesRegressor(seed: 3);
        Train(network, scaledTraining, new Adam(1e-3f), epochs: 100, batchSize: 16, seed: 3);

        float[] predictions = Predict(network, test);
        for (int i = 0; i < predictions.Length; i++)
            predictions[i] = predictions[i] * targetScaler.Scales[0] + targetScaler.Offsets[0];
        double r2 = Metrics.RSquared(predictions, test.Targets);
        output.WriteLine($"diabetes: held-out R² {r2:F3}, RMSE {Metrics.RootMeanSquaredError(predictions, test.Targets):F1} on {test.Count} samples");
        Assert.True(r2 >= 0.40, $"held-out R² {r2:F3} < 0.40");
    }

    [Fact]
    public void A_saved_and_reloaded_network_predicts_bit_for_bit_the_same()
    {
        (Dataset training, Dataset test) = Prepare(SklearnCsv.Load(DataTestFiles.Tabular("digits.csv.gz")), seed: 4);
        var network = new DigitsClassifier(seed: 4);
        Train(network, training, new Adam(1e-3f), epochs: 2, batchSize: 32, seed: 4);
        string path = Path.Combine(Path.GetTempPath(), $"netdsl-digits-{Guid.NewGuid():N}.safetensors");
        try
        {
            network.SaveParameters(path);
            var reloaded = new DigitsClassifier(seed: 99);
            Assert.NotEqual(network.Parameters.ToArray(), reloaded.Parameters.ToArray());

            reloaded.LoadParameters(path);

            Assert.Equal(network.Parameters.ToArray(), reloaded.Parameters.ToArray());
            Assert.Equal(Predict(network, test), Predict(reloaded, test));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Loading_weights_of_another_architecture_names_the_tensor_and_both_shapes_and_changes_nothing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"netdsl-iris-{Guid.NewGuid():N}.safetensors");
        try
        {
            new IrisClassifier(seed: 5).SaveParameters(path);
            var digits = new DigitsClassifier(seed: 5);
            float[] before = digits.Parameters.ToArray();

            var e = Assert.ThrowsAny<IOException>(() => digits.LoadParameters(path));

            Assert.Contains("0.weight", e.Message);
            Assert.Contains("[16, 4]", e.Message);
            Assert.Contains("[64, 64]", e.Message);
            Assert.Equal(before, digits.Parameters.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
