using System;
using System.Diagnostics;
using NetDsl.Data;

namespace NetDsl;

/// <summary>The training loop: epochs of shuffled mini-batches, validation, schedules, clipping and callbacks.</summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="network"/> on <paramref name="training"/> as <paramref name="options"/> say, the way Keras'
    /// <c>fit</c> does: each epoch shuffles the data (seeded), runs one step per mini-batch (the last one smaller), then
    /// evaluates the validation set, reports progress and runs the callbacks. Steps allocate nothing.
    /// </summary>
    /// <exception cref="ArithmeticException">
    /// A loss or a gradient became NaN or infinite; the message names the step and the layer.
    /// </exception>
    public static TrainingHistory Fit(this ITrainableNetwork network, Dataset training, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(options);
        Validate(network, training, options);

        var history = new TrainingHistory();
        var batches = new MiniBatches(training, options.BatchSize);
        NetworkWorkspace workspace = network.CreateWorkspace(Math.Min(options.BatchSize, training.Count), options.Seed);
        var shuffle = new Random(options.Seed);
        float[] sampleWeights = options.ClassWeights is null ? Array.Empty<float>() : new float[Math.Min(options.BatchSize, training.Count)];
        float[] classWeights = options.ClassWeights is null ? Array.Empty<float>() : [.. options.ClassWeights];
        Evaluator? validation = options.Validation is null ? null : new Evaluator(network, options.Validation, options.BatchSize);
        long step = 0;

        try
        {
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                batches.Shuffle(shuffle);
                double lossSum = 0;
                foreach (MiniBatch batch in batches)
                {
                    if (options.LearningRateSchedule is { } schedule)
                        options.Optimizer.LearningRate = schedule.GetLearningRate(step, epoch);

                    ReadOnlySpan<float> weights = default;
                    if (classWeights.Length > 0)
                    {
                        Span<float> w = sampleWeights.AsSpan(0, batch.Count);
                        Data.ClassWeights.ToSampleWeights(classWeights, batch.Labels, w);
                        weights = w;
                    }

                    float loss = ComputeGradients(network, batch, weights, workspace, step, epoch);
                    if (options.ClipGradientNorm > 0)
                        GradientClipping.ClipByGlobalNorm(network.Gradients, options.ClipGradientNorm);
                    if (options.ClipGradientValue > 0)
                        GradientClipping.ClipByValue(network.Gradients, options.ClipGradientValue);
                    NonFiniteCheck.ThrowIfGradientsNotFinite(network.Gradients, network.ParameterTensors, step);

                    options.Optimizer.Step(network.Parameters, network.Gradients);
                    lossSum += (double)loss * batch.Count;
                    step++;
                }

                (double validationLoss, double validationAccuracy) = validation?.Evaluate(workspace) ?? (double.NaN, double.NaN);
                var result = new EpochResult(epoch + 1, options.Epochs, lossSum / training.Count, validationLoss, validationAccuracy,
                    options.Optimizer.LearningRate, clock.Elapsed);
                history.EpochList.Add(result);
                options.LearningRateSchedule?.OnEpochEnd(double.IsNaN(validationLoss) ? result.TrainingLoss : validationLoss);
                options.Progress?.Report(result);

                bool stop = false;
                foreach (ITrainingCallback callback in options.Callbacks)
                {
                    if (!callback.OnEpochEnd(network, result))
                    {
                        history.StoppedBy ??= callback;
                        stop = true;
                    }
                }
                if (stop)
                    break;
            }
        }
        finally
        {
            foreach (ITrainingCallback callback in options.Callbacks)
                callback.OnTrainingEnd(network);
        }
        return history;
    }

    /// <summary>The network's loss on <paramref name="data"/> (no dropout, no penalties) and, when it has labels, its accuracy.</summary>
    public static (double Loss, double Accuracy) Evaluate(this ITrainableNetwork network, Dataset data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        var evaluator = new Evaluator(network, data, batchSize);
        return evaluator.Evaluate(network.CreateWorkspace(Math.Min(batchSize, data.Count)));
    }

    private static float ComputeGradients(ITrainableNetwork network, MiniBatch batch, ReadOnlySpan<float> weights, NetworkWorkspace workspace, long step, int epoch)
    {
        try
        {
            return network.ComputeGradients(batch.Features, batch.Targets, workspace, weights);
        }
        catch (ArithmeticException e)
        {
            throw new ArithmeticException($"Step {step} (epoch {epoch + 1}): {e.Message}", e);
        }
    }

    private static void Validate(ITrainableNetwork network, Dataset training, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options.Optimizer, "options.Optimizer");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Epochs, "options.Epochs");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, "options.BatchSize");
        CheckShape(network, training, "training");
        if (options.Validation is { } validation)
            CheckShape(network, validation, "validation");
        if (options.ClassWeights is { } weights)
        {
            if (!training.HasLabels)
                throw new ArgumentException("Class weights need a training set with labels (a classification Dataset).", nameof(options));
            if (weights.Count != training.ClassCount)
                throw new ArgumentException($"There are {weights.Count} class weights but the training set has {training.ClassCount} classes.", nameof(options));
        }
    }

    private static void CheckShape(INetwork network, Dataset data, string name)
    {
        if (data.FeatureCount != network.InputSize || data.TargetCount != network.OutputSize)
        {
            throw new ArgumentException(
                $"The {name} set has {data.FeatureCount} features and {data.TargetCount} targets per sample, but the network takes {network.InputSize} inputs and gives {network.OutputSize} outputs.",
                name);
        }
    }

    /// <summary>Evaluates a dataset batch by batch with preallocated buffers.</summary>
    private sealed class Evaluator(ITrainableNetwork network, Dataset data, int batchSize)
    {
        private readonly MiniBatches _batches = new(data, batchSize);

        public (double Loss, double Accuracy) Evaluate(NetworkWorkspace workspace)
        {
            if (workspace.MaxBatchSize < Math.Min(batchSize, data.Count))
                workspace = network.CreateWorkspace(Math.Min(batchSize, data.Count));
            double loss = 0, correct = 0;
            foreach (MiniBatch batch in _batches)
            {
                loss += (double)network.ComputeLoss(batch.Features, batch.Targets, workspace) * batch.Count;
                if (data.HasLabels)
                    correct += Metrics.Accuracy(workspace.Outputs[..(batch.Count * network.OutputSize)], batch.Labels, network.OutputSize) * batch.Count;
            }
            return (loss / data.Count, data.HasLabels ? correct / data.Count : double.NaN);
        }
    }
}
