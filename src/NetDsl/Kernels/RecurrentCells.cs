using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetDsl.Kernels;

/// <summary>
/// The element-wise part of one step of a recurrent cell for one sample, forward and backward (the matrix products are
/// in <see cref="Recurrent"/>). Gate rows are laid out as PyTorch's: <c>[i, f, g, o]</c> for an LSTM, <c>[r, z, n]</c>
/// for a GRU, <c>H</c> floats each. Forward and backward are each written once over <see cref="ISimd{TVec}"/> as one
/// pass over the units, whole vectors then the remainder at <see cref="SimdScalar"/>; sigmoid and tanh come from the
/// vector types' <c>Exp</c>.
/// </summary>
internal static class RecurrentCells
{
    /// <summary>
    /// RNN step. In: <paramref name="gates"/> = <c>W_ih x + b_ih</c>, <paramref name="product"/> = <c>W_hh h + b_hh</c>.
    /// Out: <paramref name="gates"/> = <paramref name="h"/> = <paramref name="output"/> = <c>tanh</c> of their sum.
    /// </summary>
    public static void RnnForward(Span<float> gates, ReadOnlySpan<float> product, Span<float> h, Span<float> output, SimdWidth width)
    {
        var lanes = new RnnForwardLanes(gates, product, h, output);
        Run(ref lanes, h.Length, width);
    }

    /// <summary>
    /// LSTM step. In: <paramref name="gates"/> = <c>W_ih x + b_ih</c>, <paramref name="product"/> = <c>W_hh h + b_hh</c>,
    /// <paramref name="c"/> = <c>c_(t−1)</c>. Out: <paramref name="gates"/> = <c>[i, f, g, o]</c> (activated),
    /// <paramref name="c"/> = <paramref name="cellOut"/> = <c>c_t</c>, <paramref name="cellTanh"/> = <c>tanh(c_t)</c>,
    /// <paramref name="h"/> = <paramref name="output"/> = <c>o ⊙ tanh(c_t)</c>. One pass over the units.
    /// </summary>
    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> product, Span<float> c, Span<float> cellOut, Span<float> cellTanh,
        Span<float> h, Span<float> output, SimdWidth width)
    {
        var lanes = new LstmForwardLanes(gates, product, c, cellOut, cellTanh, h, output);
        Run(ref lanes, h.Length, width);
    }

    /// <summary>
    /// GRU step. In: <paramref name="gates"/> = <c>W_ih x + b_ih</c>, <paramref name="product"/> = <c>W_hh h + b_hh</c>,
    /// <paramref name="h"/> = <c>h_(t−1)</c>. Out: <paramref name="gates"/> = <c>[r, z, n]</c> (activated),
    /// <paramref name="hn"/> = <c>W_hn h_(t−1) + b_hn</c>, <paramref name="h"/> = <paramref name="output"/> =
    /// <c>(1 − z) ⊙ n + z ⊙ h_(t−1)</c>, computed as <c>n + z ⊙ (h_(t−1) − n)</c>. One pass over the units.
    /// </summary>
    public static void GruForward(Span<float> gates, ReadOnlySpan<float> product, Span<float> hn, Span<float> h, Span<float> output, SimdWidth width)
    {
        var lanes = new GruForwardLanes(gates, product, hn, h, output);
        Run(ref lanes, h.Length, width);
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
        Run(ref lanes, dh.Length, width);
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
        Run(ref lanes, dh.Length, width);
    }

    /// <summary>A step's element-wise backward math at lane <c>j</c>, for any width.</summary>
    private interface ILanes
    {
        void Invoke<TSimd, TVec>(nint j) where TSimd : struct, ISimd<TVec> where TVec : struct;
    }

    private static void Run<TLanes>(ref TLanes lanes, int units, SimdWidth width) where TLanes : struct, ILanes, allows ref struct
    {
        switch (width)
        {
            case SimdWidth.Vector512: Run<TLanes, Simd512, Vector512<float>>(ref lanes, units); break;
            case SimdWidth.Vector256: Run<TLanes, Simd256, Vector256<float>>(ref lanes, units); break;
            case SimdWidth.Vector128: Run<TLanes, Simd128, Vector128<float>>(ref lanes, units); break;
            default: Run<TLanes, SimdScalar, float>(ref lanes, units); break;
        }
    }

    /// <summary>
    /// <c>e^x</c> at any width, relative error about 2e-7 (<see cref="MathF.Exp"/> for one float): <c>x</c> clamped to
    /// <c>[−87, 88]</c>, <c>x = n·ln 2 + r</c> with <c>n</c> rounded by the 1.5·2²³ trick and <c>|r| ≤ ln 2 / 2</c>,
    /// <c>e^r</c> by its Taylor polynomial of degree 6 (error below <c>r⁷/7! ≈ 1e-7</c>), times <c>2^n</c> built in the
    /// exponent bits. The vector types' own <c>Exp</c> measured 3× slower here. With AVX-512 the clamp is <c>vminps</c> /
    /// <c>vmaxps</c> and the scaling one <c>vscalefps</c> (the same values: scaling by a power of two rounds as the
    /// multiplication does), 14 instructions instead of 25: the LSTM cell, five of these per unit, measured 1.4× faster.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Exp<TSimd, TVec>(TVec x) where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        if (typeof(TVec) == typeof(float))
        {
            return Unsafe.BitCast<float, TVec>(MathF.Exp(Unsafe.BitCast<TVec, float>(x)));
        }
        TVec hi = TSimd.Broadcast(88f), lo = TSimd.Broadcast(-87f);
        if (typeof(TVec) == typeof(Vector512<float>) && Avx512F.IsSupported)
        {
            // min(88, x) and max(−87, x) keep a NaN x, as the comparisons below do.
            var clamped = Avx512F.Max(Vector512.Create(-87f), Avx512F.Min(Vector512.Create(88f), Unsafe.BitCast<TVec, Vector512<float>>(x)));
            x = Unsafe.BitCast<Vector512<float>, TVec>(clamped);
        }
        else
        {
            x = TSimd.IfGreaterThan(x, hi, hi, x);
            x = TSimd.IfGreaterThan(lo, x, lo, x);
        }
        TVec magic = TSimd.Broadcast(12582912f); // 1.5·2²³: adding it rounds to an integer
        TVec n = TSimd.Subtract(TSimd.MultiplyAdd(x, TSimd.Broadcast(1.44269504f), magic), magic);
        TVec r = TSimd.MultiplyAdd(n, TSimd.Broadcast(-0.693145752f), x);  // ln 2, high part (exact in n·ln2_hi)
        r = TSimd.MultiplyAdd(n, TSimd.Broadcast(-1.42860677e-6f), r);     // ln 2, low part
        TVec p = TSimd.Broadcast(1f / 720f);
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(1f / 120f));
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(1f / 24f));
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(1f / 6f));
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(0.5f));
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(1f));
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(1f));
        if (typeof(TVec) == typeof(Vector512<float>) && Avx512F.IsSupported)
        {
            return Unsafe.BitCast<Vector512<float>, TVec>(Avx512F.Scale(Unsafe.BitCast<TVec, Vector512<float>>(p), Unsafe.BitCast<TVec, Vector512<float>>(n)));
        }
        return TSimd.Multiply(p, Pow2<TVec>(n));
    }

    /// <summary><c>2^n</c> for whole numbers <c>n</c> in <c>[−126, 127]</c>: <c>n + 127</c> in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Pow2<TVec>(TVec n) where TVec : struct
    {
        if (typeof(TVec) == typeof(Vector512<float>))
        {
            var e = Vector512.ConvertToInt32(Unsafe.BitCast<TVec, Vector512<float>>(n)) + Vector512.Create(127);
            return Unsafe.BitCast<Vector512<float>, TVec>(Vector512.ShiftLeft(e, 23).AsSingle());
        }
        if (typeof(TVec) == typeof(Vector256<float>))
        {
            var e = Vector256.ConvertToInt32(Unsafe.BitCast<TVec, Vector256<float>>(n)) + Vector256.Create(127);
            return Unsafe.BitCast<Vector256<float>, TVec>(Vector256.ShiftLeft(e, 23).AsSingle());
        }
        if (typeof(TVec) == typeof(Vector128<float>))
        {
            var e = Vector128.ConvertToInt32(Unsafe.BitCast<TVec, Vector128<float>>(n)) + Vector128.Create(127);
            return Unsafe.BitCast<Vector128<float>, TVec>(Vector128.ShiftLeft(e, 23).AsSingle());
        }
        throw new NotSupportedException();
    }

    /// <summary><c>σ(x) = 1 / (1 + e^−x)</c>: 0 and 1 at the extremes, no overflow trouble.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Sigmoid<TSimd, TVec>(TVec x) where TSimd : struct, ISimd<TVec> where TVec : struct
        => TSimd.Divide(TSimd.Broadcast(1f), TSimd.Add(TSimd.Broadcast(1f), Exp<TSimd, TVec>(TSimd.Subtract(TSimd.Zero, x))));

    /// <summary>
    /// <c>tanh(x) = 1 − 2 / (e^2x + 1)</c>: exactly ±1 at the extremes, absolute error a few 1e-8 (relative error near
    /// 0 is larger, which nothing here needs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Tanh<TSimd, TVec>(TVec x) where TSimd : struct, ISimd<TVec> where TVec : struct
        => TSimd.Subtract(TSimd.Broadcast(1f), TSimd.Divide(TSimd.Broadcast(2f), TSimd.Add(Exp<TSimd, TVec>(TSimd.Add(x, x)), TSimd.Broadcast(1f))));

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

    private readonly ref struct RnnForwardLanes : ILanes
    {
        private readonly ref float _gates, _product, _h, _output;

        public RnnForwardLanes(Span<float> gates, ReadOnlySpan<float> product, Span<float> h, Span<float> output)
        {
            if (gates.Length != h.Length || product.Length != h.Length || output.Length != h.Length)
            {
                throw new ArgumentException("RNN step spans do not match the hidden size.");
            }
            _gates = ref MemoryMarshal.GetReference(gates);
            _product = ref MemoryMarshal.GetReference(product);
            _h = ref MemoryMarshal.GetReference(h);
            _output = ref MemoryMarshal.GetReference(output);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TSimd, TVec>(nint j) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            TVec y = Tanh<TSimd, TVec>(TSimd.Add(TSimd.Load(ref _gates, j), TSimd.Load(ref _product, j)));
            TSimd.Store(y, ref _gates, j);
            TSimd.Store(y, ref _h, j);
            TSimd.Store(y, ref _output, j);
        }
    }

    private readonly ref struct LstmForwardLanes : ILanes
    {
        private readonly ref float _gates, _product, _c, _cellOut, _cellTanh, _h, _output;
        private readonly nint _units;

        public LstmForwardLanes(Span<float> gates, ReadOnlySpan<float> product, Span<float> c, Span<float> cellOut, Span<float> cellTanh,
            Span<float> h, Span<float> output)
        {
            _units = h.Length;
            if (gates.Length != 4 * _units || product.Length != 4 * _units || c.Length != _units || cellOut.Length != _units
                || cellTanh.Length != _units || output.Length != _units)
            {
                throw new ArgumentException("LSTM step spans do not match the hidden size.");
            }
            _gates = ref MemoryMarshal.GetReference(gates);
            _product = ref MemoryMarshal.GetReference(product);
            _c = ref MemoryMarshal.GetReference(c);
            _cellOut = ref MemoryMarshal.GetReference(cellOut);
            _cellTanh = ref MemoryMarshal.GetReference(cellTanh);
            _h = ref MemoryMarshal.GetReference(h);
            _output = ref MemoryMarshal.GetReference(output);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TSimd, TVec>(nint j) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            nint u = _units;
            TVec i = Sigmoid<TSimd, TVec>(TSimd.Add(TSimd.Load(ref _gates, j), TSimd.Load(ref _product, j)));
            TVec f = Sigmoid<TSimd, TVec>(TSimd.Add(TSimd.Load(ref _gates, u + j), TSimd.Load(ref _product, u + j)));
            TVec g = Tanh<TSimd, TVec>(TSimd.Add(TSimd.Load(ref _gates, 2 * u + j), TSimd.Load(ref _product, 2 * u + j)));
            TVec o = Sigmoid<TSimd, TVec>(TSimd.Add(TSimd.Load(ref _gates, 3 * u + j), TSimd.Load(ref _product, 3 * u + j)));
            TSimd.Store(i, ref _gates, j);
            TSimd.Store(f, ref _gates, u + j);
            TSimd.Store(g, ref _gates, 2 * u + j);
            TSimd.Store(o, ref _gates, 3 * u + j);
            TVec c = TSimd.MultiplyAdd(f, TSimd.Load(ref _c, j), TSimd.Multiply(i, g)); // c_t = f ⊙ c_(t−1) + i ⊙ g
            TSimd.Store(c, ref _c, j);
            TSimd.Store(c, ref _cellOut, j);
            TVec tc = Tanh<TSimd, TVec>(c);
            TSimd.Store(tc, ref _cellTanh, j);
            TVec h = TSimd.Multiply(o, tc);                                                 // h_t = o ⊙ tanh(c_t)
            TSimd.Store(h, ref _h, j);
            TSimd.Store(h, ref _output, j);
        }
    }

    private readonly ref struct GruForwardLanes : ILanes
    {
        private readonly ref float _gates, _product, _hn, _h, _output;
        private readonly nint _units;

        public GruForwardLanes(Span<float> gates, ReadOnlySpan<float> product, Span<float> hn, Span<float> h, Span<float> output)
        {
            _units = h.Length;
            if (gates.Length != 3 * _units || product.Length != 3 * _units || hn.Length != _units || output.Length != _units)
            {
                throw new ArgumentException("GRU step spans do not match the hidden size.");
            }
            _gates = ref MemoryMarshal.GetReference(gates);
            _product = ref MemoryMarshal.GetReference(product);
            _hn = ref MemoryMarshal.GetReference(hn);
            _h = ref MemoryMarshal.GetReference(h);
            _output = ref MemoryMarshal.GetReference(output);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke<TSimd, TVec>(nint j) where TSimd : struct, ISimd<TVec> where TVec : struct
        {
            nint u = _units;
            TVec r = Sigmoid<TSimd, TVec>(TSimd.Add(TSimd.Load(ref _gates, j), TSimd.Load(ref _product, j)));
            TVec z = Sigmoid<TSimd, TVec>(TSimd.Add(TSimd.Load(ref _gates, u + j), TSimd.Load(ref _product, u + j)));
            TVec hn = TSimd.Load(ref _product, 2 * u + j);                                                  // W_hn h + b_hn
            TVec n = Tanh<TSimd, TVec>(TSimd.MultiplyAdd(r, hn, TSimd.Load(ref _gates, 2 * u + j)));       // tanh(W_in x + b_in + r ⊙ hn)
            TSimd.Store(r, ref _gates, j);
            TSimd.Store(z, ref _gates, u + j);
            TSimd.Store(n, ref _gates, 2 * u + j);
            TSimd.Store(hn, ref _hn, j);
            TVec h = TSimd.MultiplyAdd(z, TSimd.Subtract(TSimd.Load(ref _h, j), n), n);                     // n + z ⊙ (h_(t−1) − n)
            TSimd.Store(h, ref _h, j);
            TSimd.Store(h, ref _output, j);
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
