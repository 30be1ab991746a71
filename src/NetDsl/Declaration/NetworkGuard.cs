using System;
using System.ComponentModel;

namespace NetDsl;

/// <summary>
/// The argument checks every generated network makes at the start of a pass, shared so generated code stays about
/// its layers. Called by generated code; not meant to be called directly.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class NetworkGuard
{
    /// <summary>
    /// The number of samples in <paramref name="inputs"/>: it must hold a whole, non-zero number of samples of
    /// <paramref name="inputSize"/> values, and no more samples than <paramref name="workspace"/> holds.
    /// </summary>
    public static int BatchSize(ReadOnlySpan<float> inputs, int inputSize, NetworkWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (inputs.IsEmpty || inputs.Length % inputSize != 0)
            throw new ArgumentException($"The inputs hold {inputs.Length} values, which is not a whole, non-zero number of samples of {inputSize} values each.", nameof(inputs));
        int batch = inputs.Length / inputSize;
        if (batch > workspace.MaxBatchSize)
            throw new ArgumentException($"The inputs hold {batch} samples but the workspace holds at most {workspace.MaxBatchSize}: create it with new Workspace(maxBatchSize: {batch}) or pass smaller batches.", nameof(inputs));
        return batch;
    }

    /// <summary>Checks that a span named <paramref name="name"/> of <paramref name="length"/> values holds <paramref name="batch"/> rows of <paramref name="outputSize"/>.</summary>
    public static void OutputLength(int length, int batch, int outputSize, string name)
    {
        if (length != batch * outputSize)
            throw new ArgumentException($"{name} holds {length} values but {batch} samples of {outputSize} outputs need {batch * outputSize}.", name);
    }

    /// <summary>Checks that an input gradient is empty (not wanted) or as long as the inputs.</summary>
    public static void InputGradientLength(int length, int inputLength)
    {
        if (length != 0 && length != inputLength)
            throw new ArgumentException($"inputGradient holds {length} values but the inputs hold {inputLength}: pass a span of the same length, or an empty one.", "inputGradient");
    }
}
