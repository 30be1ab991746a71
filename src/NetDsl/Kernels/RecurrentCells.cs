using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetDsl.Kernels;

/// <summary>
/// The element-wise part of one step of a recurrent cell for one sample, forward and backward (the matrix products are
/// in <see cref="Recurrent"/>). Gate rows are laid out as PyTorch's: <c>[i, f, g, o]</c> for an LSTM, <c>[r, z, n]</c>
/// for a GRU, <c>H</c> floats each. Forward runs on <see cref="TensorPrimitives"/> (its sigmoid and tanh); backward is
/// written once over <see cref="ISimd{TVec}"/>, whole vectors then the remainder at <see cref="SimdScalar"/>.
/// </summary>
internal static class RecurrentCells
{
    /// <summary>
    /// LSTM step. In: <paramref name="gates"/> = <c>W_ih x + b_ih</c>, <paramref name="product"/> = <c>W_hh h + b_hh</c>,
    /// <paramref name="c"/> = <c>c_(t−1)</c>. Out: <paramref name="gates"/> = <c>[i, f, g, o]</c> (activated),
    /// <paramref name="c"/> = <paramref name="cellOut"/> = <c>c_t</c>, <paramref name="cellTanh"/> = <c>tanh(c_t)</c>,
    /// <paramref name="h"/> = <paramref name="output"/> = <c>o ⊙ tanh(c_t)</c>.
    /// </summary>
    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> product, Span<float> c, Span<float> cellOut, Span<float> cellTanh,
        Span<float> h, Span<float> output)
    {
        int units = c.Length;
        TensorPrimitives.Add(gates, product, gates);
        Span<float> inputGate = gates.Slice(0, units), forgetGate = gates.Slice(units, units);
        Span<float> candidate = gates.Slice(2 * units, units), outputGate = gates.Slice(3 * units, units);
        TensorPrimitives.Sigmoid(gates.Slice(0, 2 * units), gates.Slice(0, 2 * units));
        TensorPrimitives.Tanh(candidate, candidate);
        TensorPrimitives.Sigmoid(outputGate, outputGate);
        TensorPrimitives.Multiply(forgetGate, c, c);              // c = f ⊙ c_(t−1)
        TensorPrimitives.MultiplyAdd(inputGate, candidate, c, c); //   + i ⊙ g
        c.CopyTo(cellOut);
        TensorPrimitives.Tanh(c, cellTanh);
        TensorPrimitives.Multiply(outputGate, cellTanh, h);
        h.CopyTo(output);
    }

    /// <summary>
    /// GRU step. In: <paramref name="gates"/> = <c>W_ih x + b_ih</c>, <paramref name="product"/> = <c>W_hh h + b_hh</c>,
    /// <paramref name="h"/> = <c>h_(t−1)</c>. Out: <paramref name="gates"/> = <c>[r, z, n]</c> (activated),
    /// <paramref name="hn"/> = <c>W_hn h_(t−1) + b_hn</c>, <paramref name="h"/> = <paramref name="output"/> =
    /// <c>(1 − z) ⊙ n + z ⊙ h_(t−1)</c>, computed as <c>n + z ⊙ (h_(t−1) − n)</c>.
    /// </summary>
    public static void GruForward(Span<float> gates, ReadOnlySpan<float> product, Span<float> hn, Span<float> h, Span<float> output)
    {
        int units = h.Length;
        Span<float> resetUpdate = gates.Slice(0, 2 * units), reset = gates.Slice(0, units), update = gates.Slice(units, units);
        Span<float> candidate = gates.Slice(2 * units, units);
        TensorPrimitives.Add(resetUpdate, product.Slice(0, 2 * units), resetUpdate);
        TensorPrimitives.Sigmoid(resetUpdate, resetUpdate);
        product.Slice(2 * units, units).CopyTo(hn);
        TensorPrimitives.MultiplyAdd(reset, hn, candidate, candidate); // W_in x + b_in + r ⊙ (W_hn h + b_hn)
        TensorPrimitives.Tanh(candidate, candidate);
        TensorPrimitives.Subtract(h, candidate, output);               // h_(t−1) − n
        TensorPrimitives.MultiplyAdd(update, output, candidate, h);    // n + z ⊙ (h_(t−1) − n)
        h.CopyTo(output);
    }

    /// <summary>RNN step back: <c>da = dh ⊙ (1 − y²)</c> with <paramref name="y"/> = <c>h_t</c>.</summary>
    public static void RnnBackward(ReadOnlySpan<float> dh, ReadOnlySpan<float> y, Span<float> da, SimdWidth width)
        => Elementwise.Map(y, dh, da, new TanhBackward(), width);

    /// <summary>
    /// LSTM step back. In: <paramref name="dh"/> = <c>dL/dh_t</c>, <paramref name="dc"/> = <c>dL/dc_t</c> from the
    /// step after, the step's activated <paramref name="gates"/>, <paramref name="cellTanh"/> = <c>tanh(c_t)</c>,
    /// <paramref name="previousCell"/> = <c>c_(t−1)</c> (empty: zero). Out: <paramref name="da"/> = the gradients of the
    /// four gate pre-activations, <paramref name="dc"/> = <c>dL/dc_(t−1)</c> through this step, <c>dc_t ⊙ f</c>.
    /// </summary>
    public static void LstmBackward(ReadOnlySpan<float> dh, Span<float> dc, ReadOnlySpan<float> gates, ReadOnlySpan<float> cellTanh,
        ReadOnlySpan<float> previousCell, Span<float> da, SimdWidth width)
    {
        var lanes = new LstmLanes(dh, dc, gates, cellTanh, previousCell, da);
        int units = dh.Length;
        switch (width)
        {
            case SimdWidth.Vector512: Run<LstmLanes, Simd512, Vector512<float>>(ref lanes, units); break;
            case SimdWidth.Vector256: Run<LstmLanes, Simd256, Vector256<float>>(ref lanes, units); break;
            case SimdWidth.Vector128: Run<LstmLanes, Simd128, Vector128<float>>(ref lanes, units); break;
            default: Run<LstmLanes, SimdScalar, float>(ref lanes, units); break;
        }
    }

    /// <summary>
    /// GRU step back. In: <paramref name="dh"/> = <c>dL/dh_t</c>, the step's activated <paramref name="gates"/>,
    /// <paramref name="hn"/> = <c>W_hn h_(t−1) + b_hn</c>, <paramref name="previous"/> = <c>h_(t−1)</c> (empty: zero).
    /// Out: <paramref name="inputSide"/> = the gradients of <c>W_ih x + b_ih</c> (<c>[dr, dz, dn]</c> before the
    /// activations), <paramref name="hiddenSide"/> = those of <c>W_hh h + b_hh</c> (the same but <c>dn ⊙ r</c>), and
    /// <paramref name="dh"/> = the direct part of <c>dL/dh_(t−1)</c>, <c>dh_t ⊙ z</c>.
    /// </summary>
    public static void GruBackward(Span<float> dh, ReadOnlySpan<float> gates, ReadOnlySpan<float> hn, ReadOnlySpan<float> previous,
        Span<float> inputSide, Span<float> hiddenSide, SimdWidth width)
    {
        var lanes = new GruLanes(dh, gates, hn, previous, inputSide, hiddenSide);
        int units = dh.Length;
        switch (width)
        {
            case SimdWidth.Vector512: Run<GruLanes, Simd512, Vector512<float>>(ref lanes, units); break;
            case SimdWidth.Vector256: Run<GruLanes, Simd256, Vector256<float>>(ref lanes, units); break;
            case SimdWidth.Vector128: Run<GruLanes, Simd128, Vector128<float>>(ref lanes, units); break;
            default: Run<GruLanes, SimdScalar, float>(ref lanes, units); break;
        }
    }

    /// <summary>A step's element-wise backward math at lane <c>j</c>, for any width.</summary>
    private interface ILanes
    {
        void Invoke<TSimd, TVec>(nint j) where TSimd : struct, ISimd<TVec> where TVec : struct;
    }

    /// <summary>Whole vectors of lanes at <typeparamref name="TSimd"/>, then the rest one at a time.</summary>
    private static void Run<TLanes, TSimd, TVec>(ref TLanes lanes, int units)
        where TLanes : struct, ILanes, allows ref struct where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        nint j = 0;
        for (; j <= units - TSimd.Count; j += TSimd.Count)
        {
            lanes.Invoke<TSimd, TVec>(j);
        }
        for (; j < units; j++)
        {
            lanes.Invoke<SimdScalar, float>(j);
        }
    }

    private readonly ref struct LstmLanes : ILanes
    {
        private readonly ref float _dh, _dc, _gates, _cellTanh, _previousCell, _da;
        private readonly nint _units;
        private readonly bool _hasPrevious;

        public LstmLanes(ReadOnlySpan<float> dh, Span<float> dc, ReadOnlySpan<float> gates, ReadOnlySpan<float> cellTanh,
            ReadOnlySpan<float> previousCell, Span<float> da)
        {
            _units = dh.Length;
            if (dc.Length != _units || gates.Length != 4 * _units || cellTanh.Length != _units || da.Length != 4 * _units
                || (!previousCell.IsEmpty && previousCell.Length != _units))
            {
                throw new ArgumentException("LSTM step spans do not match the hidden size.");
            }
            _dh = ref MemoryMarshal.GetReference(dh);
            _dc = ref MemoryMarshal.GetReference(dc);
            _gates = ref MemoryMarshal.GetReference(gates);
            _cellTanh = ref MemoryMarshal.GetReference(cellTanh);
            _hasPrevious = !previousCell.IsEmpty;
            _previousCell = ref _hasPrevious ? ref MemoryMarshal.GetReference(previousCell) : ref _cellTanh;
            _da = ref MemoryMarshal.GetReference(da);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TSimd, TVec>(nint j) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            nint u = _units;
            TVec one = TSimd.Broadcast(1f);
            TVec dh = TSimd.Load(ref _dh, j);
            TVec i = TSimd.Load(ref _gates, j), f = TSimd.Load(ref _gates, u + j);
            TVec g = TSimd.Load(ref _gates, 2 * u + j), o = TSimd.Load(ref _gates, 3 * u + j);
            TVec tc = TSimd.Load(ref _cellTanh, j);
            TVec cPrev = _hasPrevious ? TSimd.Load(ref _previousCell, j) : TSimd.Zero;
            // dc_t = dc (from t+1) + dh ⊙ o ⊙ (1 − tanh²(c_t))
            TVec dc = TSimd.MultiplyAdd(TSimd.Multiply(dh, o), TSimd.Subtract(one, TSimd.Multiply(tc, tc)), TSimd.Load(ref _dc, j));
            TSimd.Store(TSimd.Multiply(TSimd.Multiply(dc, g), TSimd.Multiply(i, TSimd.Subtract(one, i))), ref _da, j);              // di
            TSimd.Store(TSimd.Multiply(TSimd.Multiply(dc, cPrev), TSimd.Multiply(f, TSimd.Subtract(one, f))), ref _da, u + j);      // df
            TSimd.Store(TSimd.Multiply(TSimd.Multiply(dc, i), TSimd.Subtract(one, TSimd.Multiply(g, g))), ref _da, 2 * u + j);      // dg
            TSimd.Store(TSimd.Multiply(TSimd.Multiply(dh, tc), TSimd.Multiply(o, TSimd.Subtract(one, o))), ref _da, 3 * u + j);     // do
            TSimd.Store(TSimd.Multiply(dc, f), ref _dc, j);                                                                         // dc_(t−1)
        }
    }

    private readonly ref struct GruLanes : ILanes
    {
        private readonly ref float _dh, _gates, _hn, _previous, _inputSide, _hiddenSide;
        private readonly nint _units;
        private readonly bool _hasPrevious;

        public GruLanes(Span<float> dh, ReadOnlySpan<float> gates, ReadOnlySpan<float> hn, ReadOnlySpan<float> previous,
            Span<float> inputSide, Span<float> hiddenSide)
        {
            _units = dh.Length;
            if (gates.Length != 3 * _units || hn.Length != _units || inputSide.Length != 3 * _units || hiddenSide.Length != 3 * _units
                || (!previous.IsEmpty && previous.Length != _units))
            {
                throw new ArgumentException("GRU step spans do not match the hidden size.");
            }
            _dh = ref MemoryMarshal.GetReference(dh);
            _gates = ref MemoryMarshal.GetReference(gates);
            _hn = ref MemoryMarshal.GetReference(hn);
            _hasPrevious = !previous.IsEmpty;
            _previous = ref _hasPrevious ? ref MemoryMarshal.GetReference(previous) : ref _hn;
            _inputSide = ref MemoryMarshal.GetReference(inputSide);
            _hiddenSide = ref MemoryMarshal.GetReference(hiddenSide);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TSimd, TVec>(nint j) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            nint u = _units;
            TVec one = TSimd.Broadcast(1f);
            TVec dh = TSimd.Load(ref _dh, j);
            TVec r = TSimd.Load(ref _gates, j), z = TSimd.Load(ref _gates, u + j), n = TSimd.Load(ref _gates, 2 * u + j);
            TVec hn = TSimd.Load(ref _hn, j);
            TVec hPrev = _hasPrevious ? TSimd.Load(ref _previous, j) : TSimd.Zero;
            // h = n + z ⊙ (h_(t−1) − n): dn = dh ⊙ (1 − z), dz = dh ⊙ (h_(t−1) − n), dh_(t−1) (direct) = dh ⊙ z.
            TVec dan = TSimd.Multiply(TSimd.Multiply(dh, TSimd.Subtract(one, z)), TSimd.Subtract(one, TSimd.Multiply(n, n)));
            TVec daz = TSimd.Multiply(TSimd.Multiply(dh, TSimd.Subtract(hPrev, n)), TSimd.Multiply(z, TSimd.Subtract(one, z)));
            // n = tanh(a_n + r ⊙ hn): dr = dan ⊙ hn, d(hn) = dan ⊙ r.
            TVec dar = TSimd.Multiply(TSimd.Multiply(dan, hn), TSimd.Multiply(r, TSimd.Subtract(one, r)));
            TSimd.Store(dar, ref _inputSide, j);
            TSimd.Store(daz, ref _inputSide, u + j);
            TSimd.Store(dan, ref _inputSide, 2 * u + j);
            TSimd.Store(dar, ref _hiddenSide, j);
            TSimd.Store(daz, ref _hiddenSide, u + j);
            TSimd.Store(TSimd.Multiply(dan, r), ref _hiddenSide, 2 * u + j);
            TSimd.Store(TSimd.Multiply(dh, z), ref _dh, j);
        }
    }
}
