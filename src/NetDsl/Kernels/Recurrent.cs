using System;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

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
/// <remarks>
/// <para>
/// The cells, exactly as PyTorch computes them (σ the logistic sigmoid, ⊙ the element-wise product, the initial state
/// zero):
/// <list type="bullet">
/// <item><description>RNN: <c>h_t = tanh(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh)</c>.</description></item>
/// <item><description>LSTM: <c>[i, f, g, o] = [σ, σ, tanh, σ](W_ih x_t + b_ih + W_hh h_(t−1) + b_hh)</c>,
/// <c>c_t = f ⊙ c_(t−1) + i ⊙ g</c>, <c>h_t = o ⊙ tanh(c_t)</c>.</description></item>
/// <item><description>GRU: <c>[r, z] = σ(W_i[r,z] x_t + b_i[r,z] + W_h[r,z] h_(t−1) + b_h[r,z])</c>,
/// <c>n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_(t−1) + b_hn))</c>, <c>h_t = (1 − z) ⊙ n + z ⊙ h_(t−1)</c>.</description></item>
/// </list>
/// </para>
/// <para>
/// Shape of the work: the input projections of all steps are one product <c>X[B·T, I] · W_ihᵀ + b_ih → [B·T, G·H]</c>;
/// each step is one product <c>h[B, H] · W_hhᵀ + b_hh → [B, G·H]</c> for all gates, then the cell's element-wise
/// update. The backward pass runs the steps back with one product <c>dG[B, G·H] · W_hh → dh[B, H]</c> each, keeping
/// every step's gate gradients, and then forms the weight gradients and <c>dx</c> as four products over all steps at
/// once: <c>dW_ih = dGᵀ · X</c>, <c>dW_hh = dGᵀ · H_prev</c>, <c>dx = dG · W_ih</c>, and row sums for the biases.
/// The step products run on <see cref="Gemm"/> from 4 samples up; under 4 (batch-1 inference) each sample's step
/// product runs on <see cref="RecurrentProducts"/>, tuned for its short depth, and samples past their length skip it.
/// One sample with AVX-512 and <c>H</c> a multiple of 16, forward, runs every cell on its own streaming step instead:
/// the input projection, then each step as 16-row dot products over <c>W_hh</c> as it lies and a pass of cells
/// (<see cref="RecurrentLstmOne"/>, <see cref="RecurrentGruOne"/>, <see cref="RecurrentRnnOne"/>).
/// </para>
/// <para>
/// The LSTM has its own paths, for speed: the peer workload (B = 32, T = 50, I = 32, H = 128) trains 1.3× faster
/// than on the shared path (measured A/B, best of runs on a loaded machine: 2,790 → 3,690 samples/s), and one sample's
/// forward pass is 1.15× faster. From 4 samples: forward, each step is one product <c>[x_t, h_(t−1)] · [W_ih | W_hh]ᵀ</c> with
/// the weights packed once per call and the cell as the product's epilogue (<see cref="RecurrentLstm"/>); backward,
/// each step is one product <c>dG_s · W_hh</c> with <c>W_hh</c> packed once and the cell's backward step as its
/// epilogue (<see cref="RecurrentLstmBackward"/>), then <c>dW_ih</c> and <c>dW_hh</c> by a kernel that reads the steps'
/// rows in place (<see cref="RecurrentWeightGradient"/>). The steps' products split across <see cref="KernelOptions.MaxThreads"/> by
/// columns (units), so results do not depend on the thread count. The cache's layout is the same on every path.
/// </para>
/// <para>
/// Lengths: sample <c>b</c> with length <c>L = lengths[b]</c> (in <c>[0, T]</c>) runs <c>L</c> steps. Forward order
/// (<c>reverse = false</c>) visits positions <c>0, 1, …, L−1</c>; reverse order visits <c>L−1, L−2, …, 0</c>, which is the
/// backward direction of a bidirectional layer over a packed sequence in PyTorch (it starts at the sample's own last
/// valid step, not at <c>T−1</c>). Each step writes <c>hidden[b, t]</c> at its own position <c>t</c>; positions
/// <c>t ≥ L</c> are zero. The last state is therefore <c>hidden[b, L−1]</c> forward and <c>hidden[b, 0]</c> reverse.
/// In <see cref="Backward"/>, gradients at positions <c>t ≥ L</c> are ignored and those positions get zero <c>dx</c>.
/// A sample of length 0 has all-zero outputs and gradients.
/// </para>
/// <para>
/// Nothing allocates: the caller provides <c>cache</c> (<see cref="CacheSize"/> floats or more) for
/// <see cref="Forward"/> and <c>scratch</c> (<see cref="ScratchSize"/> or more) for <see cref="Backward"/>.
/// </para>
/// </remarks>
public static class Recurrent
{
    /// <summary>The number of gates of <paramref name="cell"/>: 1, 4 or 3.</summary>
    public static int Gates(RecurrentCell cell) => cell switch { RecurrentCell.Lstm => 4, RecurrentCell.Gru => 3, _ => 1 };

    /// <summary>
    /// The floats of the cache that <see cref="Forward"/> fills for <see cref="Backward"/>, for a batch: every step's
    /// gate activations <c>[B, T, G·H]</c>; for an LSTM the cell states and their tanh (<c>2 · [B, T, H]</c>), for a GRU
    /// <c>W_hn h + b_hn</c> (<c>[B, T, H]</c>); then the forward pass's working space (<c>h</c>, and <c>c</c> for an
    /// LSTM, <c>[B, H]</c> each, and one step's product <c>[B, G·H]</c>); for an LSTM last its packed weights
    /// (<c>4H·(I + H + 1)</c> floats and 16 to align them).
    /// </summary>
    public static int CacheSize(RecurrentCell cell, in RecurrentGeometry geometry, int batch)
        => new Layout(cell, geometry, batch).CacheSize;

    /// <summary>
    /// The scratch floats <see cref="Backward"/> needs, for a batch: the gate gradients of every step <c>[B, T, G·H]</c>
    /// (twice for a GRU, whose hidden-side gradient of <c>n</c> differs from the input side's), the previous hidden
    /// state of every step <c>[B, T, H]</c>, one step's gate gradients <c>[B, G·H]</c>, and the carried gradients
    /// (<c>dh</c> twice, and <c>dc</c> for an LSTM, <c>[B, H]</c> each); for an LSTM last its packed <c>W_hh</c>
    /// (<c>4H</c> rows of <c>H</c> rounded up to 64, and 16 to align it).
    /// </summary>
    public static int ScratchSize(RecurrentCell cell, in RecurrentGeometry geometry, int batch)
        => new Layout(cell, geometry, batch).ScratchSize;

    /// <summary>
    /// Runs the cell over the sequence from a zero state: writes every step's hidden state to
    /// <paramref name="hidden"/> <c>[B, T, H]</c> and what the backward pass needs to <paramref name="cache"/>.
    /// The input projections of all steps are one matrix product.
    /// </summary>
    /// <param name="cell">The cell.</param>
    /// <param name="x">Inputs <c>[B, T, I]</c>, batch first.</param>
    /// <param name="lengths">Each sample's length in <c>[0, T]</c> (<c>[B]</c>), or empty for all <c>T</c>.</param>
    /// <param name="weightIh"><c>weight_ih [G·H, I]</c>.</param>
    /// <param name="weightHh"><c>weight_hh [G·H, H]</c>.</param>
    /// <param name="biasIh"><c>bias_ih [G·H]</c>, or empty for none.</param>
    /// <param name="biasHh"><c>bias_hh [G·H]</c>, or empty for none.</param>
    /// <param name="hidden">Written: <c>h [B, T, H]</c>, zero at positions past each sample's length.</param>
    /// <param name="cache">At least <see cref="CacheSize"/> floats, read by <see cref="Backward"/>.</param>
    /// <param name="geometry">Steps <c>T</c>, input size <c>I</c>, hidden size <c>H</c>.</param>
    /// <param name="batch">Samples <c>B</c>.</param>
    /// <param name="reverse">
    /// Run each sample from its step <c>L−1</c> down to 0 (the backward direction of a bidirectional layer), writing
    /// each step's state at its own position; see the remarks of <see cref="Recurrent"/>.
    /// </param>
    public static void Forward(RecurrentCell cell, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        Span<float> hidden, Span<float> cache, in RecurrentGeometry geometry, int batch, bool reverse = false)
        => ForwardAt(cell, x, lengths, weightIh, weightHh, biasIh, biasHh, hidden, cache, geometry, batch, reverse, SimdDispatch.Best);

    /// <summary><see cref="Forward"/> with the element-wise cell and the few-samples step product at a given width (the other products run at their best).</summary>
    internal static void ForwardAt(RecurrentCell cell, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        Span<float> hidden, Span<float> cache, in RecurrentGeometry geometry, int batch, bool reverse, SimdWidth width)
    {
        var layout = new Layout(cell, geometry, batch);
        layout.Check(x, lengths, weightIh, weightHh, biasIh.Length, biasHh.Length, hidden.Length);
        CheckAtLeast(cache.Length, layout.CacheSize, nameof(cache), nameof(CacheSize));
        int steps = geometry.Steps, inputs = geometry.InputSize, units = geometry.HiddenSize, gh = layout.GateWidth, rows = layout.Rows;

        bool one = batch == 1 && RecurrentLstmOne.Supports(units, width);
        bool lstmBatch = cell == RecurrentCell.Lstm && batch >= Gemm.PanelMinRows;
        if (one || lstmBatch)
        {
            // These paths write every position a sample runs: only the rest needs zeros (800 KB less to write for the
            // peer workload).
            for (int b = 0; b < batch; b++)
            {
                int length = lengths.IsEmpty ? steps : lengths[b];
                hidden.Slice((b * steps + length) * units, (steps - length) * units).Clear();
            }
        }
        else
        {
            hidden.Clear();
        }
        if (batch == 0)
        {
            return;
        }
        Span<float> gates = cache.Slice(0, rows * gh);
        Span<float> extras = cache.Slice(layout.GatesSize, layout.ExtrasSize);
        Span<float> state = cache.Slice(layout.GatesSize + layout.ExtrasSize, batch * units);
        Span<float> cellState = cell == RecurrentCell.Lstm ? cache.Slice(layout.GatesSize + layout.ExtrasSize + batch * units, batch * units) : default;
        Span<float> product = cache.Slice(layout.ProductOffset, batch * gh);
        bool fewSamples = batch < Gemm.PanelMinRows;
        if (one)
        {
            ForwardOne(cell, x, lengths, weightIh, weightHh, biasIh, biasHh, hidden, gates, extras, geometry, reverse);
            return;
        }
        if (lstmBatch)
        {
            LstmForward(x, lengths, weightIh, weightHh, biasIh, biasHh, hidden, gates, extras, cache.Slice(layout.PackedOffset), geometry, batch, reverse, width);
            return;
        }
        state.Clear();
        cellState.Clear();

        // gates[B·T, G·H] = X[B·T, I] · W_ihᵀ + b_ih: the input side of every step, completed in place step by step.
        Gemm.MultiplyTransposedB(x, weightIh, biasIh, gates, rows, gh, inputs, new IdentityActivation());

        int longest = Longest(lengths, batch, steps);
        for (int s = 0; s < longest; s++)
        {
            // product[B, G·H] = h[B, H] · W_hhᵀ + b_hh (h = 0 at the first step).
            if (s == 0)
            {
                for (int b = 0; b < batch; b++)
                {
                    Span<float> row = product.Slice(b * gh, gh);
                    if (biasHh.IsEmpty) row.Clear(); else biasHh.CopyTo(row);
                }
            }
            else if (fewSamples)
            {
                for (int b = 0; b < batch; b++)
                {
                    if (s < (lengths.IsEmpty ? steps : lengths[b]))
                    {
                        RecurrentProducts.MatrixTimesVector(weightHh, state.Slice(b * units, units), biasHh, product.Slice(b * gh, gh), gh, units, width);
                    }
                }
            }
            else
            {
                Gemm.MultiplyTransposedB(state, weightHh, biasHh, product, batch, gh, units, new IdentityActivation());
            }

            for (int b = 0; b < batch; b++)
            {
                int length = lengths.IsEmpty ? steps : lengths[b];
                if (s >= length)
                {
                    continue;
                }
                int row = b * steps + (reverse ? length - 1 - s : s);
                Span<float> g = gates.Slice(row * gh, gh);
                Span<float> p = product.Slice(b * gh, gh);
                Span<float> h = state.Slice(b * units, units);
                Span<float> output = hidden.Slice(row * units, units);
                switch (cell)
                {
                    case RecurrentCell.SimpleRnn:
                        RecurrentCells.RnnForward(g, p, h, output, width);
                        break;
                    case RecurrentCell.Lstm:
                        RecurrentCells.LstmForward(g, p, cellState.Slice(b * units, units),
                            extras.Slice(row * units, units), extras.Slice((rows + row) * units, units), h, output, width);
                        break;
                    default:
                        RecurrentCells.GruForward(g, p, extras.Slice(row * units, units), h, output, width);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// The forward pass of one sample by <see cref="RecurrentLstmOne"/>, <see cref="RecurrentGruOne"/> or
    /// <see cref="RecurrentRnnOne"/>: the input projections of its steps, then the steps.
    /// </summary>
    private static unsafe void ForwardOne(RecurrentCell cell, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        Span<float> hidden, Span<float> gates, Span<float> extras, in RecurrentGeometry geometry, bool reverse)
    {
        int steps = geometry.Steps, inputs = geometry.InputSize, units = geometry.HiddenSize, gh = Gates(cell) * units;
        int length = lengths.IsEmpty ? steps : lengths[0];
        if (length == 0)
        {
            return;
        }
        // Positions [0, L) in either direction: gates[t] = W_ih x_t + b_ih.
        Gemm.MultiplyTransposedB(x.Slice(0, length * inputs), weightIh, biasIh, gates.Slice(0, length * gh), length, gh, inputs, new IdentityActivation());
        fixed (float* pg = gates, pe = extras, ph = hidden, pw = weightHh, pb = biasHh)
        {
            float* bias = biasHh.IsEmpty ? null : pb;
            switch (cell)
            {
                case RecurrentCell.Lstm: RecurrentLstmOne.Steps(pg, pe, pe + steps * units, ph, pw, bias, length, units, reverse); break;
                case RecurrentCell.Gru: RecurrentGruOne.Steps(pg, pe, ph, pw, bias, length, units, reverse); break;
                default: RecurrentRnnOne.Steps(pg, ph, pw, bias, length, units, reverse); break;
            }
        }
    }

    /// <summary>The LSTM forward pass of <see cref="RecurrentLstm"/>: the weights packed once, then one fused product per step.</summary>
    private static unsafe void LstmForward(ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        Span<float> hidden, Span<float> gates, Span<float> extras, Span<float> packed, in RecurrentGeometry geometry, int batch, bool reverse, SimdWidth width)
    {
        switch (width)
        {
            case SimdWidth.Vector512: LstmForward<Simd512, Vector512<float>>(x, lengths, weightIh, weightHh, biasIh, biasHh, hidden, gates, extras, packed, geometry, batch, reverse); break;
            case SimdWidth.Vector256: LstmForward<Simd256, Vector256<float>>(x, lengths, weightIh, weightHh, biasIh, biasHh, hidden, gates, extras, packed, geometry, batch, reverse); break;
            case SimdWidth.Vector128: LstmForward<Simd128, Vector128<float>>(x, lengths, weightIh, weightHh, biasIh, biasHh, hidden, gates, extras, packed, geometry, batch, reverse); break;
            default: LstmForward<SimdScalar, float>(x, lengths, weightIh, weightHh, biasIh, biasHh, hidden, gates, extras, packed, geometry, batch, reverse); break;
        }
    }

    private static unsafe void LstmForward<TSimd, TVec>(ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        Span<float> hidden, Span<float> gates, Span<float> extras, Span<float> packed, in RecurrentGeometry geometry, int batch, bool reverse)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int steps = geometry.Steps, inputs = geometry.InputSize, units = geometry.HiddenSize, rows = batch * steps;
        fixed (float* px = x, ph = hidden, pg = gates, pe = extras, pp = packed)
        fixed (int* pl = lengths)
        {
            float* aligned = PackBuffer.Align64(pp);
            RecurrentLstm.Pack<TSimd, TVec>(aligned, weightIh, weightHh, biasIh, biasHh, inputs, units);
            var job = new RecurrentLstm.StepJob
            {
                X = px, Hidden = ph, Gates = pg, Cell = pe, CellTanh = pe + rows * units, Packed = aligned,
                Lengths = lengths.IsEmpty ? null : pl, Batch = batch, Steps = steps, Inputs = inputs, Units = units, Reverse = reverse,
            };
            int blocks = RecurrentLstm.Blocks(units, TSimd.Count);
            int threads = StepThreads(batch, 4 * units, inputs + units);
            int longest = Longest(lengths, batch, steps);
            for (int s = 0; s < longest; s++)
            {
                job.Step = s;
                KernelRange.Run(&job, &LstmForwardBlocks<TSimd, TVec>, blocks, threads);
            }
        }
    }

    /// <summary>
    /// The threads for one step's product of <c>m × n × k</c> (<see cref="KernelPool.ThreadsFor"/>). A step of the peer
    /// workload (B = 32, H = 128) is 4 to 5 MFLOP, about 40 µs on one core; the pool's workers spin between steps.
    /// </summary>
    private static int StepThreads(int m, int n, int k) => KernelPool.ThreadsFor(2L * m * n * k);

    // KernelRange's bodies: the step's job lives on the caller's stack until KernelRange.Run returns.
    private static unsafe void LstmForwardBlocks<TSimd, TVec>(void* job, int start, int end) where TSimd : struct, ISimd<TVec> where TVec : struct
        => RecurrentLstm.Step<TSimd, TVec>(in *(RecurrentLstm.StepJob*)job, start, end);

    private static unsafe void LstmBackwardPanels<TSimd, TVec>(void* job, int start, int end) where TSimd : struct, ISimd<TVec> where TVec : struct
        => RecurrentLstmBackward.Step<TSimd, TVec>(in *(RecurrentLstmBackward.StepJob*)job, start, end);

    /// <summary>
    /// Backpropagation through time from <paramref name="hiddenGradient"/> <c>dL/dh [B, T, H]</c> (zero except the last
    /// valid step when only the last state is used): writes (overwrites) the four weight gradients and
    /// <c>dx [B, T, I]</c> (unless empty). With <paramref name="truncation"/> <c>k &gt; 0</c>, the gradient flows back at
    /// most <c>k</c> steps from each step where it enters (truncated BPTT); 0 means the whole sequence.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Reads <paramref name="x"/>, <paramref name="hidden"/> and <paramref name="cache"/> as the matching
    /// <see cref="Forward"/> (same lengths, weights and <paramref name="reverse"/>) left them.
    /// </para>
    /// <para>
    /// Truncation, exactly: number each sample's steps in the order it runs them, <c>s = 0 … L−1</c> (so <c>s = t</c>
    /// forward and <c>s = L−1−t</c> reverse), and cut them into windows of <c>k</c> counted back from its last step:
    /// <c>[L−k, L−1]</c>, <c>[L−2k, L−k−1]</c>, …, the first window holding what is left. The gradient passes from step
    /// <c>s</c> to step <c>s−1</c> through the recurrent state (<c>h</c>, and <c>c</c> for an LSTM) only inside a window,
    /// that is, it is cut where <c>(L − s) mod k = 0</c>. This is detaching the state every <c>k</c> steps, aligned to
    /// the end of each sample: the gradient of the last state (the usual loss of a sequence classifier) flows back
    /// exactly <c>k</c> steps (the step itself and <c>k−1</c> before it); a gradient entering at step <c>s</c> flows
    /// back to the start of its window, at most <c>k</c> steps. Within each step the gradient reaches that step's
    /// weights and input as usual.
    /// </para>
    /// </remarks>
    public static void Backward(RecurrentCell cell, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> hidden, ReadOnlySpan<float> cache,
        ReadOnlySpan<float> hiddenGradient,
        Span<float> weightIhGradient, Span<float> weightHhGradient, Span<float> biasIhGradient, Span<float> biasHhGradient,
        Span<float> inputGradient, Span<float> scratch, in RecurrentGeometry geometry, int batch, int truncation = 0, bool reverse = false)
        => BackwardAt(cell, x, lengths, weightIh, weightHh, hidden, cache, hiddenGradient, weightIhGradient, weightHhGradient,
            biasIhGradient, biasHhGradient, inputGradient, scratch, geometry, batch, truncation, reverse, SimdDispatch.Best);

    /// <summary><see cref="Backward"/> with the element-wise cell gradients at a given width (the products run at their best).</summary>
    internal static void BackwardAt(RecurrentCell cell, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> hidden, ReadOnlySpan<float> cache,
        ReadOnlySpan<float> hiddenGradient,
        Span<float> weightIhGradient, Span<float> weightHhGradient, Span<float> biasIhGradient, Span<float> biasHhGradient,
        Span<float> inputGradient, Span<float> scratch, in RecurrentGeometry geometry, int batch, int truncation, bool reverse, SimdWidth width)
    {
        var layout = new Layout(cell, geometry, batch);
        layout.Check(x, lengths, weightIh, weightHh, biasIhGradient.Length, biasHhGradient.Length, hidden.Length);
        Guard.Length(hiddenGradient.Length, layout.Rows, geometry.HiddenSize, nameof(hiddenGradient), "B·T·H");
        Guard.Length(weightIhGradient.Length, layout.GateWidth, geometry.InputSize, nameof(weightIhGradient), "G·H·I");
        Guard.Length(weightHhGradient.Length, layout.GateWidth, geometry.HiddenSize, nameof(weightHhGradient), "G·H·H");
        if (!inputGradient.IsEmpty)
        {
            Guard.Length(inputGradient.Length, layout.Rows, geometry.InputSize, nameof(inputGradient), "B·T·I (or empty)");
        }
        CheckAtLeast(cache.Length, layout.CacheSize, nameof(cache), nameof(CacheSize));
        CheckAtLeast(scratch.Length, layout.ScratchSize, nameof(scratch), nameof(ScratchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(truncation);

        int steps = geometry.Steps, inputs = geometry.InputSize, units = geometry.HiddenSize, gh = layout.GateWidth, rows = layout.Rows;
        if (batch == 0)
        {
            weightIhGradient.Clear();
            weightHhGradient.Clear();
            biasIhGradient.Clear();
            biasHhGradient.Clear();
            return;
        }

        ReadOnlySpan<float> gates = cache.Slice(0, rows * gh);
        ReadOnlySpan<float> extras = cache.Slice(layout.GatesSize, layout.ExtrasSize);
        if (cell == RecurrentCell.Lstm && batch >= Gemm.PanelMinRows)
        {
            LstmBackward(x, lengths, weightIh, weightHh, hidden, gates, extras, hiddenGradient, weightIhGradient, weightHhGradient,
                biasIhGradient, biasHhGradient, inputGradient, scratch, geometry, batch, truncation, reverse, width);
            return;
        }

        // Scratch: dGx [B·T, G·H] (gradient of the gate pre-activations, input side), dGh [B·T, G·H] (hidden side, GRU
        // only), hPrev [B·T, H] (the state each step read), dGs [B, G·H] (this step's hidden side), dh, dhProduct, dc [B, H].
        int offset = 0;
        Span<float> dGx = Take(scratch, ref offset, rows * gh);
        Span<float> dGh = cell == RecurrentCell.Gru ? Take(scratch, ref offset, rows * gh) : dGx;
        Span<float> hPrev = Take(scratch, ref offset, rows * units);
        Span<float> dGs = Take(scratch, ref offset, batch * gh);
        Span<float> dh = Take(scratch, ref offset, batch * units);
        Span<float> dhProduct = Take(scratch, ref offset, batch * units);
        Span<float> dc = cell == RecurrentCell.Lstm ? Take(scratch, ref offset, batch * units) : default;
        dGx.Clear();
        dGh.Clear();
        hPrev.Clear();
        dh.Clear();
        dc.Clear();

        int longest = Longest(lengths, batch, steps);
        for (int s = longest - 1; s >= 0; s--)
        {
            for (int b = 0; b < batch; b++)
            {
                int length = lengths.IsEmpty ? steps : lengths[b];
                Span<float> dgStep = dGs.Slice(b * gh, gh);
                if (s >= length)
                {
                    dgStep.Clear();
                    continue;
                }
                int t = reverse ? length - 1 - s : s;
                int row = b * steps + t;
                int previous = s == 0 ? -1 : b * steps + (reverse ? t + 1 : t - 1);

                // dh[b] = dL/dh_t: what enters here plus what came back from the step after.
                Span<float> dhb = dh.Slice(b * units, units);
                TensorPrimitives.Add(dhb, hiddenGradient.Slice(row * units, units), dhb);
                ReadOnlySpan<float> hp = previous < 0 ? default : hidden.Slice(previous * units, units);
                hp.CopyTo(hPrev.Slice(row * units, units));
                ReadOnlySpan<float> g = gates.Slice(row * gh, gh);
                Span<float> dg = dGx.Slice(row * gh, gh);
                switch (cell)
                {
                    case RecurrentCell.SimpleRnn:
                        RecurrentCells.RnnBackward(dhb, g, dg, width);
                        dg.CopyTo(dgStep);
                        dhb.Clear();
                        break;
                    case RecurrentCell.Lstm:
                        RecurrentCells.LstmBackward(dhb, dc.Slice(b * units, units), g, extras.Slice((rows + row) * units, units),
                            previous < 0 ? default : extras.Slice(previous * units, units), dg, width);
                        dg.CopyTo(dgStep);
                        dhb.Clear();
                        break;
                    default:
                        RecurrentCells.GruBackward(dhb, g, extras.Slice(row * units, units), hp, dg, dgStep, width);
                        dgStep.CopyTo(dGh.Slice(row * gh, gh));
                        break;
                }
            }
            if (s == 0)
            {
                break;
            }

            // dh[B, H] += dGs[B, G·H] · W_hh[G·H, H]: the gradient reaching the previous step's state.
            if (batch < Gemm.PanelMinRows)
            {
                for (int b = 0; b < batch; b++)
                {
                    Span<float> row = dhProduct.Slice(b * units, units);
                    if (s < (lengths.IsEmpty ? steps : lengths[b]))
                    {
                        RecurrentProducts.VectorTimesMatrix(dGs.Slice(b * gh, gh), weightHh, [], row, units, gh, width);
                    }
                    else
                    {
                        row.Clear();
                    }
                }
            }
            else
            {
                Gemm.Multiply(dGs, weightHh, dhProduct, batch, units, gh);
            }
            TensorPrimitives.Add(dh, dhProduct, dh);
            if (truncation > 0)
            {
                for (int b = 0; b < batch; b++)
                {
                    int length = lengths.IsEmpty ? steps : lengths[b];
                    if (s < length && (length - s) % truncation == 0)
                    {
                        dh.Slice(b * units, units).Clear();
                        if (cell == RecurrentCell.Lstm)
                        {
                            dc.Slice(b * units, units).Clear();
                        }
                    }
                }
            }
        }

        // All steps at once: dW_ih = dGxᵀ · X, db_ih = Σ dGx, dW_hh = dGhᵀ · H_prev, db_hh = Σ dGh, dx = dGx · W_ih.
        Gemm.MultiplyTransposedA(dGx, x, weightIhGradient, gh, inputs, rows);
        Gemm.MultiplyTransposedA(dGh, hPrev, weightHhGradient, gh, units, rows);
        if (!biasIhGradient.IsEmpty)
        {
            Gemm.SumRows(dGx, biasIhGradient, rows, gh);
        }
        if (!biasHhGradient.IsEmpty)
        {
            Gemm.SumRows(dGh, biasHhGradient, rows, gh);
        }
        if (!inputGradient.IsEmpty)
        {
            Gemm.Multiply(dGx, weightIh, inputGradient, rows, inputs, gh);
        }
    }

    /// <summary>The LSTM backward pass of <see cref="RecurrentLstmBackward"/>: <c>W_hh</c> packed once, one product per step with the cell's backward step as its epilogue.</summary>
    private static void LstmBackward(ReadOnlySpan<float> x, ReadOnlySpan<int> lengths, ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh,
        ReadOnlySpan<float> hidden, ReadOnlySpan<float> gates, ReadOnlySpan<float> extras, ReadOnlySpan<float> hiddenGradient,
        Span<float> weightIhGradient, Span<float> weightHhGradient, Span<float> biasIhGradient, Span<float> biasHhGradient,
        Span<float> inputGradient, Span<float> scratch, in RecurrentGeometry geometry, int batch, int truncation, bool reverse, SimdWidth width)
    {
        int steps = geometry.Steps, inputs = geometry.InputSize, units = geometry.HiddenSize, gh = 4 * units, rows = batch * steps;

        // Scratch: dG [B·T, 4H] (the gate gradients of every step), dc [B, H] (the carried cell gradient), then the
        // packed W_hh.
        int offset = 0;
        Span<float> dG = Take(scratch, ref offset, rows * gh);
        Span<float> dc = Take(scratch, ref offset, batch * units);
        Span<float> packed = scratch.Slice(offset, RecurrentLstmBackward.PackedLength(units));
        Span<float> biasGradient = !biasIhGradient.IsEmpty ? biasIhGradient : biasHhGradient;
        biasGradient.Clear();
        dc.Clear();
        // No step writes the gate gradients past a sample's length; dx reads them.
        for (int b = 0; b < batch; b++)
        {
            int length = lengths.IsEmpty ? steps : lengths[b];
            dG.Slice((b * steps + length) * gh, (steps - length) * gh).Clear();
        }

        switch (width)
        {
            case SimdWidth.Vector512: LstmSteps<Simd512, Vector512<float>>(lengths, weightHh, gates, extras, hiddenGradient, dG, dc, biasGradient, packed, geometry, batch, truncation, reverse); break;
            case SimdWidth.Vector256: LstmSteps<Simd256, Vector256<float>>(lengths, weightHh, gates, extras, hiddenGradient, dG, dc, biasGradient, packed, geometry, batch, truncation, reverse); break;
            case SimdWidth.Vector128: LstmSteps<Simd128, Vector128<float>>(lengths, weightHh, gates, extras, hiddenGradient, dG, dc, biasGradient, packed, geometry, batch, truncation, reverse); break;
            default: LstmSteps<SimdScalar, float>(lengths, weightHh, gates, extras, hiddenGradient, dG, dc, biasGradient, packed, geometry, batch, truncation, reverse); break;
        }

        // All steps at once: dW_ih = dGᵀ · X, dW_hh = dGᵀ · H_prev, dx = dG · W_ih; the two biases share one gradient.
        WeightGradients(dG, x, weightIhGradient, hidden, weightHhGradient, gh, inputs, units, lengths, batch, steps, reverse, width);
        if (!biasIhGradient.IsEmpty && !biasHhGradient.IsEmpty)
        {
            biasIhGradient.CopyTo(biasHhGradient);
        }
        if (!inputGradient.IsEmpty)
        {
            Gemm.Multiply(dG, weightIh, inputGradient, rows, inputs, gh);
        }
    }

    /// <summary>
    /// <c>dW_ih = dGᵀ · X</c> and <c>dW_hh = dGᵀ · H_prev</c> over every step by <see cref="RecurrentWeightGradient"/>, in one
    /// pass over <c>dG</c>: each row block does its <c>dW_ih</c> tiles then its <c>dW_hh</c> tiles, so its strip of
    /// <c>dG</c> comes from L3 once (prefetched by the block's first tile) and from L2 after, where two passes read the
    /// 3.2 MB of <c>dG</c> of the peer workload from L3 twice. Merging alone measured within the noise (about 3 ms
    /// for both, median); with the prefetch, 2.63 to 2.88 ms. Row blocks are split across the pool; each value is
    /// computed in the same order as by two separate passes, so the bits are the same.
    /// </summary>
    private static unsafe void WeightGradients(ReadOnlySpan<float> dG, ReadOnlySpan<float> x, Span<float> weightIhGradient,
        ReadOnlySpan<float> hidden, Span<float> weightHhGradient, int m, int inputs, int units, ReadOnlySpan<int> lengths,
        int batch, int steps, bool reverse, SimdWidth width)
    {
        fixed (float* pa = dG, px = x, pih = weightIhGradient, ph = hidden, phh = weightHhGradient)
        fixed (int* pl = lengths)
        {
            var pair = new RecurrentWeightGradient.Pair
            {
                Input = new RecurrentWeightGradient.Job
                {
                    A = pa, B = px, C = pih, M = m, N = inputs, Batch = batch, Steps = steps, Lengths = lengths.IsEmpty ? null : pl, Previous = false, Reverse = reverse,
                },
                Hidden = new RecurrentWeightGradient.Job
                {
                    A = pa, B = ph, C = phh, M = m, N = units, Batch = batch, Steps = steps, Lengths = lengths.IsEmpty ? null : pl, Previous = true, Reverse = reverse,
                },
            };
            int threads = StepThreads(m, inputs + units, batch * steps);
            switch (width)
            {
                case SimdWidth.Vector512: KernelRange.Run(&pair, &WeightGradientBlocks<Simd512, Vector512<float>>, RecurrentWeightGradient.RowBlocks<Simd512, Vector512<float>>(m), threads); break;
                case SimdWidth.Vector256: KernelRange.Run(&pair, &WeightGradientBlocks<Simd256, Vector256<float>>, RecurrentWeightGradient.RowBlocks<Simd256, Vector256<float>>(m), threads); break;
                case SimdWidth.Vector128: KernelRange.Run(&pair, &WeightGradientBlocks<Simd128, Vector128<float>>, RecurrentWeightGradient.RowBlocks<Simd128, Vector128<float>>(m), threads); break;
                default: KernelRange.Run(&pair, &WeightGradientBlocks<SimdScalar, float>, RecurrentWeightGradient.RowBlocks<SimdScalar, float>(m), threads); break;
            }
        }
    }

    private static unsafe void WeightGradientBlocks<TSimd, TVec>(void* pair, int start, int end) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        ref RecurrentWeightGradient.Pair jobs = ref *(RecurrentWeightGradient.Pair*)pair;
        for (int block = start; block < end; block++)
        {
            RecurrentWeightGradient.Run<TSimd, TVec>(in jobs.Input, block, block + 1);
            RecurrentWeightGradient.Run<TSimd, TVec>(in jobs.Hidden, block, block + 1);
        }
    }

    private static unsafe void LstmSteps<TSimd, TVec>(ReadOnlySpan<int> lengths, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> gates, ReadOnlySpan<float> extras,
        ReadOnlySpan<float> hiddenGradient, Span<float> dG, Span<float> dc, Span<float> biasGradient, Span<float> packed,
        in RecurrentGeometry geometry, int batch, int truncation, bool reverse)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        int steps = geometry.Steps, units = geometry.HiddenSize, rows = batch * steps;
        int longest = Longest(lengths, batch, steps);
        if (longest == 0)
        {
            return;
        }
        fixed (float* pg = gates, pe = extras, phg = hiddenGradient, pdg = dG, pdc = dc, pdb = biasGradient, pp = packed)
        fixed (int* pl = lengths)
        {
            float* aligned = PackBuffer.Align64(pp);
            RecurrentLstmBackward.Pack<TSimd, TVec>(aligned, weightHh, units);
            var job = new RecurrentLstmBackward.StepJob
            {
                GateGradient = pdg, Gates = pg, Cell = pe, CellTanh = pe + rows * units, HiddenGradient = phg, CellGradient = pdc,
                BiasGradient = biasGradient.IsEmpty ? null : pdb, Packed = aligned, Lengths = lengths.IsEmpty ? null : pl,
                Batch = batch, Steps = steps, Units = units, Truncation = truncation, Reverse = reverse,
            };
            int panels = RecurrentLstmBackward.Panels<TSimd, TVec>(units);
            int threads = StepThreads(batch, units, 4 * units);
            RecurrentLstmBackward.Start<TSimd, TVec>(in job, longest - 1);
            for (int s = longest - 1; s > 0; s--)
            {
                job.Step = s;
                KernelRange.Run(&job, &LstmBackwardPanels<TSimd, TVec>, panels, threads);
            }
        }
    }

    private static Span<float> Take(Span<float> scratch, ref int offset, int length)
    {
        Span<float> slice = scratch.Slice(offset, length);
        offset += length;
        return slice;
    }

    /// <summary>The most steps any sample runs.</summary>
    private static int Longest(ReadOnlySpan<int> lengths, int batch, int steps)
    {
        if (lengths.IsEmpty)
        {
            return steps;
        }
        int longest = 0;
        for (int b = 0; b < batch; b++)
        {
            longest = Math.Max(longest, lengths[b]);
        }
        return longest;
    }

    private static void CheckAtLeast(int actual, int needed, string parameterName, string sizeName)
    {
        if (actual < needed)
        {
            throw new ArgumentException($"Expected at least {needed} floats ({sizeName}) but got {actual}.", parameterName);
        }
    }

    /// <summary>The sizes of one layer's buffers, and the checks of its arguments.</summary>
    private readonly struct Layout
    {
        private readonly RecurrentGeometry _geometry;
        private readonly int _batch;

        public Layout(RecurrentCell cell, in RecurrentGeometry geometry, int batch)
        {
            if (cell is not (RecurrentCell.SimpleRnn or RecurrentCell.Lstm or RecurrentCell.Gru))
            {
                throw new ArgumentOutOfRangeException(nameof(cell), cell, "Unknown recurrent cell.");
            }
            ArgumentOutOfRangeException.ThrowIfLessThan(geometry.Steps, 1, "geometry.Steps");
            ArgumentOutOfRangeException.ThrowIfLessThan(geometry.InputSize, 1, "geometry.InputSize");
            ArgumentOutOfRangeException.ThrowIfLessThan(geometry.HiddenSize, 1, "geometry.HiddenSize");
            ArgumentOutOfRangeException.ThrowIfNegative(batch);
            _geometry = geometry;
            _batch = batch;
            GateWidth = checked(Gates(cell) * geometry.HiddenSize);
            Rows = checked(batch * geometry.Steps);
            GatesSize = checked(Rows * GateWidth);
            ExtrasSize = checked((cell == RecurrentCell.Lstm ? 2 : cell == RecurrentCell.Gru ? 1 : 0) * Rows * geometry.HiddenSize);
            ProductOffset = checked(GatesSize + ExtrasSize + (cell == RecurrentCell.Lstm ? 2 : 1) * batch * geometry.HiddenSize);
            PackedOffset = checked(ProductOffset + batch * GateWidth);
            CacheSize = checked(PackedOffset + (cell == RecurrentCell.Lstm ? RecurrentLstm.PackedLength(geometry.InputSize, geometry.HiddenSize) : 0));
            ScratchSize = checked((cell == RecurrentCell.Gru ? 2 : 1) * GatesSize + Rows * geometry.HiddenSize
                + batch * GateWidth + (cell == RecurrentCell.Lstm ? 3 : 2) * batch * geometry.HiddenSize
                + (cell == RecurrentCell.Lstm ? RecurrentLstmBackward.PackedLength(geometry.HiddenSize) : 0));
        }

        /// <summary><c>G·H</c>.</summary>
        public int GateWidth { get; }
        /// <summary><c>B·T</c>.</summary>
        public int Rows { get; }
        /// <summary>The gate activations in the cache, <c>B·T·G·H</c>.</summary>
        public int GatesSize { get; }
        /// <summary>The per-cell extras in the cache after the gates.</summary>
        public int ExtrasSize { get; }
        /// <summary>Where one step's product <c>[B, G·H]</c> starts in the cache (it ends the cache).</summary>
        public int ProductOffset { get; }
        /// <summary>Where the LSTM's packed weights start in the cache (they end it).</summary>
        public int PackedOffset { get; }
        public int CacheSize { get; }
        public int ScratchSize { get; }

        public void Check(ReadOnlySpan<float> x, ReadOnlySpan<int> lengths, ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh,
            int biasIhLength, int biasHhLength, int hiddenLength)
        {
            int steps = _geometry.Steps;
            Guard.Length(x.Length, Rows, _geometry.InputSize, nameof(x), "B·T·I");
            Guard.Length(weightIh.Length, GateWidth, _geometry.InputSize, nameof(weightIh), "G·H·I");
            Guard.Length(weightHh.Length, GateWidth, _geometry.HiddenSize, nameof(weightHh), "G·H·H");
            if (biasIhLength != 0)
            {
                Guard.Length(biasIhLength, 1, GateWidth, "biasIh", "G·H (or empty)");
            }
            if (biasHhLength != 0)
            {
                Guard.Length(biasHhLength, 1, GateWidth, "biasHh", "G·H (or empty)");
            }
            Guard.Length(hiddenLength, Rows, _geometry.HiddenSize, "hidden", "B·T·H");
            if (!lengths.IsEmpty)
            {
                Guard.Length(lengths.Length, 1, _batch, nameof(lengths), "B (or empty)");
                for (int b = 0; b < _batch; b++)
                {
                    if ((uint)lengths[b] > (uint)steps)
                    {
                        throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b],
                            $"The length of sample {b} is {lengths[b]}: expected a length in [0, {steps}] (the layer's steps T).");
                    }
                }
            }
        }
    }
}

/// <summary>Embedding lookup, PyTorch's <c>nn.Embedding</c>: <c>y[b, t, :] = table[index[b, t], :]</c>.</summary>
public static class Embedding
{
    /// <summary>
    /// Looks up each index (given as a float holding a whole number in <c>[0, vocabulary)</c>; anything else throws,
    /// naming the sample, step and value) of <paramref name="indices"/> <c>[B, T]</c> in <paramref name="table"/>
    /// <c>[V, D]</c>, writing <paramref name="y"/> <c>[B, T, D]</c>.
    /// </summary>
    /// <param name="indices">Indices <c>[B, T]</c> as floats.</param>
    /// <param name="table">The embedding table <c>[V, D]</c> (PyTorch's <c>weight</c>).</param>
    /// <param name="y">Written: <c>[B, T, D]</c>.</param>
    /// <param name="vocabulary"><c>V</c>.</param>
    /// <param name="dimension"><c>D</c>.</param>
    /// <param name="steps">
    /// <c>T</c>, used only to name the sample and step of a bad index (<c>b = position / T</c>, <c>t = position mod T</c>);
    /// 0 (the default) treats the indices as one sequence, so the message names the flat position as the step of sample 0.
    /// </param>
    public static void Forward(ReadOnlySpan<float> indices, ReadOnlySpan<float> table, Span<float> y, int vocabulary, int dimension, int steps = 0)
    {
        CheckSizes(indices, table.Length, y.Length, vocabulary, dimension, steps, nameof(table), nameof(y));
        for (int position = 0; position < indices.Length; position++)
        {
            int index = Index(indices, position, vocabulary, steps);
            table.Slice(index * dimension, dimension).CopyTo(y.Slice(position * dimension, dimension));
        }
    }

    /// <summary>
    /// The table's gradient (overwritten: zero for rows not used, the sum of <c>dy</c> over the uses of each used row).
    /// Rows equal to <paramref name="paddingIndex"/> (if not negative) get no gradient.
    /// </summary>
    /// <param name="indices">Indices <c>[B, T]</c> as floats, as given to <see cref="Forward"/> (checked the same way).</param>
    /// <param name="outputGradient"><c>dy [B, T, D]</c>.</param>
    /// <param name="tableGradient">Written: <c>[V, D]</c>.</param>
    /// <param name="vocabulary"><c>V</c>.</param>
    /// <param name="dimension"><c>D</c>.</param>
    /// <param name="paddingIndex">The padding row (PyTorch's <c>padding_idx</c>), or negative for none.</param>
    /// <param name="steps"><c>T</c>, to name the sample and step of a bad index (as in <see cref="Forward"/>).</param>
    public static void Backward(ReadOnlySpan<float> indices, ReadOnlySpan<float> outputGradient, Span<float> tableGradient, int vocabulary, int dimension,
        int paddingIndex = -1, int steps = 0)
    {
        CheckSizes(indices, tableGradient.Length, outputGradient.Length, vocabulary, dimension, steps, nameof(tableGradient), nameof(outputGradient));
        tableGradient.Clear();
        for (int position = 0; position < indices.Length; position++)
        {
            int index = Index(indices, position, vocabulary, steps);
            if (index == paddingIndex)
            {
                continue;
            }
            Span<float> row = tableGradient.Slice(index * dimension, dimension);
            TensorPrimitives.Add(row, outputGradient.Slice(position * dimension, dimension), row);
        }
    }

    /// <summary>Each sample's length: one past its last index that is not <paramref name="paddingIndex"/> (trailing padding).</summary>
    /// <remarks>
    /// With a negative <paramref name="paddingIndex"/> every sample has length <paramref name="steps"/>. A sample of padding
    /// only has length 0. Padding before the last other index counts towards the length (only trailing padding is cut).
    /// Indices are compared as whole numbers, so <c>3.0f</c> equals a padding index of 3; they are not otherwise checked.
    /// </remarks>
    /// <param name="indices">Indices <c>[B, T]</c> as floats.</param>
    /// <param name="lengths">Written: <c>[B]</c>.</param>
    /// <param name="steps"><c>T</c>.</param>
    /// <param name="paddingIndex">The padding index, or negative for none.</param>
    public static void Lengths(ReadOnlySpan<float> indices, Span<int> lengths, int steps, int paddingIndex)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        Guard.Length(indices.Length, lengths.Length, steps, nameof(indices), "B·T");
        for (int b = 0; b < lengths.Length; b++)
        {
            int length = steps;
            if (paddingIndex >= 0)
            {
                while (length > 0 && indices[b * steps + length - 1] == paddingIndex)
                {
                    length--;
                }
            }
            lengths[b] = length;
        }
    }

    private static void CheckSizes(ReadOnlySpan<float> indices, int tableLength, int rowsLength, int vocabulary, int dimension, int steps,
        string tableName, string rowsName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        Guard.Length(tableLength, vocabulary, dimension, tableName, "V·D");
        Guard.Length(rowsLength, indices.Length, dimension, rowsName, "B·T·D");
        if (steps > 0 && indices.Length % steps != 0)
        {
            throw new ArgumentException($"Expected a whole number of sequences of {steps} steps but got {indices.Length} indices.", nameof(indices));
        }
    }

    /// <summary>The index at <paramref name="position"/>, or an exception naming its sample, step and value.</summary>
    private static int Index(ReadOnlySpan<float> indices, int position, int vocabulary, int steps)
    {
        float value = indices[position];
        // Written so that NaN fails too.
        if (value >= 0f && value < vocabulary && value == MathF.Floor(value))
        {
            return (int)value;
        }
        int sample = steps > 0 ? position / steps : 0, step = steps > 0 ? position % steps : position;
        throw new ArgumentException(
            $"Embedding index at sample {sample}, step {step} is {value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}: "
            + $"expected a whole number in [0, {vocabulary}) (the vocabulary size).", nameof(indices));
    }
}
