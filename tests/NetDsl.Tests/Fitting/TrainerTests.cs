using System;
using System.Collections.Generic;
using System.IO;
using NetDsl.Data;
using NetDsl.Tests.Data;
using NetDsl.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace NetDsl.Tests.Fitting;

/// <summary>
/// The Fit loop on real data, with fixed seeds: class weights on imbalanced data, standardization, early stopping,
/// determinism, divergence errors, callbacks and progress.
/// </summary>
public class TrainerTests(ITestOutputHelper output)
{
    private static Dataset Load(string name) => SklearnCsv.Load(DataTestFiles.Tabular(name));

    private static Dataset Standardize(Dataset data, FeatureScaler scaler) => scaler.Transform(data);

    private static ConfusionMatrix Confusion(INetwork network, Dataset data)
    {
        var outputs = new float[data.Count * network.OutputSize];
        network.Forward(data.Features, outputs, network.CreateWorkspace(data.Count));
        return ConfusionMatrix.FromOutputs(outputs, data.Labels, data.ClassCount);
    }

    [Fact]
    public void Class_weights_raise_the_recall_of_the_minority_class_on_breast_cancer()
    {
        // 5-fold cross-validation, so recall is measured on all 212 malignant tumours, each held out once.
        Dataset data = Load("breast_cancer.csv");
        float[] balanced = ClassWeights.Balanced(data);
        var unweighted = new ConfusionMatrix(2);
        var weighted = new ConfusionMatrix(2);
        int fold = 0;
        foreach ((Dataset train, Dataset validation) in new KFold(5, seed: 11, stratified: true).Split(data))
        {
            FeatureScaler scaler = FeatureScaler.FitStandardization(train);
            Dataset training = scaler.Transform(train), held = scaler.Transform(validation);
            foreach ((ConfusionMatrix matrix, float[]? weights) in new[] { (unweighted, (float[]?)null), (weighted, balanced) })
            {
                var network = new BreastCancerClassifier(seed: fold);
                network.Fit(training, new TrainingOptions { Optimizer = new Adam(1e-3f), Epochs = 30, BatchSize = 16, Seed = fold, ClassWeights = weights });
                var outputs = new float[held.Count * 2];
                network.Forward(held.Features, outputs, new BreastCancerClassifier.Workspace(held.Count));
                matrix.AddOutputs(outputs, held.Labels);
            }
            fold++;
        }

        output.WriteLine($"class weights {balanced[0]:F3} (malignant), {balanced[1]:F3} (benign)");
        output.WriteLine($"unweighted: malignant recall {unweighted.Recall(0):P2}, F1 {unweighted.F1(0):F4}, macro F1 {unweighted.MacroF1:F4}\n{unweighted}");
        output.WriteLine($"weighted:   malignant recall {weighted.Recall(0):P2}, F1 {weighted.F1(0):F4}, macro F1 {weighted.MacroF1:F4}\n{weighted}");
        Assert.True(weighted.Recall(0) > unweighted.Recall(0), $"malignant recall {weighted.Recall(0):P2} with class weights is not above {unweighted.Recall(0):P2} without");
        Assert.True(weighted.F1(0) >= 0.95, $"malignant F1 {weighted.F1(0):F4} < 0.95");
        Assert.True(weighted.MacroF1 >= 0.95, $"macro F1 {weighted.MacroF1:F4} < 0.95");
    }

    [Fact]
    public void Standardization_makes_wine_learnable_and_training_without_it_is_markedly_worse()
    {
        (Dataset train, Dataset test) = Load("wine_data.csv").StratifiedSplit(0.8, seed: 3);
        FeatureScaler scaler = FeatureScaler.FitStandardization(train);
        var options = new TrainingOptions { Optimizer = new Adam(1e-2f), Epochs = 60, BatchSize = 16, Seed = 3 };

        var standardized = new WineClassifier(seed: 3);
        standardized.Fit(scaler.Transform(train), options);
        double withScaling = Confusion(standardized, scaler.Transform(test)).Accuracy;

        var raw = new WineClassifier(seed: 3);
        raw.Fit(train, options with { Optimizer = new Adam(1e-2f) });
        double withoutScaling = Confusion(raw, test).Accuracy;

        output.WriteLine($"wine held-out accuracy: {withScaling:P2} standardized, {withoutScaling:P2} raw ({test.Count} samples)");
        Assert.True(withScaling >= 0.95, $"standardized accuracy {withScaling:P2} < 95 %");
        Assert.True(withoutScaling <= withScaling - 0.2, $"raw features reached {withoutScaling:P2}, not markedly worse than {withScaling:P2}");
    }

    [Fact]
    public void Early_stopping_on_digits_stops_before_the_limit_and_restores_the_best_weights()
    {
        (Dataset train, Dataset validation) = Load("digits.csv.gz").StratifiedSplit(0.7, seed: 5);
        FeatureScaler scaler = FeatureScaler.FitStandardization(train);
        train = scaler.Transform(train);
        validation = scaler.Transform(validation);
        var stopping = new EarlyStopping(Monitor.ValidationLoss, patience: 3);
        var network = new DigitsWithDropout(seed: 5);

        TrainingHistory history = network.Fit(train, new TrainingOptions
        {
            Optimizer = new Adam(3e-3f), Epochs = 200, BatchSize = 32, Seed = 5, Validation = validation, Callbacks = [stopping],
        });

        EpochResult last = history.Epochs[^1];
        (double restoredLoss, double restoredAccuracy) = network.Evaluate(validation);
        output.WriteLine($"stopped after {history.Epochs.Count} epochs; best epoch {stopping.BestEpoch} (validation loss {stopping.BestValue:F4}); last epoch's validation loss {last.ValidationLoss:F4}; restored: loss {restoredLoss:F4}, accuracy {restoredAccuracy:P2}");
        Assert.Same(stopping, history.StoppedBy);
        Assert.True(history.Epochs.Count < 200);
        Assert.Equal(stopping.BestEpoch + stopping.Patience + 1, history.Epochs.Count);
        Assert.True(restoredLoss <= last.ValidationLoss, $"restored weights' validation loss {restoredLoss} is worse than the last epoch's {last.ValidationLoss}");
        Assert.Equal(stopping.BestValue, restoredLoss, 6);
    }

    [Fact]
    public void The_same_seed_gives_bit_identical_weights()
    {
        Dataset data = Standardize(Load("iris.csv"), FeatureScaler.FitStandardization(Load("iris.csv")));
        float[] Train(int seed)
        {
            var network = new DigitsWithDropoutIris(seed: 1);
            network.Fit(data, new TrainingOptions { Optimizer = new Adam(1e-2f), Epochs = 5, BatchSize = 8, Seed = seed });
            return network.Parameters.ToArray();
        }

        Assert.Equal(Train(1), Train(1));
        Assert.NotEqual(Train(1), Train(2));
    }

    [Fact]
    public void A_diverging_run_stops_with_an_error_naming_the_step_and_the_layer()
    {
        // Raw diabetes features and targets (25..346) with a far too large learning rate: the squared error explodes.
        Dataset data = DelimitedText.Load(DataTestFiles.Tabular("diabetes_data_raw.csv.gz"), DataTestFiles.Tabular("diabetes_target.csv.gz"));
        var network = new LinearRegression10(seed: 1);
        var e = Assert.Throws<ArithmeticException>(() =>
            network.Fit(data, new TrainingOptions { Optimizer = new Sgd(0.1f), Epochs = 20, BatchSize = 16 }));
        output.WriteLine(e.Message);
        Assert.Matches(@"^Step [1-9]\d* \(epoch 1\): The loss of this batch is Infinity: every layer's output is finite, so .* or the loss overflowed", e.Message);

        // A weight that is already infinite: the first layer to output infinity is named.
        var broken = new DiabetesRegressor(seed: 1);
        broken.Parameters[DiabetesRegressor.Layer1WeightOffset] = float.PositiveInfinity;
        var named = Assert.Throws<ArithmeticException>(() =>
            broken.Fit(data, new TrainingOptions { Optimizer = new Sgd(1e-3f), Epochs = 1, BatchSize = 16 }));
        output.WriteLine(named.Message);
        Assert.StartsWith("Step 0 (epoch 1): The loss of this batch is ", named.Message);
        Assert.Contains("layer 1 ('1', Dense Identity) is the first to output NaN or infinity", named.Message);
    }

    [Fact]
    public void Schedules_progress_and_checkpoints_run_each_epoch()
    {
        Dataset data = Standardize(Load("iris.csv"), FeatureScaler.FitStandardization(Load("iris.csv")));
        (Dataset train, Dataset validation) = data.StratifiedSplit(0.8, seed: 1);
        string folder = Path.Combine(Path.GetTempPath(), "netdsl-checkpoints-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var reports = new List<EpochResult>();
            var checkpoint = new Checkpoint(Path.Combine(folder, "iris-{epoch}.safetensors"), Monitor.ValidationAccuracy, saveBestOnly: false);
            var sgd = new Sgd(0.1f, momentum: 0.9f);
            var network = new IrisClassifier(seed: 1);
            network.Fit(train, new TrainingOptions
            {
                Optimizer = sgd, Epochs = 4, BatchSize = 16, Validation = validation,
                LearningRateSchedule = new StepDecay(0.1f, stepSize: 2, gamma: 0.5f),
                Progress = new SynchronousProgress(reports.Add), Callbacks = [checkpoint],
            });

            Assert.Equal([1, 2, 3, 4], reports.ConvertAll(r => r.Epoch));
            Assert.Equal([0.1f, 0.1f, 0.05f, 0.05f], reports.ConvertAll(r => r.LearningRate));
            Assert.All(reports, r => Assert.InRange(r.ValidationAccuracy, 0, 1));
            Assert.Equal(4, checkpoint.Saved.Count);
            var reloaded = new IrisClassifier(seed: 99);
            reloaded.LoadParameters(checkpoint.Saved[^1]);
            Assert.Equal(network.Parameters.ToArray(), reloaded.Parameters.ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Training_steps_inside_fit_allocate_nothing()
    {
        using var kernelThreads = KernelThreads.Hold();
        Dataset data = Standardize(Load("digits.csv.gz"), FeatureScaler.FitStandardization(Load("digits.csv.gz")));
        var network = new DigitsWithDropout(seed: 1);
        long Allocated(int epochs)
        {
            var options = new TrainingOptions { Optimizer = new Sgd(0.01f), Epochs = epochs, BatchSize = 32, Seed = 1, ClassWeights = ClassWeights.Balanced(data), ClipGradientNorm = 5 };
            long before = GC.GetAllocatedBytesForCurrentThread();
            network.Fit(data, options);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Allocated(1); // warm-up
        // The least of three measurements: a one-off runtime event (a tier-up, a lazily built cache) can land in any
        // one of them, but an allocation per step lands in all three.
        long perEpoch = long.MaxValue;
        for (int i = 0; i < 3; i++)
            perEpoch = Math.Min(perEpoch, (Allocated(6) - Allocated(1)) / 5);
        // An epoch is 57 steps; a step that allocated even one small object would show here many times over.
        output.WriteLine($"{perEpoch} bytes per epoch (results, timing), 57 steps each");
        Assert.True(perEpoch < 1024, $"{perEpoch} bytes allocated per epoch");
    }

    private sealed class SynchronousProgress(Action<EpochResult> report) : IProgress<EpochResult>
    {
        public void Report(EpochResult value) => report(value);
    }
}
