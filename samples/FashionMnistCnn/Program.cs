// Fashion-MNIST with a small CNN, trained by Trainer.Fit: two 5x5 convolutions with ReLU and 2x2 max pooling, then a
// dense layer; Adam from 1e-3 with cosine annealing, batches of 64, 8 epochs. Prints each epoch's training loss, test loss and accuracy, and
// seconds. Usage: dotnet run -c Release --project samples/FashionMnistCnn [-- DIRECTORY] [--epochs N]
using System;
using System.Globalization;
using System.IO;
using System.Linq;
using FashionMnist;
using FashionMnistCnn;
using NetDsl;
using NetDsl.Data;

string? directory = null;
int epochs = 8;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--epochs" && i + 1 < args.Length && int.TryParse(args[i + 1], out int parsed) && parsed > 0)
        epochs = parsed;
    else if (args[i] == "--epochs")
    {
        Console.Error.WriteLine("--epochs takes a positive number.");
        return 1;
    }
    else
        directory = args[i];
    if (args[i] == "--epochs")
        i++;
}

FashionMnistFiles files = FashionMnistFiles.Locate(directory);
var missing = files.Missing();
if (missing.Count > 0)
{
    Console.Error.WriteLine($"Fashion-MNIST not found in {files.Directory}. Missing: {string.Join(", ", missing)}");
    Console.Error.WriteLine("Install the Debian package:  sudo apt-get install dataset-fashion-mnist");
    Console.Error.WriteLine($"or pass the directory that holds the files as an argument, or set {FashionMnistFiles.EnvironmentVariable}.");
    return 2;
}

// 28x28 grey images scaled to [0, 1], as [1, 28, 28] samples; labels one-hot over 10 classes.
Dataset train = Idx.LoadDataset(files.TrainImages, files.TrainLabels, scale: 1f / 255f, classCount: 10);
Dataset test = Idx.LoadDataset(files.TestImages, files.TestLabels, scale: 1f / 255f, classCount: 10);
Console.WriteLine($"Fashion-MNIST: {train.Count:N0} training and {test.Count:N0} test images.");
Console.WriteLine(FashionCnn.Summary);
Console.WriteLine();
Console.WriteLine("epoch   train loss   test loss   test accuracy   seconds");

var network = new FashionCnn(seed: 42);
TrainingHistory history = network.Fit(train, new TrainingOptions
{
    Optimizer = new Adam(1e-3f),
    LearningRateSchedule = new CosineAnnealing(1e-3f, tMax: epochs),
    Epochs = epochs,
    BatchSize = 64,
    Seed = 42,
    Validation = test,
    Progress = new ConsoleProgress(),
});

EpochResult last = history.Epochs[^1];
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Final test accuracy: {last.ValidationAccuracy:P2}"));
string weights = Path.Combine(AppContext.BaseDirectory, "fashion-cnn.safetensors");
network.SaveParameters(weights);
Console.WriteLine($"Weights saved to {weights} (PyTorch state_dict names: {string.Join(", ", FashionCnn.ParameterTensors.ToArray().Select(t => t.Name))}).");
return 0;

namespace FashionMnistCnn
{
    /// <summary>conv 5x5 1→16 pad 2, ReLU, maxpool 2; conv 5x5 16→32 pad 2, ReLU, maxpool 2; dense 1568→128 ReLU; dense 128→10.</summary>
    [Network(Loss = Loss.SoftmaxCrossEntropy)]
    [Input(1, 28, 28)]
    [Conv2D(16, 5, Activation.ReLU, PaddingSize = 2)]
    [MaxPool2D(2)]
    [Conv2D(32, 5, Activation.ReLU, PaddingSize = 2)]
    [MaxPool2D(2)]
    [Flatten]
    [Dense(128, Activation.ReLU, InputSize = 1568)]
    [Dense(10)]
    public partial class FashionCnn;

    /// <summary>Prints each epoch's line as it ends (on the training thread).</summary>
    internal sealed class ConsoleProgress : IProgress<EpochResult>
    {
        public void Report(EpochResult r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{r.Epoch,5}   {r.TrainingLoss,10:F4}   {r.ValidationLoss,9:F4}   {r.ValidationAccuracy,13:P2}   {r.Elapsed.TotalSeconds,7:F1}"));
    }
}
