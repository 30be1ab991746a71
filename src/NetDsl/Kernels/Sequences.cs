using System;

namespace NetDsl.Kernels;

/// <summary>Moves recurrent states between a layer's per-direction buffers <c>[B, T, H]</c> and its output.</summary>
public static class Sequences
{
    /// <summary>
    /// Writes each sample's last state into its output row: <c>y[b, offset .. offset + H] = hidden[b, L_b − 1]</c>,
    /// or <c>hidden[b, 0]</c> for the <paramref name="reverse"/> direction (whose last step is the first position).
    /// Rows of <paramref name="y"/> are <paramref name="rowWidth"/> long (<c>H</c>, or <c>2H</c> for two directions).
    /// </summary>
    public static void GatherLast(ReadOnlySpan<float> hidden, ReadOnlySpan<int> lengths, Span<float> y, int steps, int hiddenSize, int offset, int rowWidth, int batch, bool reverse)
    {
        for (int b = 0; b < batch; b++)
        {
            int step = reverse ? 0 : (lengths.IsEmpty ? steps : lengths[b]) - 1;
            Span<float> row = y.Slice(b * rowWidth + offset, hiddenSize);
            if (step < 0)
                row.Clear(); // an empty sequence
            else
                hidden.Slice((b * steps + step) * hiddenSize, hiddenSize).CopyTo(row);
        }
    }

    /// <summary>The backward of <see cref="GatherLast"/>: <c>dHidden</c> is zero but at each sample's last step, which gets its part of <c>dy</c>.</summary>
    public static void ScatterLast(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> lengths, Span<float> hiddenGradient, int steps, int hiddenSize, int offset, int rowWidth, int batch, bool reverse)
    {
        hiddenGradient.Slice(0, batch * steps * hiddenSize).Clear();
        for (int b = 0; b < batch; b++)
        {
            int step = reverse ? 0 : (lengths.IsEmpty ? steps : lengths[b]) - 1;
            if (step >= 0)
                outputGradient.Slice(b * rowWidth + offset, hiddenSize).CopyTo(hiddenGradient.Slice((b * steps + step) * hiddenSize, hiddenSize));
        }
    }

    /// <summary>Copies one direction's states <c>[B, T, H]</c> into its half of each step of <c>y [B, T, rowWidth]</c>.</summary>
    public static void Interleave(ReadOnlySpan<float> hidden, Span<float> y, int steps, int hiddenSize, int offset, int rowWidth, int batch)
    {
        for (int r = 0; r < batch * steps; r++)
            hidden.Slice(r * hiddenSize, hiddenSize).CopyTo(y.Slice(r * rowWidth + offset, hiddenSize));
    }

    /// <summary>The backward of <see cref="Interleave"/>: one direction's part of <c>dy [B, T, rowWidth]</c> as <c>[B, T, H]</c>.</summary>
    public static void Deinterleave(ReadOnlySpan<float> outputGradient, Span<float> hiddenGradient, int steps, int hiddenSize, int offset, int rowWidth, int batch)
    {
        for (int r = 0; r < batch * steps; r++)
            outputGradient.Slice(r * rowWidth + offset, hiddenSize).CopyTo(hiddenGradient.Slice(r * hiddenSize, hiddenSize));
    }
}
