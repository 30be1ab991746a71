using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetDsl.Kernels;

/// <summary>The static shape of a 2-D pooling window over NCHW tensors (PyTorch's <c>MaxPool2d</c>, <c>AvgPool2d</c>).</summary>
public readonly record struct Pool2DGeometry(
    int Channels, int InHeight, int InWidth,
    int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0)
{
    /// <summary><c>OH = (H + padTop + padBottom − KH) / stride + 1</c> (floor, as PyTorch's default <c>ceil_mode=False</c>).</summary>
    public int OutHeight => (InHeight + PadTop + PadBottom - KernelHeight) / StrideHeight + 1;

    /// <summary><c>OW = (W + padLeft + padRight − KW) / stride + 1</c>.</summary>
    public int OutWidth => (InWidth + PadLeft + PadRight - KernelWidth) / StrideWidth + 1;

    /// <summary>Values of one input sample.</summary>
    public int InputSize => Channels * InHeight * InWidth;

    /// <summary>Values of one output sample.</summary>
    public int OutputSize => Channels * OutHeight * OutWidth;
}

/// <summary>Pooling layers' forward and backward passes.</summary>
/// <remarks>
/// Windows are walked one output at a time over each <c>[H, W]</c> plane of each sample and channel. Pooling reads
/// each input about once (KH·KW/stride² times) and does one comparison or addition per read, next to a convolution's
/// K FMAs per output, so these loops are scalar, except the common 2x2 stride-2 max pool without padding, which has
/// a vectorized path of its own. Paddings must be smaller than the kernel (PyTorch asks for at most half),
/// so every window holds at least one input. A max pool over a large batch (<see cref="ParallelInputs"/>) splits its
/// planes across <see cref="KernelOptions.MaxThreads"/>; each plane is still pooled by one thread, so the bits do not
/// change.
/// </remarks>
public static class Pooling
{
    /// <summary>
    /// Max over each window; <paramref name="argmax"/> (one per output) keeps the winning input's index within its
    /// <c>[H, W]</c> plane, <c>h·W + w</c> (as PyTorch's <c>return_indices</c>), for the backward pass. Padding never
    /// wins; ties go to the first input in row-major window order; a NaN wins (the last NaN of the window) and propagates, as in PyTorch.
    /// </summary>
    public static unsafe void MaxPool2DForward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, in Pool2DGeometry geometry, int batch)
    {
        Check(x.Length, y.Length, in geometry, batch, nameof(x), nameof(y));
        Guard.Length(argmax.Length, batch, geometry.OutputSize, nameof(argmax), "batch·C·OH·OW");
        int planes = batch * geometry.Channels;
        int threads = (long)planes * geometry.InHeight * geometry.InWidth >= ParallelInputs ? KernelOptions.MaxThreads : 1;
        if (threads <= 1)
        {
            MaxPoolPlanes(x, y, argmax, in geometry, 0, planes);
            return;
        }
        fixed (float* px = x, py = y)
        fixed (int* pa = argmax)
        {
            var job = new PlaneJob { X = px, Y = py, Argmax = pa, Geometry = geometry };
            KernelRange.Run(&job, &MaxPoolShare, planes, threads);
        }
    }

    /// <summary>
    /// Inputs (<c>batch·C·H·W</c>) from which a max pool splits its planes across <see cref="KernelOptions.MaxThreads"/>:
    /// the Fashion-MNIST CNN's pools at batch 64 (800 KB and 200 KB of input) take ~110 µs each on one thread.
    /// </summary>
    private const long ParallelInputs = 1 << 16;

    /// <summary>A max pool's operands behind pointers, so worker threads can run shares of its planes.</summary>
    private unsafe struct PlaneJob
    {
        public float* X;
        public float* Y;
        public int* Argmax;
        public Pool2DGeometry Geometry;
    }

    /// <summary>Planes <c>[start, end)</c> of a <see cref="PlaneJob"/>: forward (argmax written) or backward (argmax read).</summary>
    private static unsafe void MaxPoolShare(void* state, int start, int end)
    {
        ref PlaneJob job = ref *(PlaneJob*)state;
        int planeIn = job.Geometry.InHeight * job.Geometry.InWidth, planeOut = job.Geometry.OutHeight * job.Geometry.OutWidth;
        MaxPoolPlanes(new ReadOnlySpan<float>(job.X, end * planeIn), new Span<float>(job.Y, end * planeOut), new Span<int>(job.Argmax, end * planeOut),
            in job.Geometry, start, end);
    }

    /// <summary>Max pool of planes <c>[start, end)</c> (one channel of one sample each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPoolPlanes(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, in Pool2DGeometry geometry, int start, int end)
    {
        Pool2DGeometry g = geometry;
        int planeIn = g.InHeight * g.InWidth, planeOut = g.OutHeight * g.OutWidth;
        bool twoByTwo = g.KernelHeight == 2 && g.KernelWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2
            && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;
        for (int plane = start; plane < end; plane++)
        {
            ReadOnlySpan<float> input = x.Slice(plane * planeIn, planeIn);
            Span<float> output = y.Slice(plane * planeOut, planeOut);
            Span<int> indices = argmax.Slice(plane * planeOut, planeOut);
            if (twoByTwo)
            {
                MaxPool2x2(input, output, indices, g.InWidth, g.OutHeight, g.OutWidth);
                continue;
            }
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                (int h0, int h1) = Window(oh, g.StrideHeight, g.PadTop, g.KernelHeight, g.InHeight);
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    (int w0, int w1) = Window(ow, g.StrideWidth, g.PadLeft, g.KernelWidth, g.InWidth);
                    int best = h0 * g.InWidth + w0;
                    float max = input[best];
                    for (int h = h0; h < h1; h++)
                    {
                        for (int w = w0; w < w1; w++)
                        {
                            Take(ref max, ref best, input[h * g.InWidth + w], h * g.InWidth + w);
                        }
                    }
                    output[oh * g.OutWidth + ow] = max;
                    indices[oh * g.OutWidth + ow] = best;
                }
            }
        }
    }

    /// <summary>
    /// The 2x2, stride-2 window without padding: the four candidates in window order, no bounds to check, four
    /// windows at a time in SSE registers with selects instead of branches. Which input wins is unpredictable on real
    /// activations: the branchy scalar loop ran at ~13 cycles per input on a batch of 64 (mispredictions), against
    /// ~2 when the predictor had learnt a single repeated sample.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPool2x2(ReadOnlySpan<float> input, Span<float> output, Span<int> indices, int inWidth, int outHeight, int outWidth)
    {
        if (Avx512F.IsSupported && outWidth >= 12)
        {
            MaxPool2x2Avx512(input, output, indices, inWidth, outHeight, outWidth);
            return;
        }
        if (Avx512F.IsSupported && inWidth <= 16)
        {
            MaxPool2x2RowPairs(input, output, indices, inWidth, outHeight, outWidth);
            return;
        }
        ref float x0 = ref MemoryMarshal.GetReference(input);
        ref float y0 = ref MemoryMarshal.GetReference(output);
        ref int i0 = ref MemoryMarshal.GetReference(indices);
        for (int oh = 0; oh < outHeight; oh++)
        {
            int top = 2 * oh * inWidth;
            ref float upper = ref Unsafe.Add(ref x0, top);
            ref float lower = ref Unsafe.Add(ref upper, inWidth);
            ref float line = ref Unsafe.Add(ref y0, oh * outWidth);
            ref int lineIndices = ref Unsafe.Add(ref i0, oh * outWidth);
            int ow = 0;
            if (Avx2.IsSupported && outWidth >= 8)
            {
                // Eight outputs at a time from 16 inputs of each row (the CNN's first pool: rows of 14 outputs in two
                // overlapping blocks instead of four: 2.6 → 1.8 µs a sample, measured).
                Vector256<int> step = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
                for (; ow < outWidth; ow += 8)
                {
                    ow = Math.Min(ow, outWidth - 8);
                    int w = 2 * ow;
                    Vector256<float> u0 = Vector256.LoadUnsafe(ref upper, (nuint)w), u1 = Vector256.LoadUnsafe(ref upper, (nuint)w + 8);
                    Vector256<float> l0 = Vector256.LoadUnsafe(ref lower, (nuint)w), l1 = Vector256.LoadUnsafe(ref lower, (nuint)w + 8);
                    Vector256<float> max = Columns(u0, u1, 0b10_00_10_00);
                    Vector256<int> first = Vector256.Create(top + w) + step;
                    Vector256<int> best = first;
                    Take(ref max, ref best, Columns(u0, u1, 0b11_01_11_01), first + Vector256.Create(1));
                    Take(ref max, ref best, Columns(l0, l1, 0b10_00_10_00), first + Vector256.Create(inWidth));
                    Take(ref max, ref best, Columns(l0, l1, 0b11_01_11_01), first + Vector256.Create(inWidth + 1));
                    max.StoreUnsafe(ref line, (nuint)ow);
                    best.StoreUnsafe(ref lineIndices, (nuint)ow);
                }
            }
            if (Sse.IsSupported)
            {
                // Four outputs at a time from 8 inputs of each row, split into even and odd columns.
                Vector128<int> step = Vector128.Create(0, 2, 4, 6);
                for (; ow < outWidth && outWidth >= 4; ow += 4)
                {
                    // The last block overlaps the one before if needed: it rewrites a few outputs with the same values.
                    ow = Math.Min(ow, outWidth - 4);
                    int w = 2 * ow;
                    Vector128<float> u0 = Vector128.LoadUnsafe(ref upper, (nuint)w), u1 = Vector128.LoadUnsafe(ref upper, (nuint)w + 4);
                    Vector128<float> l0 = Vector128.LoadUnsafe(ref lower, (nuint)w), l1 = Vector128.LoadUnsafe(ref lower, (nuint)w + 4);
                    Vector128<float> max = Sse.Shuffle(u0, u1, 0b10_00_10_00);
                    Vector128<int> best = Vector128.Create(top + w) + step;
                    Vector128<int> first = best;
                    Take(ref max, ref best, Sse.Shuffle(u0, u1, 0b11_01_11_01), first + Vector128.Create(1));
                    Take(ref max, ref best, Sse.Shuffle(l0, l1, 0b10_00_10_00), first + Vector128.Create(inWidth));
                    Take(ref max, ref best, Sse.Shuffle(l0, l1, 0b11_01_11_01), first + Vector128.Create(inWidth + 1));
                    max.StoreUnsafe(ref line, (nuint)ow);
                    best.StoreUnsafe(ref lineIndices, (nuint)ow);
                }
            }
            for (; ow < outWidth; ow++)
            {
                int w = 2 * ow;
                float max = Unsafe.Add(ref upper, w);
                int best = top + w;
                Take(ref max, ref best, Unsafe.Add(ref upper, w + 1), top + w + 1);
                Take(ref max, ref best, Unsafe.Add(ref lower, w), top + inWidth + w);
                Take(ref max, ref best, Unsafe.Add(ref lower, w + 1), top + inWidth + w + 1);
                Unsafe.Add(ref line, ow) = max;
                Unsafe.Add(ref lineIndices, ow) = best;
            }
        }
    }

    /// <summary>
    /// <see cref="MaxPool2x2"/> sixteen windows at a time, for output rows of 12 or more: each row in blocks of 16,
    /// its even and odd input columns split by one two-source permute per row of inputs; the last block of a row
    /// spills onto the next row's outputs (rewritten just after) or, at the end of a plane, is stored masked, and
    /// loads are masked only where 32 floats would run past the input. Measured on the Fashion-MNIST CNN at batch 64
    /// (one thread, best of 31): its first pool (rows of 14 outputs) 1.66 → 1.46 µs a sample; its second (rows of 7)
    /// took 1.62 µs this way against 1.42 by the 4-wide path, hence the threshold.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxPool2x2Avx512(ReadOnlySpan<float> input, Span<float> output, Span<int> indices, int inWidth, int outHeight, int outWidth)
    {
        Vector512<int> lane = Vector512<int>.Indices;
        Vector512<int> even = lane * 2, odd = even + Vector512<int>.One;
        fixed (float* x0 = input, y0 = output)
        fixed (int* i0 = indices)
        {
            for (int oh = 0; oh < outHeight; oh++)
            {
                int top = 2 * oh * inWidth;
                float* upper = x0 + top, lower = upper + inWidth;
                for (int ow = 0; ow < outWidth; ow += 16)
                {
                    int count = Math.Min(16, outWidth - ow), w = 2 * ow;
                    // Inputs 2·ow .. 2·(ow + count) − 1 of each row: the first 16 in one vector, the rest in the next.
                    Vector512<float> u0, u1, l0, l1;
                    if (top + inWidth + w + 32 <= input.Length)
                    {
                        u0 = Vector512.Load(upper + w); u1 = Vector512.Load(upper + w + 16);
                        l0 = Vector512.Load(lower + w); l1 = Vector512.Load(lower + w + 16);
                    }
                    else
                    {
                        Vector512<float> low = Vector512.LessThan(lane, Vector512.Create(2 * count)).AsSingle();
                        Vector512<float> high = Vector512.LessThan(lane, Vector512.Create(2 * count - 16)).AsSingle();
                        u0 = Avx512F.MaskLoad(upper + w, low, Vector512<float>.Zero); u1 = Avx512F.MaskLoad(upper + w + 16, high, Vector512<float>.Zero);
                        l0 = Avx512F.MaskLoad(lower + w, low, Vector512<float>.Zero); l1 = Avx512F.MaskLoad(lower + w + 16, high, Vector512<float>.Zero);
                    }
                    Vector512<int> first = Vector512.Create(top + w) + even;
                    Vector512<float> max = Avx512F.PermuteVar16x32x2(u0, even, u1);
                    Vector512<int> best = first;
                    Take(ref max, ref best, Avx512F.PermuteVar16x32x2(u0, odd, u1), first + Vector512<int>.One);
                    Take(ref max, ref best, Avx512F.PermuteVar16x32x2(l0, even, l1), first + Vector512.Create(inWidth));
                    Take(ref max, ref best, Avx512F.PermuteVar16x32x2(l0, odd, l1), first + Vector512.Create(inWidth + 1));
                    int at = oh * outWidth + ow;
                    if (at + 16 <= output.Length && (count == 16 || oh + 1 < outHeight))
                    {
                        // Lanes past the row land on the next row's outputs, written after this.
                        max.Store(y0 + at);
                        best.Store(i0 + at);
                    }
                    else
                    {
                        Vector512<float> store = Vector512.LessThan(lane, Vector512.Create(count)).AsSingle();
                        Avx512F.MaskStore(y0 + at, store, max);
                        Avx512F.MaskStore(i0 + at, store.AsInt32(), best);
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MaxPool2x2"/> for input rows of up to 16 (so up to 8 outputs a row), two rows of outputs at a time
    /// in one vector: four masked loads (input rows <c>2·oh .. 2·oh + 3</c>), each candidate gathered from two of them
    /// by one permute; an odd last row alone, the other half of the vector unused. Measured on the Fashion-MNIST CNN's
    /// second pool (rows of 7 outputs, batch 1, one core, perf share against the first convolution): ~1.4 → ~1.1 µs a
    /// sample, against the 4-wide path's two overlapping blocks a row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxPool2x2RowPairs(ReadOnlySpan<float> input, Span<float> output, Span<int> indices, int inWidth, int outHeight, int outWidth)
    {
        // Lane i is window (oh, i) for i < OW, else (oh + 1, i − OW); its first input lies `offset` past row 2·oh.
        Vector512<int> lane = Vector512<int>.Indices;
        Vector512<int> second = Vector512.GreaterThanOrEqual(lane, Vector512.Create(outWidth));
        Vector512<int> column = (lane - (second & Vector512.Create(outWidth))) * 2;
        Vector512<int> even = column + (second & Vector512.Create(16)), odd = even + Vector512<int>.One;
        Vector512<int> offset = column + (second & Vector512.Create(2 * inWidth));
        Vector512<float> pair = Vector512.LessThan(lane, Vector512.Create(2 * outWidth)).AsSingle();
        Vector512<float> single = Vector512.LessThan(lane, Vector512.Create(outWidth)).AsSingle();
        fixed (float* x0 = input, y0 = output)
        fixed (int* i0 = indices)
        {
            for (int oh = 0; oh < outHeight; oh += 2)
            {
                int top = 2 * oh * inWidth;
                float* upper = x0 + top;
                Vector512<float> used = oh + 1 < outHeight ? pair : single, next = oh + 1 < outHeight ? pair : Vector512<float>.Zero;
                Vector512<float> u0 = Avx512F.MaskLoad(upper, pair, Vector512<float>.Zero), l0 = Avx512F.MaskLoad(upper + inWidth, pair, Vector512<float>.Zero);
                Vector512<float> u1 = Avx512F.MaskLoad(upper + 2 * inWidth, next, Vector512<float>.Zero), l1 = Avx512F.MaskLoad(upper + 3 * inWidth, next, Vector512<float>.Zero);
                Vector512<int> first = Vector512.Create(top) + offset;
                Vector512<float> max = Avx512F.PermuteVar16x32x2(u0, even, u1);
                Vector512<int> best = first;
                Take(ref max, ref best, Avx512F.PermuteVar16x32x2(u0, odd, u1), first + Vector512<int>.One);
                Take(ref max, ref best, Avx512F.PermuteVar16x32x2(l0, even, l1), first + Vector512.Create(inWidth));
                Take(ref max, ref best, Avx512F.PermuteVar16x32x2(l0, odd, l1), first + Vector512.Create(inWidth + 1));
                Avx512F.MaskStore(y0 + oh * outWidth, used, max);
                Avx512F.MaskStore(i0 + oh * outWidth, used.AsInt32(), best);
            }
        }
    }

    /// <summary><see cref="Take(ref float, ref int, float, int)"/> on sixteen windows at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref Vector512<float> max, ref Vector512<int> best, Vector512<float> value, Vector512<int> index)
    {
        Vector512<float> take = Vector512.GreaterThan(value, max) | ~Vector512.Equals(value, value);
        max = Vector512.ConditionalSelect(take, value, max);
        best = Vector512.ConditionalSelect(take.AsInt32(), index, best);
    }

    /// <summary>
    /// The even (<paramref name="control"/> <c>0b10_00_10_00</c>) or odd (<c>0b11_01_11_01</c>) columns of 16
    /// consecutive inputs <c>a, b</c>, in order: a shuffle within 128-bit lanes, then the 64-bit blocks put in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Columns(Vector256<float> a, Vector256<float> b, [ConstantExpected] byte control)
        => Avx2.Permute4x64(Avx.Shuffle(a, b, control).AsDouble(), 0b11_01_10_00).AsSingle();

    /// <summary><see cref="Take(ref float, ref int, float, int)"/> on eight windows at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref Vector256<float> max, ref Vector256<int> best, Vector256<float> value, Vector256<int> index)
    {
        Vector256<float> take = Vector256.GreaterThan(value, max) | ~Vector256.Equals(value, value);
        max = Vector256.ConditionalSelect(take, value, max);
        best = Vector256.ConditionalSelect(take.AsInt32(), index, best);
    }

    /// <summary><see cref="Take(ref float, ref int, float, int)"/> on four windows at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref Vector128<float> max, ref Vector128<int> best, Vector128<float> value, Vector128<int> index)
    {
        Vector128<float> take = Vector128.GreaterThan(value, max) | ~Vector128.Equals(value, value);
        max = Vector128.ConditionalSelect(take, value, max);
        best = Vector128.ConditionalSelect(take.AsInt32(), index, best);
    }

    /// <summary>PyTorch's rule: a candidate replaces the maximum if it is greater or NaN (so ties keep the first, NaN propagates).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref float max, ref int best, float value, int index)
    {
        // By masks rather than branches or ?: (which the JIT compiles to a branch here); see MaxPool2x2.
        bool take = (value > max) | float.IsNaN(value);
        int mask = -Unsafe.As<bool, byte>(ref take);
        max = BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(value) & mask) | (BitConverter.SingleToInt32Bits(max) & ~mask));
        best = (index & mask) | (best & ~mask);
    }

    /// <summary><c>dx</c> (overwritten) receives each <c>dy</c> at its window's winning input (summed where windows overlap).</summary>
    public static unsafe void MaxPool2DBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, Span<float> inputGradient, in Pool2DGeometry geometry, int batch)
    {
        Check(inputGradient.Length, outputGradient.Length, in geometry, batch, nameof(inputGradient), nameof(outputGradient));
        Guard.Length(argmax.Length, batch, geometry.OutputSize, nameof(argmax), "batch·C·OH·OW");
        int planes = batch * geometry.Channels;
        int threads = (long)planes * geometry.InHeight * geometry.InWidth >= ParallelInputs ? KernelOptions.MaxThreads : 1;
        if (threads <= 1)
        {
            MaxPoolBackwardPlanes(outputGradient, argmax, inputGradient, in geometry, 0, planes);
            return;
        }
        fixed (float* pdy = outputGradient, pdx = inputGradient)
        fixed (int* pa = argmax)
        {
            // X is dx (written), Y is dy (read) here.
            var job = new PlaneJob { X = pdx, Y = pdy, Argmax = pa, Geometry = geometry };
            KernelRange.Run(&job, &MaxPoolBackwardShare, planes, threads);
        }
    }

    private static unsafe void MaxPoolBackwardShare(void* state, int start, int end)
    {
        ref PlaneJob job = ref *(PlaneJob*)state;
        int planeIn = job.Geometry.InHeight * job.Geometry.InWidth, planeOut = job.Geometry.OutHeight * job.Geometry.OutWidth;
        MaxPoolBackwardPlanes(new ReadOnlySpan<float>(job.Y, end * planeOut), new ReadOnlySpan<int>(job.Argmax, end * planeOut), new Span<float>(job.X, end * planeIn),
            in job.Geometry, start, end);
    }

    /// <summary>Planes <c>[start, end)</c> of the max pool's backward pass: each <c>dx</c> plane cleared, then <c>dy</c> scattered onto it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPoolBackwardPlanes(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, Span<float> inputGradient, in Pool2DGeometry geometry,
        int start, int end)
    {
        int planeIn = geometry.InHeight * geometry.InWidth, planeOut = geometry.OutHeight * geometry.OutWidth;
        for (int plane = start; plane < end; plane++)
        {
            Span<float> dx = inputGradient.Slice(plane * planeIn, planeIn);
            dx.Clear();
            ReadOnlySpan<float> dy = outputGradient.Slice(plane * planeOut, planeOut);
            ReadOnlySpan<int> indices = argmax.Slice(plane * planeOut, planeOut);
            for (int i = 0; i < dy.Length; i++)
            {
                dx[indices[i]] += dy[i];
            }
        }
    }

    /// <summary>Mean over each window, padding counted as zeros (PyTorch's default <c>count_include_pad=True</c>): the sum divided by <c>KH·KW</c>.</summary>
    public static void AvgPool2DForward(ReadOnlySpan<float> x, Span<float> y, in Pool2DGeometry geometry, int batch)
    {
        Check(x.Length, y.Length, in geometry, batch, nameof(x), nameof(y));
        Pool2DGeometry g = geometry;
        int planeIn = g.InHeight * g.InWidth, planeOut = g.OutHeight * g.OutWidth, planes = batch * g.Channels;
        float scale = 1f / (g.KernelHeight * g.KernelWidth);
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<float> input = x.Slice(plane * planeIn, planeIn);
            Span<float> output = y.Slice(plane * planeOut, planeOut);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                (int h0, int h1) = Window(oh, g.StrideHeight, g.PadTop, g.KernelHeight, g.InHeight);
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    (int w0, int w1) = Window(ow, g.StrideWidth, g.PadLeft, g.KernelWidth, g.InWidth);
                    float sum = 0f;
                    for (int h = h0; h < h1; h++)
                    {
                        for (int w = w0; w < w1; w++)
                        {
                            sum += input[h * g.InWidth + w];
                        }
                    }
                    output[oh * g.OutWidth + ow] = sum * scale;
                }
            }
        }
    }

    /// <summary><c>dx</c> (overwritten) receives <c>dy / (KH·KW)</c> over each window (summed where windows overlap; nothing for padding).</summary>
    public static void AvgPool2DBackward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, in Pool2DGeometry geometry, int batch)
    {
        Check(inputGradient.Length, outputGradient.Length, in geometry, batch, nameof(inputGradient), nameof(outputGradient));
        Pool2DGeometry g = geometry;
        int planeIn = g.InHeight * g.InWidth, planeOut = g.OutHeight * g.OutWidth, planes = batch * g.Channels;
        float scale = 1f / (g.KernelHeight * g.KernelWidth);
        inputGradient.Clear();
        for (int plane = 0; plane < planes; plane++)
        {
            Span<float> dx = inputGradient.Slice(plane * planeIn, planeIn);
            ReadOnlySpan<float> dy = outputGradient.Slice(plane * planeOut, planeOut);
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                (int h0, int h1) = Window(oh, g.StrideHeight, g.PadTop, g.KernelHeight, g.InHeight);
                for (int ow = 0; ow < g.OutWidth; ow++)
                {
                    (int w0, int w1) = Window(ow, g.StrideWidth, g.PadLeft, g.KernelWidth, g.InWidth);
                    float share = dy[oh * g.OutWidth + ow] * scale;
                    for (int h = h0; h < h1; h++)
                    {
                        for (int w = w0; w < w1; w++)
                        {
                            dx[h * g.InWidth + w] += share;
                        }
                    }
                }
            }
        }
    }

    /// <summary><c>y[B,C] = mean over the S = H·W positions of x[B,C,S]</c>.</summary>
    public static void GlobalAveragePoolForward(ReadOnlySpan<float> x, Span<float> y, int channels, int spatial, int batch)
    {
        CheckGlobal(x.Length, y.Length, channels, spatial, batch, nameof(x), nameof(y));
        float scale = 1f / spatial;
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = TensorPrimitives.Sum(x.Slice(i * spatial, spatial)) * scale;
        }
    }

    /// <summary><c>dx[B,C,S] = dy[B,C] / S</c> (overwritten).</summary>
    public static void GlobalAveragePoolBackward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int channels, int spatial, int batch)
    {
        CheckGlobal(inputGradient.Length, outputGradient.Length, channels, spatial, batch, nameof(inputGradient), nameof(outputGradient));
        float scale = 1f / spatial;
        for (int i = 0; i < outputGradient.Length; i++)
        {
            inputGradient.Slice(i * spatial, spatial).Fill(outputGradient[i] * scale);
        }
    }

    /// <summary>The input rows (or columns) <c>[start, end)</c> of output <paramref name="o"/>'s window, clipped to the input.</summary>
    private static (int Start, int End) Window(int o, int stride, int pad, int kernel, int size)
    {
        int start = o * stride - pad;
        return (Math.Max(start, 0), Math.Min(start + kernel, size));
    }

    /// <summary>The declared fields only (the record's own ToString computes the output size, which may divide by zero).</summary>
    private static string Describe(in Pool2DGeometry g)
        => $"C={g.Channels} H={g.InHeight} W={g.InWidth} kernel {g.KernelHeight}x{g.KernelWidth} stride {g.StrideHeight},{g.StrideWidth} "
        + $"padding top {g.PadTop} left {g.PadLeft} bottom {g.PadBottom} right {g.PadRight}";

    private static void Check(int inputLength, int outputLength, in Pool2DGeometry g, int batch, string inputName, string outputName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (g.Channels <= 0 || g.InHeight <= 0 || g.InWidth <= 0 || g.KernelHeight <= 0 || g.KernelWidth <= 0 || g.StrideHeight <= 0 || g.StrideWidth <= 0
            || g.PadTop < 0 || g.PadLeft < 0 || g.PadBottom < 0 || g.PadRight < 0)
        {
            throw new ArgumentException($"Sizes and strides must be positive and paddings non-negative: {Describe(in g)}.", "geometry");
        }
        if (g.PadTop >= g.KernelHeight || g.PadBottom >= g.KernelHeight || g.PadLeft >= g.KernelWidth || g.PadRight >= g.KernelWidth)
        {
            throw new ArgumentException($"Each padding must be smaller than the kernel, so every window holds an input: {Describe(in g)}.", "geometry");
        }
        if (g.InHeight + g.PadTop + g.PadBottom < g.KernelHeight || g.InWidth + g.PadLeft + g.PadRight < g.KernelWidth)
        {
            throw new ArgumentException($"The kernel is larger than the padded input: {Describe(in g)}.", "geometry");
        }
        Guard.Length(inputLength, batch, g.InputSize, inputName, "batch·C·H·W");
        Guard.Length(outputLength, batch, g.OutputSize, outputName, "batch·C·OH·OW");
    }

    private static void CheckGlobal(int inputLength, int outputLength, int channels, int spatial, int batch, string inputName, string outputName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spatial);
        Guard.Length(inputLength, batch * channels, spatial, inputName, "batch·C·S");
        Guard.Length(outputLength, batch, channels, outputName, "batch·C");
    }
}
