using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetDsl.Kernels;

/// <summary>
/// One Winograd forward pass over a batch (<see cref="ConvolutionWinograd"/>), with the operands behind pointers so
/// worker threads can run shares of its samples (or of a sample's chunks). Built by <see cref="Convolution"/>'s <c>RunWinograd</c>.
/// </summary>
internal unsafe struct WinogradJob
{
    /// <summary><c>x[B, C, H, W]</c>.</summary>
    public float* X;
    /// <summary><c>y[B, O, OH, OW]</c>.</summary>
    public float* Y;
    /// <summary>The transformed filters <c>U[36, C, O]</c> (elements <see cref="ConvolutionWinograd.FilterStride"/> apart) (<see cref="ConvolutionWinograd.TransformFilters"/>).</summary>
    public float* Filters;
    /// <summary>The bias, <c>O</c> floats (all zeros for none).</summary>
    public float* Bias;
    public int InChannels, InHeight, InWidth, PadTop, PadLeft;
    public int OutChannels, OutHeight, OutWidth;
    /// <summary>Tiles of 2×2 outputs: <c>TH = ⌈OH/2⌉</c> rows of <c>TW = ⌈OW/2⌉</c>, <c>T = TH·TW</c> in all.</summary>
    public int TileRows, TileColumns, Tiles;
    /// <summary>The slope of a fused <see cref="LeakyReLUActivation"/>.</summary>
    public float NegativeSlope;
    /// <summary>Parts each sample's <see cref="Chunks"/> are split into, one work item each (1 unless there are fewer samples than threads).</summary>
    public int Parts;

    public readonly int InputSize => InChannels * InHeight * InWidth;
    public readonly int OutputSize => OutChannels * OutHeight * OutWidth;
    /// <summary>
    /// Floats per row of each quarter of a padded channel (<see cref="ConvolutionWinograd"/>'s <c>Pad</c>): <c>TW + 2</c>,
    /// also the slots per row of tiles in the transformed inputs (<c>TW</c> tiles, 2 unused).
    /// </summary>
    public readonly int HalfRow => TileColumns + 2;
    /// <summary>Floats of each quarter of a padded channel: <c>TH + 2</c> rows of <see cref="HalfRow"/>.</summary>
    public readonly int Quarter => (TileRows + 2) * HalfRow;
    /// <summary>
    /// Product chunks per sample (<see cref="ConvolutionWinograd"/>): pairs of rows of up to 7 tiles,
    /// <c>⌈TH/2⌉</c>; else 14 tiles of a row, <c>TH·⌈TW/14⌉</c>.
    /// </summary>
    public readonly int Chunks => TileColumns <= 7 ? (TileRows + 1) / 2 : TileRows * ((TileColumns + ConvolutionWinograd.ChunkTiles - 1) / ConvolutionWinograd.ChunkTiles);
    /// <summary>
    /// Floats between the elements of a chunk's transformed inputs: <c>C</c> channels of one vector of 16 slots, and
    /// one vector more, so the 36 stores of a tile's elements do not fall at multiples of 4 KB (with 64 slots a
    /// channel, 16 channels did: they then shared one L1 set, and the input transform ran ~2× slower).
    /// </summary>
    public readonly int ElementStride => InChannels * 16 + 16;
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
/// second layer (16→32 5×5 pad 2 on 14×14), this kernel: 1.8 % with inputs in [0, 2), He-uniform weights and small
/// biases (150 cases), 3.2 % with everything uniform in [−1, 1); 8 input channels 4.7 % / 9.7 %, 12 channels 7.2 %
/// (uniform), 40 channels 1.1 %. A scalar float32 model of the same algorithm gave 2.4 % / 4.1 % at 16 channels, 8.8 % at
/// 8, 12 % at 6, 31 % at 4, 36 % at 3 and 268 % at 1 channel (uniform data): the transforms' rounding is spread over
/// the 36 products, while an output near a padded corner may have few terms.
/// So <see cref="Convolution.WinogradPossible"/> asks for <see cref="Convolution.WinogradMinChannels"/> channels.
/// </para>
/// <para>
/// Per sample: the sample is copied into a zero-bordered buffer with each channel split into quarters by the parity
/// of row and column, so that the 36 inputs of every tile sit at fixed offsets from the tile's slot
/// <c>th·(TW + 2) + tw</c> and one vector transforms 16 consecutive slots (tiles in lanes). Then chunk by chunk, 14
/// tiles each (two rows of up to 7 tiles, the CNN's case: slots <c>[0, 7)</c> and <c>[9, 16)</c> of one vector; else
/// 14 of a row, the last chunk shifted back to end on the row's end, its overlap recomputed with the same bits): the
/// input transform of the chunk's vector of slots into <c>V[36, C, 16]</c>; the 36 products, the chunk's tiles × 2
/// vectors of channels in registers (as <see cref="ConvolutionDirect"/>'s channel kernel), into <c>M[36, 14, O]</c>;
/// the output transform with bias and ReLU / leaky ReLU into a staging copy of the chunk's outputs in NHWC; and its
/// transpose into NCHW. Measured on the CNN's second layer at batch 1 (one core, perf shares of the whole network,
/// filters transformed in advance by a <see cref="PackedConvolution"/>): ~16 µs in the products (near the FMA peak:
/// 56,448 FMAs of 16 lanes), ~3.5 in the input transform, ~2 in the output transform, under 1 each in the padding
/// and the transposes, ~25 in all (~29 when each padded row went through a line buffer, the input transform ran one
/// row of <c>Bᵀ</c> at a time and the whole sample's <c>V</c>, 147 KB rather than 36, was transformed before any
/// product); per call without packed filters, the filter transform ~4 µs.
/// </para>
/// <para>
/// Every output element is computed by one thread in one order whatever the batch and thread count: threads split
/// samples or, with fewer samples than threads, each sample's chunks in parts (each part pads the whole sample: ~1 µs,
/// against ~25 for the CNN's layer; at batch 1 on two cores, best of 9, ~26 → ~17 µs). The transformed filters live in the
/// caller's scratch and are rebuilt on every call (weights change between training steps) unless a
/// <see cref="PackedConvolution"/> holds them; each thread's buffers are its <see cref="PackBuffer"/>.
/// </para>
/// </remarks>
internal static unsafe class ConvolutionWinograd
{
    /// <summary>Tiles per product chunk: 14 × 2 vectors = 28 accumulators, leaving registers for 2 filter vectors.</summary>
    public const int ChunkTiles = 14;

    /// <summary>Floats of the caller's scratch: up to 16 to align, the transformed filters <c>[36, C, O]</c>, the bias, and the filters transposed to <c>[C·25, 16]</c>.</summary>
    public static int ScratchSize(in Conv2DGeometry g) => 16 + 36 * FilterStride(g.InChannels, g.OutChannels) + g.OutChannels + 16 * g.InChannels * 25 + 16;

    /// <summary>
    /// Floats between the elements of the transformed filters: <c>C·O</c> and one vector more (16×32 filters would put
    /// the 36 stores of a filter's elements 2 KB apart, into two L1 sets: the filter transform ran 3× slower).
    /// </summary>
    public static int FilterStride(int inChannels, int outChannels) => inChannels * outChannels + 16;

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
    /// Floats of each thread's buffer: the padded sample <c>[C, 2·TH + 4, 2 halves]</c>, a chunk's transformed inputs
    /// <c>V[36, C, 16]</c>, its products <c>M[36, 14, O]</c> and its staged output <c>[4, 2·TW, O]</c>, each rounded
    /// to whole vectors.
    /// </summary>
    public static int BufferLength(in WinogradJob job)
        => Round(PaddedLength(in job)) + 36 * job.ElementStride + Round(36 * ChunkTiles * job.OutChannels) + StagedRow(in job) * 4;

    /// <summary>Floats of a row of the staged output: <c>2·TW</c> positions of <c>O</c> channels.</summary>
    private static int StagedRow(in WinogradJob job) => 2 * job.TileColumns * job.OutChannels;

    private static int PaddedLength(in WinogradJob job) => job.InChannels * 4 * job.Quarter + 48;

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
                        filters + (nint)(a * 6) * FilterStride(inChannels, outChannels) + c * outChannels + o0, FilterStride(inChannels, outChannels));
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

    /// <summary>
    /// The job's items <c>[start, end)</c>, on the calling thread: item <c>i</c> is part <c>i mod P</c> of sample
    /// <c>i / P</c> (<c>P</c> = <see cref="WinogradJob.Parts"/>), that is its chunks from <c>⌊part·chunks/P⌋</c> to
    /// <c>⌊(part + 1)·chunks/P⌋</c>; each item pads its sample into this thread's buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunItems<TActivation>(void* state, int start, int end) where TActivation : struct, IActivation
    {
        ref WinogradJob job = ref *(WinogradJob*)state;
        float* padded = PackBuffer.Get(BufferLength(in job));
        float* inputs = padded + Round(PaddedLength(in job));
        float* products = inputs + 36 * job.ElementStride;
        float* staged = products + Round(36 * ChunkTiles * job.OutChannels);
        int chunks = job.Chunks, parts = job.Parts;
        for (int item = start; item < end; item++)
        {
            int sample = item / parts, part = item % parts;
            Pad(job.X + (nint)sample * job.InputSize, padded, in job);
            float* y = job.Y + (nint)sample * job.OutputSize;
            for (int chunk = part * chunks / parts; chunk < (part + 1) * chunks / parts; chunk++)
            {
                Chunk<TActivation>(padded, inputs, products, staged, y, chunk, in job);
            }
        }
    }

    /// <summary>
    /// One chunk of a sample: its tiles' input transform into <paramref name="inputs"/>, the 36 products, the output
    /// transform into <paramref name="staged"/>, and the transpose of those outputs into <paramref name="y"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chunk<TActivation>(float* padded, float* inputs, float* products, float* staged, float* y, int chunk, in WinogradJob job)
        where TActivation : struct, IActivation
    {
        int columns = job.TileColumns, half = job.HalfRow, outChannels = job.OutChannels, stagedRow = StagedRow(in job);
        if (columns <= 7)
        {
            // Rows th and th + 1 of up to 7 tiles: slots [0, 7) and [half, half + 7) of one vector; the last row alone if odd.
            int th = 2 * chunk;
            bool pair = th + 1 < job.TileRows;
            TransformInputs(padded + th * half, inputs, in job);
            if (pair)
            {
                Products<P14>(inputs, half, products, in job);
                TransformOutputs<TActivation>(products, staged, columns, in job);
                TransformOutputs<TActivation>(products + 7 * outChannels, staged + 2 * stagedRow, columns, in job);
            }
            else
            {
                Products<P7>(inputs, 7, products, in job);
                TransformOutputs<TActivation>(products, staged, columns, in job);
            }
            Store(staged, y, 2 * th, pair ? 4 : 2, 0, job.OutWidth, in job);
        }
        else
        {
            // 14 tiles of row th from `at` (for rows of 8 to 13, the extra slots unused; the last chunk of a row shifted
            // back to end on the row's end, its overlap recomputed with the same bits and not stored again).
            int perRow = (columns + ChunkTiles - 1) / ChunkTiles, th = chunk / perRow, tw = chunk % perRow * ChunkTiles;
            int at = columns >= ChunkTiles ? Math.Min(tw, columns - ChunkTiles) : 0, count = Math.Min(ChunkTiles, columns - at);
            TransformInputs(padded + th * half + at, inputs, in job);
            Products<P14>(inputs, 7, products, in job);
            TransformOutputs<TActivation>(products, staged + 2 * at * outChannels, count, in job);
            Store(staged, y, 2 * th, 2, 2 * tw, Math.Min(2 * (at + count), job.OutWidth), in job);
        }
    }

    /// <summary>
    /// Output rows <c>[oh, oh + rows)</c> (those below <c>OH</c>), columns <c>[first, last)</c>, from the staged
    /// <c>[rows, 2·TW, O]</c> into <c>y[O, OH, OW]</c>.
    /// </summary>
    private static void Store(float* staged, float* y, int oh, int rows, int first, int last, in WinogradJob job)
    {
        int plane = job.OutHeight * job.OutWidth, stagedRow = StagedRow(in job);
        for (int r = 0; r < rows && oh + r < job.OutHeight; r++)
        {
            ConvolutionDirect.Transpose(staged + (nint)r * stagedRow + first * job.OutChannels, job.OutChannels,
                y + (oh + r) * job.OutWidth + first, plane, last - first, job.OutChannels);
        }
    }

    /// <summary>
    /// The zero-padded sample (rows and columns up to <c>2·TH + 4</c>, each tile reading 6), each channel split into
    /// quarters by the parity of the padded row and column: <c>padded[c, (r mod 2)·2 + (j mod 2), r / 2, j / 2] =
    /// x[c, r − padTop, j − padLeft]</c> inside, 0 elsewhere. Then patch entry <c>(k, j)</c> of tile <c>(th, tw)</c> is
    /// at <c>(th + k/2)·half + tw + j/2</c> in quarter <c>(k mod 2)·2 + j mod 2</c>: at a fixed offset from slot
    /// <c>th·half + tw</c>, so one vector covers 16 consecutive slots across rows of tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pad(float* x, float* padded, in WinogradJob job)
    {
        int half = job.HalfRow, quarter = job.Quarter, width = job.InWidth, padTop = job.PadTop, padLeft = job.PadLeft;
        int rows = 2 * job.TileRows + 4;
        // Each padded row straight from x: 32 columns at a time by two masked loads (lanes outside the input row read
        // nothing and give 0), split into even and odd columns by two permutes, stored masked to the row's `half`
        // floats. Copying the row into a zero-bordered line first cost ~2.6 µs of the CNN's ~30 at batch 1: the
        // vector loads of the freshly copied line could not be forwarded from its narrower stores.
        Vector512<int> evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> odds = evens + Vector512<int>.One;
        for (int j = 0; j < half; j += 16)
        {
            // The masks of this block of columns (one block for rows of up to 14 tiles), the same for every row.
            Vector512<int> column = Vector512<int>.Indices + Vector512.Create(2 * j - padLeft);
            Vector512<float> lowInside = InsideRow(column, width), highInside = InsideRow(column + Vector512.Create(16), width);
            Vector512<float> mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(half - j)).AsSingle();
            for (int c = 0; c < job.InChannels; c++)
            {
                float* plane = padded + (nint)c * 4 * quarter + j;
                for (int r = 0; r < rows; r++)
                {
                    int h = r - padTop;
                    Vector512<float> low = Vector512<float>.Zero, high = Vector512<float>.Zero;
                    if (h >= 0 && h < job.InHeight)
                    {
                        float* from = x + ((nint)c * job.InHeight + h) * width - padLeft + 2 * j; // padded column 2j + i is from[i]
                        low = Avx512F.MaskLoad(from, lowInside, Vector512<float>.Zero);
                        high = Avx512F.MaskLoad(from + 16, highInside, Vector512<float>.Zero);
                    }
                    float* to = plane + (nint)(2 * (r & 1)) * quarter + (r >> 1) * half;
                    Avx512F.MaskStore(to, mask, Avx512F.PermuteVar16x32x2(low, evens, high));
                    Avx512F.MaskStore(to + quarter, mask, Avx512F.PermuteVar16x32x2(low, odds, high));
                }
            }
        }
        new Span<float>(padded + (nint)job.InChannels * 4 * quarter, PaddedLength(in job) - job.InChannels * 4 * quarter).Clear();
    }

    /// <summary>The lanes whose input column (<paramref name="column"/>, before padding) lies in <c>[0, width)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> InsideRow(Vector512<int> column, int width)
        => (Vector512.GreaterThanOrEqual(column, Vector512<int>.Zero) & Vector512.LessThan(column, Vector512.Create(width))).AsSingle();

    /// <summary>
    /// <c>V[(a·6 + b), c, s] = (Bᵀ d B)[a, b]</c> for the 6×6 patch <c>d</c> of the tile at slot <c>s</c> past
    /// <paramref name="padded"/>'s position (slot <c>th·half + tw</c> is tile <c>(th, tw)</c>), in channel <c>c</c>, for
    /// the 16 slots of one vector (slots between rows of tiles, or past the last, hold sums of other inputs, never used).
    /// Row <c>a</c> of <c>Bᵀ d</c> is computed for the patch's 6 columns straight from the padded quarters, then its
    /// column transform stored; rows 1 and 2, and rows 3 and 4, which read the same 4 inputs of each column, are
    /// computed in pairs. So each input is loaded up to 3 times from L1 (84 loads a vector of slots), rather than 36
    /// vectors stored and reloaded; one row at a time (132 loads) the transform took ~4.5 µs of the CNN's ~26 at batch 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInputs(float* padded, float* inputs, in WinogradJob job)
    {
        int half = job.HalfRow, quarter = job.Quarter, channels = job.InChannels;
        nint elementStride = job.ElementStride, row = half;
        for (int c = 0; c < channels; c++)
        {
            // Column j of the patches: quarter offset j mod 2 and j / 2 floats; row k: quarter offset 2·(k mod 2) and (k / 2)·half floats.
            float* d0 = padded + (nint)c * 4 * quarter, d1 = d0 + quarter, d2 = d0 + 1, d3 = d1 + 1, d4 = d0 + 2, d5 = d1 + 2;
            float* to = inputs + c * 16;
            ApplyBt(Bt0(d0, row, quarter), Bt0(d1, row, quarter), Bt0(d2, row, quarter), Bt0(d3, row, quarter), Bt0(d4, row, quarter), Bt0(d5, row, quarter), to, elementStride);
            RowPair(d0, d1, d2, d3, d4, d5, row, quarter, low: true, to + 6 * elementStride, elementStride);
            RowPair(d0, d1, d2, d3, d4, d5, row, quarter, low: false, to + 18 * elementStride, elementStride);
            ApplyBt(Bt5(d0, row, quarter), Bt5(d1, row, quarter), Bt5(d2, row, quarter), Bt5(d3, row, quarter), Bt5(d4, row, quarter), Bt5(d5, row, quarter), to + 30 * elementStride, elementStride);
        }
    }

    // Row a of Bᵀ applied to the patch's rows k = 0..5 of one column, D(k) (the same sums as ApplyBt).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> D(float* d, nint row, nint quarter, int k) => Vector512.Load(d + (k & 1) * 2 * quarter + (k >> 1) * row);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Bt0(float* d, nint row, nint quarter)
        => Avx512F.FusedMultiplyAdd(D(d, row, quarter, 0), Vector512.Create(4f), Avx512F.FusedMultiplyAdd(D(d, row, quarter, 2), Vector512.Create(-5f), D(d, row, quarter, 4)));

    /// <summary>
    /// Rows 1 and 2 (<paramref name="low"/>) or 3 and 4 of <c>Bᵀ d</c> for the 6 columns, each column's inputs
    /// <c>D(1..4)</c> loaded once, then both rows' column transforms stored at <paramref name="to"/> and 6 elements on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowPair(float* d0, float* d1, float* d2, float* d3, float* d4, float* d5, nint row, nint quarter, bool low, float* to, nint stride)
    {
        Rows(d0, row, quarter, low, out Vector512<float> a0, out Vector512<float> b0);
        Rows(d1, row, quarter, low, out Vector512<float> a1, out Vector512<float> b1);
        Rows(d2, row, quarter, low, out Vector512<float> a2, out Vector512<float> b2);
        Rows(d3, row, quarter, low, out Vector512<float> a3, out Vector512<float> b3);
        Rows(d4, row, quarter, low, out Vector512<float> a4, out Vector512<float> b4);
        Rows(d5, row, quarter, low, out Vector512<float> a5, out Vector512<float> b5);
        ApplyBt(a0, a1, a2, a3, a4, a5, to, stride);
        ApplyBt(b0, b1, b2, b3, b4, b5, to + 6 * stride, stride);
    }

    /// <summary>Rows 1 and 2 (<paramref name="low"/>: <c>−4(d1 + d2) + d3 + d4</c>, <c>4(d1 − d2) − d3 + d4</c>) or 3 and 4 (<c>2(d3 − d1) − d2 + d4</c>, <c>2(d1 − d3) − d2 + d4</c>) of one column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows(float* d, nint row, nint quarter, bool low, out Vector512<float> first, out Vector512<float> second)
    {
        Vector512<float> d1 = D(d, row, quarter, 1), d2 = D(d, row, quarter, 2), d3 = D(d, row, quarter, 3), d4 = D(d, row, quarter, 4);
        if (low)
        {
            first = Avx512F.FusedMultiplyAdd(d1 + d2, Vector512.Create(-4f), d3 + d4);
            second = Avx512F.FusedMultiplyAdd(d1 - d2, Vector512.Create(4f), d4 - d3);
        }
        else
        {
            first = Avx512F.FusedMultiplyAdd(d3 - d1, Vector512.Create(2f), d4 - d2);
            second = Avx512F.FusedMultiplyAdd(d1 - d3, Vector512.Create(2f), d4 - d2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Bt5(float* d, nint row, nint quarter)
        => Avx512F.FusedMultiplyAdd(D(d, row, quarter, 1), Vector512.Create(4f), Avx512F.FusedMultiplyAdd(D(d, row, quarter, 3), Vector512.Create(-5f), D(d, row, quarter, 5)));

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

    /// <summary><c>M[e, i, o] = Σ_c V[e, c, slot(i)] · U[e, c, o]</c> for a chunk's 7 or 14 tiles (see <see cref="Tile"/>), every element and block of channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Products<TPositions>(float* inputs, nint second, float* products, in WinogradJob job) where TPositions : struct, ConvolutionDirect.IPositions
    {
        int channels = job.InChannels, outChannels = job.OutChannels;
        nint elementStride = job.ElementStride;
        for (int e = 0; e < 36; e++)
        {
            float* v = inputs + e * elementStride;
            float* u = job.Filters + (nint)e * FilterStride(channels, outChannels);
            float* m = products + e * ChunkTiles * outChannels;
            int o0 = 0;
            for (; o0 + 32 <= outChannels; o0 += 32)
            {
                Tile<Two, TPositions>(v, second, 16, u + o0, outChannels, channels, m + o0, outChannels);
            }
            if (o0 < outChannels)
            {
                Tile<One, TPositions>(v, second, 16, u + o0, outChannels, channels, m + o0, outChannels);
            }
        }
    }

    /// <summary>
    /// The micro-kernel: <c>m[i·mStride + 0..16·N] = Σ_c v[c·vStride + slot(i)] · u[c·uStride + 0..16·N]</c> for 7 or
    /// 14 tiles <c>i</c> (<c>slot(i) = i</c> for the first 7, <c>second + i − 7</c> for the others: the next 7 of the
    /// row, or the next row's) and N = 1 or 2 vectors of output channels: each channel loads N filter vectors and
    /// broadcasts each tile's input into N FMAs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TVectors, TPositions>(float* v, nint second, nint vStride, float* u, nint uStride, int channels, float* m, nint mStride)
        where TVectors : struct, ConvolutionDirect.IVectors where TPositions : struct, ConvolutionDirect.IPositions
    {
        bool two = TVectors.Count == 2, more = TPositions.Count > 7;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        Vector512<float> cC0 = default, cC1 = default, cD0 = default, cD1 = default;
        float* v2 = v + second;
        for (int c = 0; c < channels; c++, v += vStride, v2 += vStride, u += uStride)
        {
            Vector512<float> w0 = Vector512.Load(u), w1 = two ? Vector512.Load(u + 16) : w0;
            Vector512<float> x = Vector512.Create(v[0]); c00 = Avx512F.FusedMultiplyAdd(x, w0, c00); if (two) c01 = Avx512F.FusedMultiplyAdd(x, w1, c01);
            x = Vector512.Create(v[1]); c10 = Avx512F.FusedMultiplyAdd(x, w0, c10); if (two) c11 = Avx512F.FusedMultiplyAdd(x, w1, c11);
            x = Vector512.Create(v[2]); c20 = Avx512F.FusedMultiplyAdd(x, w0, c20); if (two) c21 = Avx512F.FusedMultiplyAdd(x, w1, c21);
            x = Vector512.Create(v[3]); c30 = Avx512F.FusedMultiplyAdd(x, w0, c30); if (two) c31 = Avx512F.FusedMultiplyAdd(x, w1, c31);
            x = Vector512.Create(v[4]); c40 = Avx512F.FusedMultiplyAdd(x, w0, c40); if (two) c41 = Avx512F.FusedMultiplyAdd(x, w1, c41);
            x = Vector512.Create(v[5]); c50 = Avx512F.FusedMultiplyAdd(x, w0, c50); if (two) c51 = Avx512F.FusedMultiplyAdd(x, w1, c51);
            x = Vector512.Create(v[6]); c60 = Avx512F.FusedMultiplyAdd(x, w0, c60); if (two) c61 = Avx512F.FusedMultiplyAdd(x, w1, c61);
            if (more) { x = Vector512.Create(v2[0]); c70 = Avx512F.FusedMultiplyAdd(x, w0, c70); if (two) c71 = Avx512F.FusedMultiplyAdd(x, w1, c71); }
            if (more) { x = Vector512.Create(v2[1]); c80 = Avx512F.FusedMultiplyAdd(x, w0, c80); if (two) c81 = Avx512F.FusedMultiplyAdd(x, w1, c81); }
            if (more) { x = Vector512.Create(v2[2]); c90 = Avx512F.FusedMultiplyAdd(x, w0, c90); if (two) c91 = Avx512F.FusedMultiplyAdd(x, w1, c91); }
            if (more) { x = Vector512.Create(v2[3]); cA0 = Avx512F.FusedMultiplyAdd(x, w0, cA0); if (two) cA1 = Avx512F.FusedMultiplyAdd(x, w1, cA1); }
            if (more) { x = Vector512.Create(v2[4]); cB0 = Avx512F.FusedMultiplyAdd(x, w0, cB0); if (two) cB1 = Avx512F.FusedMultiplyAdd(x, w1, cB1); }
            if (more) { x = Vector512.Create(v2[5]); cC0 = Avx512F.FusedMultiplyAdd(x, w0, cC0); if (two) cC1 = Avx512F.FusedMultiplyAdd(x, w1, cC1); }
            if (more) { x = Vector512.Create(v2[6]); cD0 = Avx512F.FusedMultiplyAdd(x, w0, cD0); if (two) cD1 = Avx512F.FusedMultiplyAdd(x, w1, cD1); }
        }
        c00.Store(m); c10.Store(m + mStride); c20.Store(m + 2 * mStride); c30.Store(m + 3 * mStride); c40.Store(m + 4 * mStride);
        c50.Store(m + 5 * mStride); c60.Store(m + 6 * mStride);
        if (more)
        {
            c70.Store(m + 7 * mStride); c80.Store(m + 8 * mStride); c90.Store(m + 9 * mStride);
            cA0.Store(m + 10 * mStride); cB0.Store(m + 11 * mStride); cC0.Store(m + 12 * mStride); cD0.Store(m + 13 * mStride);
        }
        if (two)
        {
            m += 16;
            c01.Store(m); c11.Store(m + mStride); c21.Store(m + 2 * mStride); c31.Store(m + 3 * mStride); c41.Store(m + 4 * mStride);
            c51.Store(m + 5 * mStride); c61.Store(m + 6 * mStride);
            if (more)
            {
                c71.Store(m + 7 * mStride); c81.Store(m + 8 * mStride); c91.Store(m + 9 * mStride);
                cA1.Store(m + 10 * mStride); cB1.Store(m + 11 * mStride); cC1.Store(m + 12 * mStride); cD1.Store(m + 13 * mStride);
            }
        }
    }

    /// <summary>
    /// The first <paramref name="count"/> tiles of a chunk's products: <c>act(Aᵀ M A + bias)</c>, 16 channels at a time,
    /// tile <c>i</c>'s 2×2 outputs at <c>staged + 2i·O</c> and a staged row below.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformOutputs<TActivation>(float* products, float* staged, int count, in WinogradJob job)
        where TActivation : struct, IActivation
    {
        int outChannels = job.OutChannels;
        nint e1 = ChunkTiles * outChannels, row = StagedRow(in job);
        float slope = job.NegativeSlope;
        for (int i = 0; i < count; i++)
        {
            float* to = staged + 2 * i * outChannels;
            for (int o = 0; o < outChannels; o += 16)
            {
                float* m = products + i * outChannels + o;
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
    private readonly struct P7 : ConvolutionDirect.IPositions { public static int Count => 7; }
    private readonly struct P14 : ConvolutionDirect.IPositions { public static int Count => 14; }
}
