using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetDsl.Kernels;

/// <summary>
/// One Winograd forward pass over a batch (<see cref="ConvolutionWinograd"/>), with the operands behind pointers so
/// worker threads can run shares of its samples. Built by <see cref="Convolution"/>'s <c>RunWinograd</c>.
/// </summary>
internal unsafe struct WinogradJob
{
    /// <summary><c>x[B, C, H, W]</c>.</summary>
    public float* X;
    /// <summary><c>y[B, O, OH, OW]</c>.</summary>
    public float* Y;
    /// <summary>The transformed filters <c>U[36, C, O]</c> (<see cref="ConvolutionWinograd.TransformFilters"/>).</summary>
    public float* Filters;
    /// <summary>The bias, <c>O</c> floats (all zeros for none).</summary>
    public float* Bias;
    public int InChannels, InHeight, InWidth, PadTop, PadLeft;
    public int OutChannels, OutHeight, OutWidth;
    /// <summary>Tiles of 2×2 outputs: <c>TH = ⌈OH/2⌉</c> rows of <c>TW = ⌈OW/2⌉</c>, <c>T = TH·TW</c> in all.</summary>
    public int TileRows, TileColumns, Tiles;
    /// <summary>The slope of a fused <see cref="LeakyReLUActivation"/>.</summary>
    public float NegativeSlope;

    public readonly int InputSize => InChannels * InHeight * InWidth;
    public readonly int OutputSize => OutChannels * OutHeight * OutWidth;
    /// <summary>Rows of a padded channel: <c>2·TH + 4</c>, each tile reading 6.</summary>
    public readonly int PaddedRows => 2 * TileRows + 4;
    /// <summary>
    /// Floats of each half of a padded row (even columns, then odd columns): <c>TW + 2</c>, at least 18 so a vector of
    /// 16 tiles starting at 0, 1 or 2 stays inside the row's two halves.
    /// </summary>
    public readonly int HalfRow => Math.Max(TileColumns + 2, 18);
    /// <summary>Floats between the tiles of one (element, channel) pair in the transformed inputs: <c>T</c> plus a vector of slack.</summary>
    public readonly int TileStride => Tiles + 16;
}

/// <summary>
/// Winograd F(2×2, 5×5) forward convolution (stride 1, dilation 1, any padding; Vector512, output channels a multiple
/// of 16): <c>Y = Aᵀ[Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)]A</c> per tile of 2×2 outputs, which reads a 6×6 patch <c>d</c> of the
/// padded input; the 36 element-wise sums over input channels are 36 small products
/// <c>M_e[tiles, O] = V_e[tiles, C] · U_e[C, O]</c>, 36·C·O multiply-adds per tile against 100·C·O for the direct
/// convolution's 4 outputs (2.78× fewer).
/// </summary>
/// <remarks>
/// <para>
/// The matrices (interpolation points 0, ±1, ±2, ∞; Lavin's construction, checked against a float64 direct
/// convolution): <c>Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 1]</c>, <c>G = [1/4 0 0 0 0; −1/6 ×5 (alternating signs in row 3);
/// 1/24 ±1/12 1/6 ±1/3 2/3; 0 0 0 0 1]</c>, <c>Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0;
/// 0 2 −1 −2 1 0; 0 4 0 −5 0 1]</c>. <c>Aᵀ</c> and <c>Bᵀ</c> are small integers, exact in float32; the constants of
/// <c>G</c> other than 1/4 and 1 (1/6, 1/12, 1/24, 1/3, 2/3) are rounded to float32, a relative error of at most
/// 2⁻²⁴ each, covered below.
/// </para>
/// <para>
/// Accuracy: the tests' bound for a direct convolution, <c>|y − y64| ≤ (2·C·25 + 4)·2⁻²⁴·Σ|terms|</c>, holds with room
/// only from about 8 input channels: measured worst error over random cases, as a fraction of that bound, on the CNN's
/// second layer (16→32 5×5 pad 2 on 14×14) 2.4 % with inputs in [0, 2) and He-uniform weights, 4.1 % with everything
/// uniform in [−1, 1); with 8 channels 8.8 %, 6 channels 12 %, 4 channels 31 %, 3 channels 36 %, 1 channel 268 % (the
/// transforms' sums are spread over the 36 products, while an output near a padded corner may have few terms).
/// So <see cref="Convolution.WinogradPossible"/> asks for <see cref="Convolution.WinogradMinChannels"/> channels.
/// </para>
/// <para>
/// Per sample: the sample is copied into a zero-bordered buffer with each row split into even and odd columns, so
/// that for a row of tiles the 6 columns each tile reads are 6 unit-stride vectors (tiles in lanes); the input
/// transform writes <c>V[36, C, T]</c>. Then in chunks of 14 tiles (the last one shifted back to end on the last tile,
/// its overlap recomputed with the same bits): the 36 products, 14 tiles × 2 vectors of channels in registers (as
/// <see cref="ConvolutionDirect"/>'s channel kernel), into <c>M[36, 14, O]</c>; the output transform with bias and
/// ReLU / leaky ReLU into a staging copy of the sample's output in NHWC; finally that is transposed into NCHW.
/// </para>
/// <para>
/// Every output element is computed by one thread in one order whatever the batch and thread count: threads split
/// samples. The transformed filters live in the caller's scratch and are rebuilt on every call (weights change
/// between training steps); each thread's buffers are its <see cref="PackBuffer"/>.
/// </para>
/// </remarks>
internal static unsafe class ConvolutionWinograd
{
    /// <summary>Tiles per product chunk: 14 × 2 vectors = 28 accumulators, leaving registers for 2 filter vectors.</summary>
    public const int ChunkTiles = 14;

    /// <summary>Floats of the caller's scratch: the transformed filters <c>[36, C, O]</c>, the bias, and the filters transposed to <c>[C·25, 16]</c>.</summary>
    public static int ScratchSize(in Conv2DGeometry g) => 36 * g.InChannels * g.OutChannels + g.OutChannels + 16 * g.InChannels * 25 + 16;

    /// <summary>Fills the job's shape from <paramref name="g"/> (pointers to data are the caller's).</summary>
    public static void Prepare(ref WinogradJob job, in Conv2DGeometry g)
    {
        job.InChannels = g.InChannels;
        job.InHeight = g.InHeight;
        job.InWidth = g.InWidth;
        job.PadTop = g.PadTop;
        job.PadLeft = g.PadLeft;
        job.OutChannels = g.OutChannels;
        job.OutHeight = g.OutHeight;
        job.OutWidth = g.OutWidth;
        job.TileRows = (g.OutHeight + 1) / 2;
        job.TileColumns = (g.OutWidth + 1) / 2;
        job.Tiles = job.TileRows * job.TileColumns;
    }

    /// <summary>
    /// Floats of each thread's buffer: the padded sample <c>[C, 2·TH + 4, 2 halves]</c>, the transformed inputs
    /// <c>V[36, C, T + 16]</c>, the row transform's 36 vectors, a chunk's products <c>M[36, 14, O]</c> and the staged
    /// output <c>[2·TH, 2·TW, O]</c>, each rounded to whole vectors.
    /// </summary>
    public static int BufferLength(in WinogradJob job)
        => Round(PaddedLength(in job)) + Round(36 * job.InChannels * job.TileStride) + 36 * 16 + Round(36 * ChunkTiles * job.OutChannels)
        + Round(4 * job.Tiles * job.OutChannels);

    private static int PaddedLength(in WinogradJob job) => job.InChannels * job.PaddedRows * 2 * job.HalfRow + 16;

    private static int Round(int floats) => (floats + 15) & ~15;

    /// <summary>
    /// <c>U[(a·6 + b), c, o] = (G g Gᵀ)[a, b]</c> for the filter <c>g = W[o, c]</c>, 16 output channels in the lanes of a
    /// vector: the weights are first transposed to <c>[C·25, 16]</c> in <paramref name="transposed"/>. 12,800 weights
    /// of the CNN's second layer in ~2 µs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformFilters(float* weight, float* filters, float* transposed, int inChannels, int outChannels)
    {
        int depth = inChannels * 25;
        float* rows = stackalloc float[30 * 16];
        for (int o0 = 0; o0 < outChannels; o0 += 16)
        {
            ConvolutionDirect.Transpose(weight + (nint)o0 * depth, depth, transposed, 16, 16, depth);
            for (int c = 0; c < inChannels; c++)
            {
                float* g = transposed + c * 25 * 16;
                // rows[a, kw] = Σ_kh G[a, kh] · g[kh, kw]
                for (int kw = 0; kw < 5; kw++)
                {
                    ApplyG(Vector512.Load(g + kw * 16), Vector512.Load(g + (5 + kw) * 16), Vector512.Load(g + (10 + kw) * 16),
                        Vector512.Load(g + (15 + kw) * 16), Vector512.Load(g + (20 + kw) * 16), rows + kw * 16, 5 * 16);
                }
                // U[a, b] = Σ_kw rows[a, kw] · G[b, kw]
                for (int a = 0; a < 6; a++)
                {
                    float* r = rows + a * 5 * 16;
                    ApplyG(Vector512.Load(r), Vector512.Load(r + 16), Vector512.Load(r + 32), Vector512.Load(r + 48), Vector512.Load(r + 64),
                        filters + ((nint)(a * 6) * inChannels + c) * outChannels + o0, inChannels * outChannels);
                }
            }
        }
    }

    /// <summary><c>to[a·stride] = Σ_k G[a, k] · g_k</c> for the 6 rows of <c>G</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyG(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3, Vector512<float> g4, float* to, nint stride)
    {
        Vector512<float> even = g0 + g2 + g4, odd = g1 + g3;
        Vector512<float> sixth = Vector512.Create(-1f / 6);
        Vector512<float> evenQuarter = g0 * Vector512.Create(1f / 24) + g2 * Vector512.Create(1f / 6) + g4 * Vector512.Create(2f / 3);
        Vector512<float> oddQuarter = g1 * Vector512.Create(1f / 12) + g3 * Vector512.Create(1f / 3);
        (g0 * Vector512.Create(0.25f)).Store(to);
        ((even + odd) * sixth).Store(to + stride);
        ((even - odd) * sixth).Store(to + 2 * stride);
        (evenQuarter + oddQuarter).Store(to + 3 * stride);
        (evenQuarter - oddQuarter).Store(to + 4 * stride);
        g4.Store(to + 5 * stride);
    }

    /// <summary>The job's samples <c>[start, end)</c>, on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunItems<TActivation>(void* state, int start, int end) where TActivation : struct, IActivation
    {
        ref WinogradJob job = ref *(WinogradJob*)state;
        float* padded = PackBuffer.Get(BufferLength(in job));
        float* inputs = padded + Round(PaddedLength(in job));
        float* rows = inputs + Round(36 * job.InChannels * job.TileStride);
        float* products = rows + 36 * 16;
        float* staged = products + Round(36 * ChunkTiles * job.OutChannels);
        for (int sample = start; sample < end; sample++)
        {
            Pad(job.X + (nint)sample * job.InputSize, padded, in job);
            TransformInputs(padded, inputs, rows, in job);
            int tiles = job.Tiles;
            for (int first = 0; first < tiles; first += ChunkTiles)
            {
                int at = Math.Max(0, Math.Min(first, tiles - ChunkTiles));
                Products(inputs + at, products, in job);
                TransformOutputs<TActivation>(products, staged, at, Math.Min(at + ChunkTiles, tiles), in job);
            }
            float* y = job.Y + (nint)sample * job.OutputSize;
            int plane = job.OutHeight * job.OutWidth, stagedRow = 2 * job.TileColumns * job.OutChannels;
            for (int oh = 0; oh < job.OutHeight; oh++)
            {
                ConvolutionDirect.Transpose(staged + (nint)oh * stagedRow, job.OutChannels, y + oh * job.OutWidth, plane, job.OutWidth, job.OutChannels);
            }
        }
    }

    /// <summary>
    /// <c>padded[c, r, (j mod 2)·half + j / 2] = x[c, r − padTop, j − padLeft]</c> inside, 0 elsewhere: rows of
    /// <c>2·TH + 4</c>, split into even and odd padded columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pad(float* x, float* padded, in WinogradJob job)
    {
        int half = job.HalfRow, rows = job.PaddedRows, width = job.InWidth;
        new Span<float>(padded, PaddedLength(in job)).Clear();
        int first = job.PadLeft & 1; // the first input column whose padded column w + padLeft is even
        for (int c = 0; c < job.InChannels; c++)
        {
            for (int h = 0; h < job.InHeight; h++)
            {
                float* from = x + (c * job.InHeight + h) * width;
                float* to = padded + (c * rows + h + job.PadTop) * 2 * half;
                for (int w = first; w < width; w += 2)
                {
                    to[(w + job.PadLeft) >> 1] = from[w];
                }
                for (int w = 1 - first; w < width; w += 2)
                {
                    to[half + ((w + job.PadLeft) >> 1)] = from[w];
                }
            }
        }
    }

    /// <summary>
    /// <c>V[(a·6 + b), c, t] = (Bᵀ d B)[a, b]</c> for the 6×6 patch <c>d</c> of tile <c>t</c> in channel <c>c</c>,
    /// 16 tiles of a row in the lanes of a vector (the last vector of a row spills into the next row's tiles, which
    /// that row overwrites, or into the slack after the last one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInputs(float* padded, float* inputs, float* rows, in WinogradJob job)
    {
        int half = job.HalfRow, tileColumns = job.TileColumns, channels = job.InChannels;
        nint elementStride = (nint)channels * job.TileStride;
        for (int c = 0; c < channels; c++)
        {
            float* plane = padded + (nint)c * job.PaddedRows * 2 * half;
            for (int th = 0; th < job.TileRows; th++)
            {
                for (int tw = 0; tw < tileColumns; tw += 16)
                {
                    int at = tileColumns > 16 ? Math.Min(tw, tileColumns - 16) : 0;
                    float* top = plane + 2 * th * 2 * half + at;
                    // Over the patch's rows k: rows[a, j] = Σ_k Bᵀ[a, k] · d[k, j]; column j = 2i + parity reads half `parity` at i.
                    for (int j = 0; j < 6; j++)
                    {
                        float* column = top + (j & 1) * half + (j >> 1);
                        nint row = 2 * half;
                        ApplyBt(Vector512.Load(column), Vector512.Load(column + row), Vector512.Load(column + 2 * row),
                            Vector512.Load(column + 3 * row), Vector512.Load(column + 4 * row), Vector512.Load(column + 5 * row), rows + j * 16, 6 * 16);
                    }
                    // Over the patch's columns: V[a, b] = Σ_j rows[a, j] · Bᵀ[b, j].
                    float* to = inputs + (nint)c * job.TileStride + th * tileColumns + at;
                    for (int a = 0; a < 6; a++)
                    {
                        float* r = rows + a * 6 * 16;
                        ApplyBt(Vector512.Load(r), Vector512.Load(r + 16), Vector512.Load(r + 32), Vector512.Load(r + 48), Vector512.Load(r + 64),
                            Vector512.Load(r + 80), to + a * 6 * elementStride, elementStride);
                    }
                }
            }
        }
    }

    /// <summary><c>to[a·stride] = Σ_k Bᵀ[a, k] · d_k</c> for the 6 rows of <c>Bᵀ</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyBt(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3, Vector512<float> d4, Vector512<float> d5,
        float* to, nint stride)
    {
        Vector512<float> four = Vector512.Create(4f), five = Vector512.Create(-5f), two = Vector512.Create(2f);
        Vector512<float> d42 = d4 - d2;
        (Avx512F.FusedMultiplyAdd(d0, four, Avx512F.FusedMultiplyAdd(d2, five, d4))).Store(to);               // 4d0 − 5d2 + d4
        (Avx512F.FusedMultiplyAdd(d1 + d2, Vector512.Create(-4f), d3 + d4)).Store(to + stride);                 // −4(d1 + d2) + d3 + d4
        (Avx512F.FusedMultiplyAdd(d1 - d2, four, d4 - d3)).Store(to + 2 * stride);                               // 4(d1 − d2) − d3 + d4
        (Avx512F.FusedMultiplyAdd(d3 - d1, two, d42)).Store(to + 3 * stride);                                    // 2(d3 − d1) − d2 + d4
        (Avx512F.FusedMultiplyAdd(d1 - d3, two, d42)).Store(to + 4 * stride);                                    // 2(d1 − d3) − d2 + d4
        (Avx512F.FusedMultiplyAdd(d1, four, Avx512F.FusedMultiplyAdd(d3, five, d5))).Store(to + 5 * stride);    // 4d1 − 5d3 + d5
    }

    /// <summary><c>M[e, i, o] = Σ_c V[e, c, i] · U[e, c, o]</c> for the 14 tiles at <paramref name="inputs"/>, every element and block of channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Products(float* inputs, float* products, in WinogradJob job)
    {
        int channels = job.InChannels, outChannels = job.OutChannels;
        nint elementStride = (nint)channels * job.TileStride;
        for (int e = 0; e < 36; e++)
        {
            float* v = inputs + e * elementStride;
            float* u = job.Filters + (nint)e * channels * outChannels;
            float* m = products + e * ChunkTiles * outChannels;
            int o0 = 0;
            for (; o0 + 32 <= outChannels; o0 += 32)
            {
                Tile<Two>(v, job.TileStride, u + o0, outChannels, channels, m + o0, outChannels);
            }
            if (o0 < outChannels)
            {
                Tile<One>(v, job.TileStride, u + o0, outChannels, channels, m + o0, outChannels);
            }
        }
    }

    /// <summary>
    /// The micro-kernel: <c>m[i·mStride + 0..16·N] = Σ_c v[c·vStride + i] · u[c·uStride + 0..16·N]</c> for 14 tiles
    /// <c>i</c> and N = 1 or 2 vectors of output channels: each channel loads N filter vectors and broadcasts each
    /// tile's input into N FMAs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TVectors>(float* v, nint vStride, float* u, nint uStride, int channels, float* m, nint mStride)
        where TVectors : struct, ConvolutionDirect.IVectors
    {
        bool two = TVectors.Count == 2;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        Vector512<float> cC0 = default, cC1 = default, cD0 = default, cD1 = default;
        for (int c = 0; c < channels; c++, v += vStride, u += uStride)
        {
            Vector512<float> w0 = Vector512.Load(u), w1 = two ? Vector512.Load(u + 16) : w0;
            Vector512<float> x = Vector512.Create(v[0]); c00 = Avx512F.FusedMultiplyAdd(x, w0, c00); if (two) c01 = Avx512F.FusedMultiplyAdd(x, w1, c01);
            x = Vector512.Create(v[1]); c10 = Avx512F.FusedMultiplyAdd(x, w0, c10); if (two) c11 = Avx512F.FusedMultiplyAdd(x, w1, c11);
            x = Vector512.Create(v[2]); c20 = Avx512F.FusedMultiplyAdd(x, w0, c20); if (two) c21 = Avx512F.FusedMultiplyAdd(x, w1, c21);
            x = Vector512.Create(v[3]); c30 = Avx512F.FusedMultiplyAdd(x, w0, c30); if (two) c31 = Avx512F.FusedMultiplyAdd(x, w1, c31);
            x = Vector512.Create(v[4]); c40 = Avx512F.FusedMultiplyAdd(x, w0, c40); if (two) c41 = Avx512F.FusedMultiplyAdd(x, w1, c41);
            x = Vector512.Create(v[5]); c50 = Avx512F.FusedMultiplyAdd(x, w0, c50); if (two) c51 = Avx512F.FusedMultiplyAdd(x, w1, c51);
            x = Vector512.Create(v[6]); c60 = Avx512F.FusedMultiplyAdd(x, w0, c60); if (two) c61 = Avx512F.FusedMultiplyAdd(x, w1, c61);
            x = Vector512.Create(v[7]); c70 = Avx512F.FusedMultiplyAdd(x, w0, c70); if (two) c71 = Avx512F.FusedMultiplyAdd(x, w1, c71);
            x = Vector512.Create(v[8]); c80 = Avx512F.FusedMultiplyAdd(x, w0, c80); if (two) c81 = Avx512F.FusedMultiplyAdd(x, w1, c81);
            x = Vector512.Create(v[9]); c90 = Avx512F.FusedMultiplyAdd(x, w0, c90); if (two) c91 = Avx512F.FusedMultiplyAdd(x, w1, c91);
            x = Vector512.Create(v[10]); cA0 = Avx512F.FusedMultiplyAdd(x, w0, cA0); if (two) cA1 = Avx512F.FusedMultiplyAdd(x, w1, cA1);
            x = Vector512.Create(v[11]); cB0 = Avx512F.FusedMultiplyAdd(x, w0, cB0); if (two) cB1 = Avx512F.FusedMultiplyAdd(x, w1, cB1);
            x = Vector512.Create(v[12]); cC0 = Avx512F.FusedMultiplyAdd(x, w0, cC0); if (two) cC1 = Avx512F.FusedMultiplyAdd(x, w1, cC1);
            x = Vector512.Create(v[13]); cD0 = Avx512F.FusedMultiplyAdd(x, w0, cD0); if (two) cD1 = Avx512F.FusedMultiplyAdd(x, w1, cD1);
        }
        c00.Store(m); c10.Store(m + mStride); c20.Store(m + 2 * mStride); c30.Store(m + 3 * mStride); c40.Store(m + 4 * mStride);
        c50.Store(m + 5 * mStride); c60.Store(m + 6 * mStride); c70.Store(m + 7 * mStride); c80.Store(m + 8 * mStride); c90.Store(m + 9 * mStride);
        cA0.Store(m + 10 * mStride); cB0.Store(m + 11 * mStride); cC0.Store(m + 12 * mStride); cD0.Store(m + 13 * mStride);
        if (two)
        {
            m += 16;
            c01.Store(m); c11.Store(m + mStride); c21.Store(m + 2 * mStride); c31.Store(m + 3 * mStride); c41.Store(m + 4 * mStride);
            c51.Store(m + 5 * mStride); c61.Store(m + 6 * mStride); c71.Store(m + 7 * mStride); c81.Store(m + 8 * mStride); c91.Store(m + 9 * mStride);
            cA1.Store(m + 10 * mStride); cB1.Store(m + 11 * mStride); cC1.Store(m + 12 * mStride); cD1.Store(m + 13 * mStride);
        }
    }

    /// <summary>
    /// Tiles <c>[first, end)</c> of the chunk that starts at tile <paramref name="at"/>: <c>act(Aᵀ M A + bias)</c>, 16
    /// channels at a time, into the staged output <c>[2·TH, 2·TW, O]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformOutputs<TActivation>(float* products, float* staged, int at, int end, in WinogradJob job)
        where TActivation : struct, IActivation
    {
        int outChannels = job.OutChannels, tileColumns = job.TileColumns;
        nint e1 = ChunkTiles * outChannels, row = 2 * tileColumns * outChannels;
        float slope = job.NegativeSlope;
        for (int t = at; t < end; t++)
        {
            int th = t / tileColumns, tw = t - th * tileColumns;
            float* to = staged + (2 * th * 2 * tileColumns + 2 * tw) * outChannels;
            for (int o = 0; o < outChannels; o += 16)
            {
                float* m = products + (t - at) * outChannels + o;
                // s0[b] = Σ_a Aᵀ[0, a] · M[a, b], s1[b] likewise, for the 6 columns b.
                Vector512<float> s00, s01, s02, s03, s04, s05, s10, s11, s12, s13, s14, s15;
                Columns(m, e1, 0, out s00, out s10);
                Columns(m, e1, 1, out s01, out s11);
                Columns(m, e1, 2, out s02, out s12);
                Columns(m, e1, 3, out s03, out s13);
                Columns(m, e1, 4, out s04, out s14);
                Columns(m, e1, 5, out s05, out s15);
                Vector512<float> bias = Vector512.Load(job.Bias + o), two = Vector512.Create(2f);
                Vector512<float> y00 = s00 + s01 + s02 + s03 + s04 + bias;
                Vector512<float> y01 = Avx512F.FusedMultiplyAdd(s03 - s04, two, s01 - s02) + s05 + bias;
                Vector512<float> y10 = s10 + s11 + s12 + s13 + s14 + bias;
                Vector512<float> y11 = Avx512F.FusedMultiplyAdd(s13 - s14, two, s11 - s12) + s15 + bias;
                Activate<TActivation>(y00, slope).Store(to + o);
                Activate<TActivation>(y01, slope).Store(to + outChannels + o);
                Activate<TActivation>(y10, slope).Store(to + row + o);
                Activate<TActivation>(y11, slope).Store(to + row + outChannels + o);
            }
        }
    }

    /// <summary>Column <paramref name="b"/> of <c>Aᵀ M</c>: <c>s0 = Σ_{a&lt;5} M[a, b]</c>, <c>s1 = M1 − M2 + 2(M3 − M4) + M5</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(float* m, nint elementStride, int b, out Vector512<float> s0, out Vector512<float> s1)
    {
        Vector512<float> m0 = Vector512.Load(m + b * elementStride), m1 = Vector512.Load(m + (6 + b) * elementStride);
        Vector512<float> m2 = Vector512.Load(m + (12 + b) * elementStride), m3 = Vector512.Load(m + (18 + b) * elementStride);
        Vector512<float> m4 = Vector512.Load(m + (24 + b) * elementStride), m5 = Vector512.Load(m + (30 + b) * elementStride);
        s0 = m0 + m1 + m2 + m3 + m4;
        s1 = Avx512F.FusedMultiplyAdd(m3 - m4, Vector512.Create(2f), m1 - m2) + m5;
    }

    /// <summary>The activation if it is fused (ReLU, leaky ReLU: a JIT-time choice), else the value unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Activate<TActivation>(Vector512<float> z, float slope) where TActivation : struct, IActivation
    {
        if (typeof(TActivation) == typeof(ReLUActivation))
        {
            return new ReLUForward().Invoke<Simd512, Vector512<float>>(z);
        }
        if (typeof(TActivation) == typeof(LeakyReLUActivation))
        {
            return new LeakyReLUForward(slope).Invoke<Simd512, Vector512<float>>(z);
        }
        return z;
    }

    private readonly struct One : ConvolutionDirect.IVectors { public static int Count => 1; }
    private readonly struct Two : ConvolutionDirect.IVectors { public static int Count => 2; }
}
