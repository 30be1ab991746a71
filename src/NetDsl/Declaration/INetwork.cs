using System;

namespace NetDsl;

/// <summary>
/// What every generated network offers, so code such as a training loop, an ensemble or an explainer can work with
/// any of them. Each generated class implements it explicitly and also exposes the same members, typed for its own
/// <c>Workspace</c>, directly.
/// </summary>
public interface INetwork
{
    /// <summary>The number of values in one input sample.</summary>
    int InputSize { get; }

    /// <summary>The number of values in one output sample.</summary>
    int OutputSize { get; }

    /// <summary>Every trainable parameter in one buffer.</summary>
    Span<float> Parameters { get; }

    /// <summary>The gradient of the loss with respect to each parameter, written by the last backward pass.</summary>
    Span<float> Gradients { get; }

    /// <summary>The named tensors of <see cref="Parameters"/>, with PyTorch's <c>state_dict</c> names and shapes.</summary>
    ReadOnlySpan<Serialization.ParameterTensor> ParameterTensors { get; }

    /// <summary>
    /// Creates a workspace for batches of up to <paramref name="maxBatchSize"/> samples; <paramref name="seed"/> seeds
    /// its dropout masks (networks without dropout ignore it).
    /// </summary>
    NetworkWorkspace CreateWorkspace(int maxBatchSize, int seed = 0);

    /// <summary>Runs the network on a batch of inputs (see the generated <c>Forward</c>).</summary>
    void Forward(ReadOnlySpan<float> inputs, Span<float> outputs, NetworkWorkspace workspace);

    /// <summary>Back-propagates a gradient of the outputs (see the generated <c>Backward</c>).</summary>
    void Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, NetworkWorkspace workspace);
}

/// <summary>A generated network declared with a loss: it can compute that loss and train on it.</summary>
public interface ITrainableNetwork : INetwork
{
    /// <summary>The mean loss of a batch against its targets (see the generated <c>ComputeLoss</c>).</summary>
    float ComputeLoss(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, NetworkWorkspace workspace, ReadOnlySpan<float> sampleWeights = default);

    /// <summary>Forward, loss and backward on a batch without updating parameters; returns the loss (see the generated <c>ComputeGradients</c>).</summary>
    float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, NetworkWorkspace workspace, ReadOnlySpan<float> sampleWeights = default);

    /// <summary>One step of training on a batch; returns the batch's mean loss (see the generated <c>TrainStep</c>).</summary>
    float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, IOptimizer optimizer, NetworkWorkspace workspace, ReadOnlySpan<float> sampleWeights = default);
}

/// <summary>The base of every generated network's <c>Workspace</c>: buffers for one pass at a time, for one thread.</summary>
public abstract class NetworkWorkspace
{
    /// <summary>Sets the largest batch the workspace holds.</summary>
    protected NetworkWorkspace(int maxBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchSize);
        MaxBatchSize = maxBatchSize;
    }

    /// <summary>The largest batch this workspace holds.</summary>
    public int MaxBatchSize { get; }

    /// <summary>
    /// The outputs of the last forward pass (inference or training) through this workspace: its first
    /// <c>B · OutputSize</c> values hold the pass's <c>B</c> samples, row by row.
    /// </summary>
    public abstract ReadOnlySpan<float> Outputs { get; }
}
