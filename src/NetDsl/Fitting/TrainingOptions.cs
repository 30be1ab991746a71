using System;
using System.Collections.Generic;
using NetDsl.Data;

namespace NetDsl;

/// <summary>How <see cref="Trainer.Fit"/> trains a network: the Keras <c>fit</c> arguments, as one object.</summary>
public sealed record TrainingOptions
{
    /// <summary>The optimizer that updates the parameters after each batch.</summary>
    public required IOptimizer Optimizer { get; init; }

    /// <summary>The most epochs to train (a callback such as <see cref="EarlyStopping"/> may stop sooner). Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Samples per batch; the last batch of an epoch holds the rest. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Seeds the shuffling of every epoch and the dropout masks: equal seeds give bit-identical training.</summary>
    public int Seed { get; init; }

    /// <summary>Data to evaluate after each epoch (loss, and accuracy when it has labels); none by default.</summary>
    public Dataset? Validation { get; init; }

    /// <summary>Sets the optimizer's learning rate before every step; none keeps the optimizer's own.</summary>
    public ILearningRateSchedule? LearningRateSchedule { get; init; }

    /// <summary>When positive, the gradients are scaled so their global L2 norm is at most this before each step.</summary>
    public float ClipGradientNorm { get; init; }

    /// <summary>When positive, each gradient is clamped to <c>[-value, value]</c> before each step.</summary>
    public float ClipGradientValue { get; init; }

    /// <summary>
    /// One weight per class for a cost-sensitive loss on imbalanced data: each sample's loss is weighted by its class's
    /// weight (see <see cref="Data.ClassWeights.Balanced(Data.Dataset)"/>). The training set must have labels. None by default.
    /// </summary>
    public IReadOnlyList<float>? ClassWeights { get; init; }

    /// <summary>Called after each epoch, in order: early stopping, checkpoints, or your own.</summary>
    public IReadOnlyList<ITrainingCallback> Callbacks { get; init; } = Array.Empty<ITrainingCallback>();

    /// <summary>Receives each epoch's result, e.g. to draw a progress bar.</summary>
    public IProgress<EpochResult>? Progress { get; init; }
}

/// <summary>What one epoch of <see cref="Trainer.Fit"/> did.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Epochs">The most epochs the training may run.</param>
/// <param name="TrainingLoss">The mean training loss over the epoch's batches (weighted by batch size), penalties included.</param>
/// <param name="ValidationLoss">The loss on the validation set after the epoch, or NaN without one.</param>
/// <param name="ValidationAccuracy">The accuracy on the validation set after the epoch, or NaN without labelled validation data.</param>
/// <param name="LearningRate">The learning rate of the epoch's last step.</param>
/// <param name="Elapsed">The time the epoch took, validation included.</param>
public sealed record EpochResult(int Epoch, int Epochs, double TrainingLoss, double ValidationLoss, double ValidationAccuracy, float LearningRate, TimeSpan Elapsed);

/// <summary>What <see cref="Trainer.Fit"/> did, epoch by epoch.</summary>
public sealed class TrainingHistory
{
    internal List<EpochResult> EpochList { get; } = new();

    /// <summary>Every epoch that ran, in order.</summary>
    public IReadOnlyList<EpochResult> Epochs => EpochList;

    /// <summary>The callback that stopped training before the epoch limit, or null when every epoch ran.</summary>
    public ITrainingCallback? StoppedBy { get; internal set; }
}
