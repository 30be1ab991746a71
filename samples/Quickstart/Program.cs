// Quickstart: declare a digits classifier, train it on the UCI handwritten digits (8x8 images), save the weights,
// reload them in a fresh network and check that it predicts the same. Runs in a few seconds.
using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using NetDsl;
using NetDsl.Data;
using Quickstart;

const int Epochs = 20, BatchSize = 32, Seed = 42;

// 1797 images of 64 pixels (0..16) with their digit. Hold out a fifth to measure accuracy honestly, and
// standardize the pixels with statistics of the training part only.
Dataset digits = SklearnCsv.Load(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz"));
(Dataset training, Dataset test) = digits.Shuffled(Seed).Split(0.8);
FeatureScaler scaler = FeatureScaler.FitStandardization(training);
training = scaler.Transform(training);
test = scaler.Transform(test);
Console.WriteLine($"Digits: {training.Count} training and {test.Count} held-out images of {digits.FeatureCount} pixels, {digits.ClassCount} classes.");
Console.WriteLine();
Console.WriteLine(DigitsClassifier.Summary);
Console.WriteLine();

var network = new DigitsClassifier(seed: Seed);
var workspace = new DigitsClassifier.Workspace(maxBatchSize: Math.Max(BatchSize, test.Count));
var optimizer = new Adam(learningRate: 1e-3f);
var batches = new MiniBatches(training, BatchSize);
var random = new Random(Seed);
var testOutputs = new float[test.Count * DigitsClassifier.OutputSize];
var clock = Stopwatch.StartNew();

for (int epoch = 1; epoch <= Epochs; epoch++)
{
    batches.Shuffle(random);
    double lossSum = 0;
    foreach (MiniBatch batch in batches)
        lossSum += network.TrainStep(batch.Features, batch.Targets, optimizer, workspace) * batch.Count;

    network.Forward(test.Features, testOutputs, workspace);
    double accuracy = Metrics.Accuracy(testOutputs, test.Labels, DigitsClassifier.OutputSize);
    Console.WriteLine($"epoch {epoch,2}  loss {lossSum / training.Count:F4}  held-out accuracy {accuracy:P2}");
}

network.Forward(test.Features, testOutputs, workspace);
double finalAccuracy = Metrics.Accuracy(testOutputs, test.Labels, DigitsClassifier.OutputSize);
Console.WriteLine();
Console.WriteLine($"Held-out accuracy: {finalAccuracy:P2} after {Epochs} epochs in {clock.Elapsed.TotalSeconds:F2} s");

// Save the weights (safetensors, PyTorch state_dict names), load them into a network with other weights, compare.
string weights = Path.Combine(AppContext.BaseDirectory, "digits.safetensors");
network.SaveParameters(weights);
var reloaded = new DigitsClassifier(seed: 0);
reloaded.LoadParameters(weights);
var reloadedOutputs = new float[testOutputs.Length];
reloaded.Forward(test.Features, reloadedOutputs, workspace);
bool same = testOutputs.AsSpan().SequenceEqual(reloadedOutputs);
Console.WriteLine($"Saved {weights} and reloaded it: predictions {(same ? "identical" : "DIFFERENT")}.");

Console.WriteLine();
Console.WriteLine("The code NetDsl generated for DigitsClassifier is in:");
Console.WriteLine($"  {GeneratedFolder()}");
return same ? 0 : 1;

static string GeneratedFolder([CallerFilePath] string program = "")
    => Path.Combine(Path.GetDirectoryName(program)!, "Generated", "NetDsl.Generators", "NetDsl.Generators.NetworkGenerator");

namespace Quickstart
{
    /// <summary>Digits: 64 pixels → 64 ReLU units → 10 logits, trained with softmax cross-entropy.</summary>
    [Network(Loss = Loss.SoftmaxCrossEntropy)]
    [Input(64)]
    [Dense(64, Activation.ReLU)]
    [Dense(10)]
    public partial class DigitsClassifier;
}
