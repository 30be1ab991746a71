// Imbalanced data the Keras way: breast cancer biopsies (212 malignant, 357 benign), standardized with training
// statistics, trained with Fit: balanced class weights so the rarer malignant class counts as much as the other,
// dropout and an L2 penalty, a cosine learning-rate schedule, early stopping on the validation loss, and a
// progress bar. Prints the confusion matrix with and without class weights.
using System;
using System.IO;
using NetDsl;
using NetDsl.Data;
using ImbalancedTraining;
using Spectre.Console;

Dataset data = SklearnCsv.Load(Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer.csv"));
(Dataset training, Dataset test) = data.StratifiedSplit(0.8, seed: 1);
(training, Dataset validation) = training.StratifiedSplit(0.8, seed: 2);
FeatureScaler scaler = FeatureScaler.FitStandardization(training);
(training, validation, test) = (scaler.Transform(training), scaler.Transform(validation), scaler.Transform(test));
string[] classes = ["malignant", "benign"];

AnsiConsole.MarkupLine($"[bold]Breast cancer[/]: {training.Count} training, {validation.Count} validation, {test.Count} test biopsies of {data.FeatureCount} measurements.");
AnsiConsole.WriteLine(TumourClassifier.Summary);

foreach (bool weighted in new[] { false, true })
{
    float[]? classWeights = weighted ? ClassWeights.Balanced(training) : null;
    AnsiConsole.WriteLine();
    AnsiConsole.MarkupLine(weighted
        ? $"[bold]With class weights[/] {classWeights![0]:F2} (malignant) and {classWeights[1]:F2} (benign)"
        : "[bold]Without class weights[/]");

    var network = new TumourClassifier(seed: 7);
    var stopping = new EarlyStopping(Monitor.ValidationLoss, patience: 10);
    TrainingHistory history = null!;
    void Train(IProgress<EpochResult>? progress) => history = network.Fit(training, new TrainingOptions
    {
        Optimizer = new Adam(1e-3f),
        Epochs = 200,
        BatchSize = 16,
        Seed = 7,
        Validation = validation,
        ClassWeights = classWeights,
        LearningRateSchedule = new CosineAnnealing(1e-3f, tMax: 200),
        Callbacks = [stopping],
        Progress = progress,
    });

    if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
    {
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("training", maxValue: 200);
                Train(new Progress(result =>
                {
                    task.Value = result.Epoch;
                    task.Description = $"epoch {result.Epoch,3}  loss {result.TrainingLoss:F4}  validation {result.ValidationLoss:F4} / {result.ValidationAccuracy:P1}";
                }));
                task.Value = task.MaxValue;
            });
    }
    else
    {
        Train(new Progress(result =>
        {
            if (result.Epoch % 10 == 0)
                Console.WriteLine($"epoch {result.Epoch,3}  loss {result.TrainingLoss:F4}  validation loss {result.ValidationLoss:F4}  accuracy {result.ValidationAccuracy:P1}");
        }));
    }
    AnsiConsole.MarkupLine($"Stopped after {history.Epochs.Count} epochs; restored epoch {stopping.BestEpoch} (validation loss {stopping.BestValue:F4}).");

    var outputs = new float[test.Count * 2];
    network.Forward(test.Features, outputs, new TumourClassifier.Workspace(test.Count));
    ConfusionMatrix confusion = ConfusionMatrix.FromOutputs(outputs, test.Labels, 2);
    AnsiConsole.WriteLine(confusion.ToString(classes));
    AnsiConsole.MarkupLine($"Test accuracy {confusion.Accuracy:P2} · malignant recall [bold]{confusion.Recall(0):P2}[/] · malignant F1 {confusion.F1(0):F3} · macro F1 {confusion.MacroF1:F3}");
}

/// <summary>Reports synchronously, on the training thread (System.Progress posts to a synchronization context).</summary>
sealed class Progress(Action<EpochResult> report) : IProgress<EpochResult>
{
    public void Report(EpochResult value) => report(value);
}

namespace ImbalancedTraining
{
    /// <summary>30 measurements → 32 ReLU (L2 1e-4) → dropout 0.3 → 2 logits (malignant, benign).</summary>
    [Network(Loss = Loss.SoftmaxCrossEntropy)]
    [Input(30)]
    [Dense(32, Activation.ReLU, L2 = 1e-4f)]
    [Dropout(0.3f)]
    [Dense(2)]
    public partial class TumourClassifier;
}
