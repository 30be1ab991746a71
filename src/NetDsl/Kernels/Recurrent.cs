using System;

namespace NetDsl.Kernels;

/// <summary>The static shape of a recurrent layer over batch-first sequences <c>x[B, T, I]</c> with hidden size <c>H</c>.</summary>
public readonly record struct RecurrentGeometry(int Steps, int InputSize, int HiddenSize);

/// <summary>The recurrent cells of the curriculum.</summary>
public enum RecurrentCell
{
    /// <summary>Elman RNN, <c>h_t = tanh(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh)</c> (PyTorch's <c>nn.RNN</c>); 1 gate.</summary>
    SimpleRnn,
    /// <summary>LSTM with PyTorch's gate order i, f, g, o (<c>nn.LSTM</c>); 4 gates.</summary>
    Lstm,
    /// <summary>GRU with PyTorch's gate order r, z, n, <c>b_hn</c> inside the reset product (<c>nn.GRU</c>); 3 gates.</summary>
    Gru,
}

/// <summary>
/// Recurrent layers over whole sequences, with backpropagation through time. Weights use PyTorch's layouts:
/// <c>weight_ih [G·H, I]</c>, <c>weight_hh [G·H, H]</c>, <c>bias_ih [G·H]</c>, <c>bias_hh [G·H]</c> with G gates.
/// Sequences shorter than <c>T</c> are given by <c>lengths</c> (empty: all <c>T</c>): steps past a sample's length
/// neither read input nor change its state, and their outputs are zero.
/// </summary>
public static class Recurrent
{
    /// <summary>The number of gates of <paramref name="cell"/>: 1, 4 or 3.</summary>
    public static int Gates(RecurrentCell cell) => cell switch { RecurrentCell.Lstm => 4, RecurrentCell.Gru => 3, _ => 1 };

    /// <summary>The floats of the cache that <see cref="Forward"/> fills for <see cref="Backward"/>, for a batch.</summary>
    public static int CacheSize(RecurrentCell cell, in RecurrentGeometry geometry, int batch) => throw new NotImplementedException();

    /// <summary>The scratch floats <see cref="Backward"/> needs, for a batch.</summary>
    public static int ScratchSize(RecurrentCell cell, in RecurrentGeometry geometry, int batch) => throw new NotImplementedException();

    /// <summary>
    /// Runs the cell over the sequence from a zero state: writes every step's hidden state to
    /// <paramref name="hidden"/> <c>[B, T, H]</c> and what the backward pass needs to <paramref name="cache"/>.
    /// The input projections of all steps are one matrix product.
    /// </summary>
    public static void Forward(RecurrentCell cell, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        Span<float> hidden, Span<float> cache, in RecurrentGeometry geometry, int batch)
        => throw new NotImplementedException();

    /// <summary>
    /// Backpropagation through time from <paramref name="hiddenGradient"/> <c>dL/dh [B, T, H]</c> (zero except the last
    /// valid step when only the last state is used): writes (overwrites) the four weight gradients and
    /// <c>dx [B, T, I]</c> (unless empty). With <paramref name="truncation"/> <c>k &gt; 0</c>, the gradient flows back at
    /// most <c>k</c> steps from each step where it enters (truncated BPTT); 0 means the whole sequence.
    /// </summary>
    public static void Backward(RecurrentCell cell, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> hidden, ReadOnlySpan<float> cache,
        ReadOnlySpan<float> hiddenGradient,
        Span<float> weightIhGradient, Span<float> weightHhGradient, Span<float> biasIhGradient, Span<float> biasHhGradient,
        Span<float> inputGradient, Span<float> scratch, in RecurrentGeometry geometry, int batch, int truncation = 0)
        => throw new NotImplementedException();
}

/// <summary>Embedding lookup, PyTorch's <c>nn.Embedding</c>: <c>y[b, t, :] = table[index[b, t], :]</c>.</summary>
public static class Embedding
{
    /// <summary>
    /// Looks up each index (given as a float holding a whole number in <c>[0, vocabulary)</c>; anything else throws,
    /// naming the sample, step and value) of <paramref name="indices"/> <c>[B, T]</c> in <paramref name="table"/>
    /// <c>[V, D]</c>, writing <paramref name="y"/> <c>[B, T, D]</c>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> indices, ReadOnlySpan<float> table, Span<float> y, int vocabulary, int dimension)
        => throw new NotImplementedException();

    /// <summary>
    /// The table's gradient (overwritten: zero for rows not used, the sum of <c>dy</c> over the uses of each used row).
    /// Rows equal to <paramref name="paddingIndex"/> (if not negative) get no gradient.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> indices, ReadOnlySpan<float> outputGradient, Span<float> tableGradient, int vocabulary, int dimension, int paddingIndex = -1)
        => throw new NotImplementedException();

    /// <summary>Each sample's length: one past its last index that is not <paramref name="paddingIndex"/> (trailing padding).</summary>
    public static void Lengths(ReadOnlySpan<float> indices, Span<int> lengths, int steps, int paddingIndex)
        => throw new NotImplementedException();
}
