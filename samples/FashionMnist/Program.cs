using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using NetDsl;
using NetDsl.Data;
using Spectre.Console;

namespace FashionMnist;

/// <summary>
/// Trains <see cref="FashionMnistMlp"/> on Fashion-MNIST: Adam (learning rate 1e-3), mini-batches of 64 reshuffled
/// every epoch with a fixed seed, 5 epochs; prints the mean training loss, the test accuracy and the time of each epoch.
/// </summary>
/// <remarks>
/// Usage: <c>dotnet run -c Release --project samples/FashionMnist [-- DIRECTORY]</c>. The data directory is the
/// argument, else <c>$FASHION_MNIST_DIR</c>, else <c>/usr/share/datasets/fashion-mnist</c>. Exit codes: 0 trained,
/// 1 bad arguments or unreadable data, 2 data files missing.
/// </remarks>
public static class Program
{
    private const int Epochs = 5;
    private const int BatchSize = 64;
    private const float LearningRate = 1e-3f;
    private const int Seed = 42;
    private const int ClassCount = 10;

    /// <summary>Test-set inference runs in batches of this many samples.</summary>
    private const int EvaluationBatchSize = 1000;

    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 1 || (args.Length == 1 && args[0] is "-h" or "--help"))
        {
            Console.Error.WriteLine("Usage: FashionMnist [DIRECTORY]");
            Console.Error.WriteLine($"  DIRECTORY holds {{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte.gz; default: ${FashionMnistFiles.EnvironmentVariable}, else {FashionMnistFiles.DefaultDirectory}.");
            return args.Length > 1 ? 1 : 0;
        }

        FashionMnistFiles files = FashionMnistFiles.Locate(args.Length == 1 ? args[0] : null);
        var missing = files.Missing();
        if (missing.Count > 0)
        {
            Console.Error.WriteLine($"Fashion-MNIST not found in {files.Directory}. Missing file{(missing.Count == 1 ? "" : "s")}:");
            foreach (string file in missing)
            {
                Console.Error.WriteLine($"  {file}");
            }

            Console.Error.WriteLine();
            Console.Error.WriteLine("Install the Debian package:  sudo apt-get install dataset-fashion-mnist");
            Console.Error.WriteLine($"or pass the directory that holds the files as an argument, or set {FashionMnistFiles.EnvironmentVariable}.");
            return 2;
        }

        Dataset train, test;
        try
        {
            // Pixels 0..255 are scaled to [0, 1]; labels become one-hot targets of 10 classes.
            train = Idx.LoadDataset(files.TrainImages, files.TrainLabels, scale: 1f / 255f, classCount: ClassCount);
            test = Idx.LoadDataset(files.TestImages, files.TestLabels, scale: 1f / 255f, classCount: ClassCount);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Could not read Fashion-MNIST: {e.Message}");
            return 1;
        }

        Train(train, test);
        return 0;
    }

    private static void Train(Dataset train, Dataset test)
    {
        Console.WriteLine($"Fashion-MNIST: {train.Count:N0} training and {test.Count:N0} test images of {train.FeatureCount} pixels.");
        Console.WriteLine($"Network:{Environment.NewLine}{FashionMnistMlp.Summary}");
        Console.WriteLine($"Adam lr {LearningRate.ToString(CultureInfo.InvariantCulture)}, batch {BatchSize}, {Epochs} epochs, seed {Seed}.");
        Console.WriteLine();

        // Everything the loop needs is allocated here, once: batches are copied into MiniBatches' buffers and
        // the workspace holds every activation and gradient, so training and evaluation allocate nothing.
        var model = new FashionMnistMlp(Seed);
        var optimizer = new Adam(LearningRate);
        var workspace = new FashionMnistMlp.Workspace(maxBatchSize: Math.Max(BatchSize, EvaluationBatchSize));
        var batches = new MiniBatches(train, BatchSize);
        var shuffle = new Random(Seed);
        var testOutputs = new float[test.Count * FashionMnistMlp.OutputSize];
        bool showProgress = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

        Console.WriteLine("epoch   train loss   test accuracy   train s   eval s");
        double accuracy = 0;
        long allocatedAfterFirstEpoch = 0;
        for (int epoch = 1; epoch <= Epochs; epoch++)
        {
            batches.Shuffle(shuffle);
            long start = Stopwatch.GetTimestamp();
            double loss = showProgress
                ? AnsiConsole.Progress()
                    .AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(context =>
                    {
                        ProgressTask task = context.AddTask($"epoch {epoch}/{Epochs}", maxValue: batches.BatchCount);
                        return RunEpoch(model, optimizer, workspace, batches, task);
                    })
                : RunEpoch(model, optimizer, workspace, batches, progress: null);
            TimeSpan trainTime = Stopwatch.GetElapsedTime(start);

            start = Stopwatch.GetTimestamp();
            accuracy = Evaluate(model, workspace, test, testOutputs);
            TimeSpan evalTime = Stopwatch.GetElapsedTime(start);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{epoch,5}   {loss,10:F4}   {accuracy,12:P2}   {trainTime.TotalSeconds,7:F2}   {evalTime.TotalSeconds,6:F2}"));
            if (epoch == 1)
            {
                allocatedAfterFirstEpoch = GC.GetAllocatedBytesForCurrentThread();
            }
        }

        // What this thread allocated after the first epoch (whose first step also allocates Adam's moment buffers):
        // training and evaluation allocate nothing, so this is about the console output (and, on a terminal, the
        // progress bar).
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedAfterFirstEpoch;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Final test accuracy: {accuracy:P2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Managed memory allocated in epochs 2-{Epochs} (training, evaluation, output): {allocated:N0} bytes"));
    }

    /// <summary>One pass over the shuffled training set; returns the mean training loss per sample.</summary>
    private static double RunEpoch(FashionMnistMlp model, IOptimizer optimizer, FashionMnistMlp.Workspace workspace, MiniBatches batches, ProgressTask? progress)
    {
        double lossSum = 0;
        int samples = 0;
        foreach (MiniBatch batch in batches)
        {
            // TrainStep returns the batch's mean loss; weight it by the batch size (the last batch is smaller).
            lossSum += (double)model.TrainStep(batch.Features, batch.Targets, optimizer, workspace) * batch.Count;
            samples += batch.Count;
            progress?.Increment(1);
        }

        return lossSum / samples;
    }

    /// <summary>Runs the network on the whole test set, batch by batch, and returns the fraction classified correctly.</summary>
    private static double Evaluate(FashionMnistMlp model, FashionMnistMlp.Workspace workspace, Dataset test, float[] outputs)
    {
        const int inputs = FashionMnistMlp.InputSize, classes = FashionMnistMlp.OutputSize;
        for (int start = 0; start < test.Count; start += EvaluationBatchSize)
        {
            int count = Math.Min(EvaluationBatchSize, test.Count - start);
            model.Forward(test.Features.Slice(start * inputs, count * inputs), outputs.AsSpan(start * classes, count * classes), workspace);
        }

        return Metrics.Accuracy(outputs, test.Labels, classes);
    }
}
