using System;
using System.Runtime.CompilerServices;

namespace NetDsl.Kernels;

/// <summary>The weight gradient of a direct convolution.</summary>
internal static unsafe partial class ConvolutionDirect
{
    /// <summary>
    /// Floats of each thread's buffer for <see cref="RunWeightGradientItems{TSimd, TVec}"/>: a padded sample, slack, and
    /// the sample's output gradient transposed to <c>[OH·OW][O rounded up to 16]</c>.
    /// </summary>
    internal static int GradientBufferLength(in DirectJob job)
        => job.PaddedSize + 64 + job.OutHeight * job.OutWidth * RoundUp(job.OutChannels, 16);

    /// <summary>Items of a weight-gradient job: blocks of output channels × groups of <see cref="TilePositions"/> taps.</summary>
    public static int WeightGradientItems(in DirectJob job, SimdWidth width)
    {
        int lanes = SimdDispatch.Lanes(width), blocks = 0;
        for (int o0 = 0; o0 < job.OutChannels; o0 += 2 * lanes)
        {
            blocks++;
        }
        return blocks * ((job.Depth + TilePositions - 1) / TilePositions);
    }

    /// <summary>
    /// Items <c>[start, end)</c> of <c>dWᵀ[t, o] += Σ_s Σ_(oh, ow) xpad_s[offset(t) + (oh, ow)] · dz[s, o, oh, ow]</c> into
    /// <see cref="DirectJob.Weights"/> (<c>[K][O rounded up to a vector]</c>, zeroed by the caller), one item being a
    /// block of channels × up to 14 taps. Each thread walks every sample in order, padding it and transposing its
    /// output gradient to position-major rows, then runs its items: an element of <c>dWᵀ</c> is always summed over
    /// samples, then positions, in order, by one thread, so the result does not depend on how items are shared out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunWeightGradientItems<TSimd, TVec>(void* state, int start, int end)
        where TSimd : struct, ISimd<TVec> where TVec : struct
    {
        ref DirectJob job = ref *(DirectJob*)state;
        int lanes = TSimd.Count, channels = job.OutChannels, positions = job.OutHeight * job.OutWidth;
        int stride = RoundUp(channels, lanes), groups = (job.Depth + TilePositions - 1) / TilePositions;
        float* padded = PackBuffer.Get(GradientBufferLength(in job));
        float* transposed = padded + job.PaddedSize + 64;
        if (stride > channels)
        {
            new Span<float>(transposed, positions * stride).Clear();
        }
        for (int s = 0; s < job.Batch; s++)
        {
            Pad(job.X + (nint)s * job.InputSize, padded, in job);
            Transpose(job.Y + (nint)s * job.OutputSize, positions, transposed, stride, channels, positions);
            for (int item = start; item < end; item++)
            {
                int block = item / groups, t0 = item % groups * TilePositions;
                int o0 = block * 2 * lanes;
                int taps = Math.Min(TilePositions, job.Depth - t0);
                float* acc = job.Weights + (nint)t0 * stride + o0;
                if (BlockWidth(channels - o0, lanes) == lanes)
                {
                    GradientTaps<TSimd, TVec, OneVector>(in job, padded, transposed + o0, stride, acc, t0, taps);
                }
                else
                {
                    GradientTaps<TSimd, TVec, TwoVectors>(in job, padded, transposed + o0, stride, acc, t0, taps);
                }
            }
        }
    }

    /// <summary>Taps <c>[t0, t0 + taps)</c> of one block: one tile of 14, or tiles of 8, 4, 2 and 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientTaps<TSimd, TVec, TVectors>(in DirectJob job, float* padded, float* dz, int stride, float* acc, int t0, int taps)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TVectors : struct, IVectors
    {
        int* offsets = job.Offsets + t0;
        if (taps == TilePositions)
        {
            GradientTile<TSimd, TVec, TVectors, P14>(in job, padded, offsets, dz, stride, acc);
            return;
        }
        int done = 0;
        for (; done + 8 <= taps; done += 8) GradientTile<TSimd, TVec, TVectors, P8>(in job, padded, offsets + done, dz, stride, acc + (nint)done * stride);
        for (; done + 4 <= taps; done += 4) GradientTile<TSimd, TVec, TVectors, P4>(in job, padded, offsets + done, dz, stride, acc + (nint)done * stride);
        for (; done + 2 <= taps; done += 2) GradientTile<TSimd, TVec, TVectors, P2>(in job, padded, offsets + done, dz, stride, acc + (nint)done * stride);
        for (; done < taps; done++) GradientTile<TSimd, TVec, TVectors, P1>(in job, padded, offsets + done, dz, stride, acc + (nint)done * stride);
    }

    /// <summary>
    /// The weight-gradient micro-kernel, the forward channel kernel with the roles of taps and positions swapped:
    /// accumulator <c>cTV</c> (tap T, vector V of channels) starts from <c>dWᵀ</c>, and each output position loads
    /// the V vectors of <c>dz[position, channels]</c> and broadcasts the input each tap reads there into V FMAs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientTile<TSimd, TVec, TVectors, TTaps>(in DirectJob job, float* padded, int* offsets, float* dz, int stride, float* acc)
        where TSimd : struct, ISimd<TVec> where TVec : struct where TVectors : struct, IVectors where TTaps : struct, IPositions
    {
        bool two = TVectors.Count == 2;
        int taps = TTaps.Count, last = taps - 1;
        nint lanes = TSimd.Count;
        int t0 = offsets[Math.Min(0, last)], t1 = offsets[Math.Min(1, last)], t2 = offsets[Math.Min(2, last)], t3 = offsets[Math.Min(3, last)], t4 = offsets[Math.Min(4, last)], t5 = offsets[Math.Min(5, last)], t6 = offsets[Math.Min(6, last)], t7 = offsets[Math.Min(7, last)], t8 = offsets[Math.Min(8, last)], t9 = offsets[Math.Min(9, last)], tA = offsets[Math.Min(10, last)], tB = offsets[Math.Min(11, last)], tC = offsets[Math.Min(12, last)], tD = offsets[Math.Min(13, last)];
        TVec c00 = TSimd.Zero, c01 = TSimd.Zero, c10 = TSimd.Zero, c11 = TSimd.Zero, c20 = TSimd.Zero, c21 = TSimd.Zero, c30 = TSimd.Zero, c31 = TSimd.Zero;
        TVec c40 = TSimd.Zero, c41 = TSimd.Zero, c50 = TSimd.Zero, c51 = TSimd.Zero, c60 = TSimd.Zero, c61 = TSimd.Zero, c70 = TSimd.Zero, c71 = TSimd.Zero;
        TVec c80 = TSimd.Zero, c81 = TSimd.Zero, c90 = TSimd.Zero, c91 = TSimd.Zero, cA0 = TSimd.Zero, cA1 = TSimd.Zero, cB0 = TSimd.Zero, cB1 = TSimd.Zero;
        TVec cC0 = TSimd.Zero, cC1 = TSimd.Zero, cD0 = TSimd.Zero, cD1 = TSimd.Zero;
        { c00 = TSimd.Load(ref *acc, 0 * stride); if (two) c01 = TSimd.Load(ref *acc, 0 * stride + lanes); }
        if (taps > 1) { c10 = TSimd.Load(ref *acc, 1 * stride); if (two) c11 = TSimd.Load(ref *acc, 1 * stride + lanes); }
        if (taps > 2) { c20 = TSimd.Load(ref *acc, 2 * stride); if (two) c21 = TSimd.Load(ref *acc, 2 * stride + lanes); }
        if (taps > 3) { c30 = TSimd.Load(ref *acc, 3 * stride); if (two) c31 = TSimd.Load(ref *acc, 3 * stride + lanes); }
        if (taps > 4) { c40 = TSimd.Load(ref *acc, 4 * stride); if (two) c41 = TSimd.Load(ref *acc, 4 * stride + lanes); }
        if (taps > 5) { c50 = TSimd.Load(ref *acc, 5 * stride); if (two) c51 = TSimd.Load(ref *acc, 5 * stride + lanes); }
        if (taps > 6) { c60 = TSimd.Load(ref *acc, 6 * stride); if (two) c61 = TSimd.Load(ref *acc, 6 * stride + lanes); }
        if (taps > 7) { c70 = TSimd.Load(ref *acc, 7 * stride); if (two) c71 = TSimd.Load(ref *acc, 7 * stride + lanes); }
        if (taps > 8) { c80 = TSimd.Load(ref *acc, 8 * stride); if (two) c81 = TSimd.Load(ref *acc, 8 * stride + lanes); }
        if (taps > 9) { c90 = TSimd.Load(ref *acc, 9 * stride); if (two) c91 = TSimd.Load(ref *acc, 9 * stride + lanes); }
        if (taps > 10) { cA0 = TSimd.Load(ref *acc, 10 * stride); if (two) cA1 = TSimd.Load(ref *acc, 10 * stride + lanes); }
        if (taps > 11) { cB0 = TSimd.Load(ref *acc, 11 * stride); if (two) cB1 = TSimd.Load(ref *acc, 11 * stride + lanes); }
        if (taps > 12) { cC0 = TSimd.Load(ref *acc, 12 * stride); if (two) cC1 = TSimd.Load(ref *acc, 12 * stride + lanes); }
        if (taps > 13) { cD0 = TSimd.Load(ref *acc, 13 * stride); if (two) cD1 = TSimd.Load(ref *acc, 13 * stride + lanes); }
        int width = job.OutWidth;
        nint row = (nint)job.StrideHeight * job.PaddedRow;
        for (int oh = 0; oh < job.OutHeight; oh++)
        {
            float* a = padded + oh * row;
            float* d = dz + (nint)oh * width * stride;
            for (int ow = 0; ow < width; ow++, a++, d += stride)
            {
                TVec w0 = TSimd.Load(ref *d, 0);
                TVec w1 = two ? TSimd.Load(ref *d, lanes) : w0;
                { TVec x = TSimd.Broadcast(a[t0]); c00 = TSimd.MultiplyAdd(x, w0, c00); if (two) c01 = TSimd.MultiplyAdd(x, w1, c01); }
                if (taps > 1) { TVec x = TSimd.Broadcast(a[t1]); c10 = TSimd.MultiplyAdd(x, w0, c10); if (two) c11 = TSimd.MultiplyAdd(x, w1, c11); }
                if (taps > 2) { TVec x = TSimd.Broadcast(a[t2]); c20 = TSimd.MultiplyAdd(x, w0, c20); if (two) c21 = TSimd.MultiplyAdd(x, w1, c21); }
                if (taps > 3) { TVec x = TSimd.Broadcast(a[t3]); c30 = TSimd.MultiplyAdd(x, w0, c30); if (two) c31 = TSimd.MultiplyAdd(x, w1, c31); }
                if (taps > 4) { TVec x = TSimd.Broadcast(a[t4]); c40 = TSimd.MultiplyAdd(x, w0, c40); if (two) c41 = TSimd.MultiplyAdd(x, w1, c41); }
                if (taps > 5) { TVec x = TSimd.Broadcast(a[t5]); c50 = TSimd.MultiplyAdd(x, w0, c50); if (two) c51 = TSimd.MultiplyAdd(x, w1, c51); }
                if (taps > 6) { TVec x = TSimd.Broadcast(a[t6]); c60 = TSimd.MultiplyAdd(x, w0, c60); if (two) c61 = TSimd.MultiplyAdd(x, w1, c61); }
                if (taps > 7) { TVec x = TSimd.Broadcast(a[t7]); c70 = TSimd.MultiplyAdd(x, w0, c70); if (two) c71 = TSimd.MultiplyAdd(x, w1, c71); }
                if (taps > 8) { TVec x = TSimd.Broadcast(a[t8]); c80 = TSimd.MultiplyAdd(x, w0, c80); if (two) c81 = TSimd.MultiplyAdd(x, w1, c81); }
                if (taps > 9) { TVec x = TSimd.Broadcast(a[t9]); c90 = TSimd.MultiplyAdd(x, w0, c90); if (two) c91 = TSimd.MultiplyAdd(x, w1, c91); }
                if (taps > 10) { TVec x = TSimd.Broadcast(a[tA]); cA0 = TSimd.MultiplyAdd(x, w0, cA0); if (two) cA1 = TSimd.MultiplyAdd(x, w1, cA1); }
                if (taps > 11) { TVec x = TSimd.Broadcast(a[tB]); cB0 = TSimd.MultiplyAdd(x, w0, cB0); if (two) cB1 = TSimd.MultiplyAdd(x, w1, cB1); }
                if (taps > 12) { TVec x = TSimd.Broadcast(a[tC]); cC0 = TSimd.MultiplyAdd(x, w0, cC0); if (two) cC1 = TSimd.MultiplyAdd(x, w1, cC1); }
                if (taps > 13) { TVec x = TSimd.Broadcast(a[tD]); cD0 = TSimd.MultiplyAdd(x, w0, cD0); if (two) cD1 = TSimd.MultiplyAdd(x, w1, cD1); }
            }
        }
        { TSimd.Store(c00, ref *acc, 0 * stride); if (two) TSimd.Store(c01, ref *acc, 0 * stride + lanes); }
        if (taps > 1) { TSimd.Store(c10, ref *acc, 1 * stride); if (two) TSimd.Store(c11, ref *acc, 1 * stride + lanes); }
        if (taps > 2) { TSimd.Store(c20, ref *acc, 2 * stride); if (two) TSimd.Store(c21, ref *acc, 2 * stride + lanes); }
        if (taps > 3) { TSimd.Store(c30, ref *acc, 3 * stride); if (two) TSimd.Store(c31, ref *acc, 3 * stride + lanes); }
        if (taps > 4) { TSimd.Store(c40, ref *acc, 4 * stride); if (two) TSimd.Store(c41, ref *acc, 4 * stride + lanes); }
        if (taps > 5) { TSimd.Store(c50, ref *acc, 5 * stride); if (two) TSimd.Store(c51, ref *acc, 5 * stride + lanes); }
        if (taps > 6) { TSimd.Store(c60, ref *acc, 6 * stride); if (two) TSimd.Store(c61, ref *acc, 6 * stride + lanes); }
        if (taps > 7) { TSimd.Store(c70, ref *acc, 7 * stride); if (two) TSimd.Store(c71, ref *acc, 7 * stride + lanes); }
        if (taps > 8) { TSimd.Store(c80, ref *acc, 8 * stride); if (two) TSimd.Store(c81, ref *acc, 8 * stride + lanes); }
        if (taps > 9) { TSimd.Store(c90, ref *acc, 9 * stride); if (two) TSimd.Store(c91, ref *acc, 9 * stride + lanes); }
        if (taps > 10) { TSimd.Store(cA0, ref *acc, 10 * stride); if (two) TSimd.Store(cA1, ref *acc, 10 * stride + lanes); }
        if (taps > 11) { TSimd.Store(cB0, ref *acc, 11 * stride); if (two) TSimd.Store(cB1, ref *acc, 11 * stride + lanes); }
        if (taps > 12) { TSimd.Store(cC0, ref *acc, 12 * stride); if (two) TSimd.Store(cC1, ref *acc, 12 * stride + lanes); }
        if (taps > 13) { TSimd.Store(cD0, ref *acc, 13 * stride); if (two) TSimd.Store(cD1, ref *acc, 13 * stride + lanes); }
    }
}
