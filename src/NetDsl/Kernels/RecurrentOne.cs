using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetDsl.Kernels;

/// <summary>
/// The GRU forward pass for one sample with AVX-512 (batch-1 inference), bound by reading <c>W_hh</c> (<c>3H·H</c>
/// floats, 192 KB for H = 128) from L2 once per step: the pattern of <see cref="RecurrentLstmOne"/>.
/// </summary>
/// <remarks>
/// The input projections of all steps are one product first (<see cref="Gemm"/>); then each step forms the 3H sums
/// <c>W_hh h_(t−1) + b_hh</c> by <see cref="RecurrentProducts.DotRows16"/> over the rows as they lie: those of r and z
/// are added to the gates, those of n (<c>W_hn h + b_hn</c>, which the reset gate multiplies) go to the cache's
/// <c>hn</c>; then a pass of cells. The shared path ran <see cref="RecurrentProducts.MatrixTimesVector"/> (8 rows of
/// 256-bit vectors at a time) and a cell pass over a separate product buffer. Measured A/B on this machine (T = 50,
/// I = 32, H = 128, best of 200): 145 → 117 µs per sequence, of which the projection is 16 µs and the steps about
/// 1.9 µs each (W_hh streams at about 104 GB/s, against 116 GB/s for a plain read from L2).
/// </remarks>
internal static unsafe class RecurrentGruOne
{
    /// <summary>
    /// The steps of one sample of <paramref name="length"/> steps, its gates already holding <c>W_ih x_t + b_ih</c> at
    /// positions <c>[0, L)</c>. Writes the activated gates <c>[r, z, n]</c> over them, <c>hn_t = W_hn h_(t−1) + b_hn</c>
    /// to <paramref name="hn"/> and <c>h_t</c> to <paramref name="hidden"/>.
    /// </summary>
    public static void Steps(float* gates, float* hn, float* hidden, float* weightHh, float* biasHh, int length, int units, bool reverse)
    {
        nint h = units;
        for (int s = 0; s < length; s++)
        {
            int t = reverse ? length - 1 - s : s;
            int previous = s == 0 ? -1 : reverse ? t + 1 : t - 1;
            float* g = gates + 3 * t * h;
            float* hnt = hn + t * h;
            // All the sums first, then the cells (as the LSTM's: the cells' exp chains overlap across blocks).
            // r and z: their recurrent sums add to the input projections; n: W_hn·h + b_hn apart, for r ⊙ (W_hn·h + b_hn).
            float* state = previous >= 0 ? hidden + previous * h : null;
            RecurrentProducts.RowSums16(g, weightHh, biasHh, state, 2 * h, h, accumulate: true);
            RecurrentProducts.RowSums16(hnt, weightHh + 2 * h * h, biasHh == null ? null : biasHh + 2 * h, state, h, h, accumulate: false);
            for (nint u = 0; u < h; u += 16)
            {
                Vector512<float> r = RecurrentCells.Sigmoid<Simd512, Vector512<float>>(Vector512.Load(g + u));
                Vector512<float> z = RecurrentCells.Sigmoid<Simd512, Vector512<float>>(Vector512.Load(g + h + u));
                // n = tanh(W_in x + b_in + r ⊙ hn)
                Vector512<float> n = RecurrentCells.Tanh<Simd512, Vector512<float>>(Avx512F.FusedMultiplyAdd(r, Vector512.Load(hnt + u), Vector512.Load(g + 2 * h + u)));
                r.Store(g + u);
                z.Store(g + h + u);
                n.Store(g + 2 * h + u);
                // h_t = n + z ⊙ (h_(t−1) − n)
                Vector512<float> before = previous >= 0 ? Vector512.Load(hidden + previous * h + u) : Vector512<float>.Zero;
                Avx512F.FusedMultiplyAdd(z, before - n, n).Store(hidden + t * h + u);
            }
        }
    }
}

/// <summary>
/// The simple RNN forward pass for one sample with AVX-512 (batch-1 inference), bound by reading <c>W_hh</c>
/// (<c>H·H</c> floats, 64 KB for H = 128) from L2 once per step: the pattern of <see cref="RecurrentLstmOne"/>.
/// </summary>
/// <remarks>
/// After the input projections of all steps (<see cref="Gemm"/>), each step is, per block of 16 units, one
/// <see cref="RecurrentProducts.DotRows16"/> added to the gates, then a pass of <c>h_t = tanh(g_t + W_hh h_(t−1) + b_hh)</c>.
/// Measured A/B (T = 50, I = 32, H = 128, best of 200): 49 → 36 µs per sequence, the projection 5 µs of it. Taking the
/// tanh of each block right after its sums measured slower (40.5 µs): its exp chain then waits on one block at a
/// time, while a pass of its own overlaps the blocks' chains.
/// </remarks>
internal static unsafe class RecurrentRnnOne
{
    /// <summary>
    /// The steps of one sample of <paramref name="length"/> steps, its gates already holding <c>W_ih x_t + b_ih</c> at
    /// positions <c>[0, L)</c>. Writes <c>h_t</c> over them and to <paramref name="hidden"/>.
    /// </summary>
    public static void Steps(float* gates, float* hidden, float* weightHh, float* biasHh, int length, int units, bool reverse)
    {
        nint h = units;
        for (int s = 0; s < length; s++)
        {
            int t = reverse ? length - 1 - s : s;
            int previous = s == 0 ? -1 : reverse ? t + 1 : t - 1;
            float* g = gates + t * h;
            RecurrentProducts.RowSums16(g, weightHh, biasHh, previous >= 0 ? hidden + previous * h : null, h, h, accumulate: true);
            for (nint u = 0; u < h; u += 16)
            {
                Vector512<float> y = RecurrentCells.Tanh<Simd512, Vector512<float>>(Vector512.Load(g + u));
                y.Store(g + u);
                y.Store(hidden + t * h + u);
            }
        }
    }
}
