using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetDsl.Kernels;

/// <summary>
/// Batch normalization over <c>x[B, C, S]</c> (S = 1 after a dense layer, H·W after a convolution), as PyTorch's
/// <c>BatchNorm1d</c>/<c>BatchNorm2d</c>: <c>y = γ·(x − μ)/√(σ² + ε) + β</c> per channel.
/// </summary>
/// <remarks>
/// <para>Element <c>(b, c, s)</c> is at <c>(b·C + c)·S + s</c> (NCHW with S = H·W; <c>[B, C]</c> when S = 1).</para>
/// <para>Per-channel sums (mean, variance, the backward pass's Σdy and Σdy·x̂) are accumulated in double, in SIMD lanes;
/// the mean and variance are computed in two passes (the variance about the mean, never <c>E[x²] − E[x]²</c>), so
/// channels with a large mean and a small spread keep their precision. When S = 1 the vectors run across channels
/// (the channel values of one sample are contiguous), in blocks of <see cref="ChannelBlock"/> channels whose
/// accumulators live on the stack; otherwise they run along each sample's S contiguous values of a channel.</para>
/// <para>Nothing is allocated. Statistics follow PyTorch's CPU kernels: batch mean and biased variance to normalize,
/// <c>invstd = 1/√(σ² + ε)</c> in double, running statistics updated in double with the unbiased variance
/// <c>σ²·n/(n − 1)</c>, n = B·S.</para>
/// </remarks>
public static class BatchNormalization
{
    /// <summary>Channels processed at once when S = 1 (the stack holds two doubles per channel of a block).</summary>
    private const int ChannelBlock = 256;

    /// <summary>
    /// Training: normalizes with the batch's mean and biased variance per channel, keeps <c>μ</c> and <c>1/√(σ²+ε)</c> in
    /// <paramref name="savedMean"/> and <paramref name="savedInverseStd"/> for the backward pass, and updates the running
    /// statistics: <c>running = (1 − momentum)·running + momentum·batch</c>, with the unbiased variance (PyTorch).
    /// </summary>
    /// <param name="x">The input <c>[B, C, S]</c>.</param>
    /// <param name="gamma">The per-channel scale <c>γ</c> (PyTorch's <c>weight</c>), length C.</param>
    /// <param name="beta">The per-channel shift <c>β</c> (PyTorch's <c>bias</c>), length C.</param>
    /// <param name="runningMean">PyTorch's <c>running_mean</c>, length C, updated.</param>
    /// <param name="runningVariance">PyTorch's <c>running_var</c>, length C, updated.</param>
    /// <param name="y">The output <c>[B, C, S]</c>; may be <paramref name="x"/> itself.</param>
    /// <param name="savedMean">Receives the batch mean per channel, length C.</param>
    /// <param name="savedInverseStd">Receives <c>1/√(σ² + ε)</c> per channel (σ² biased), length C.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S: 1 for <c>BatchNorm1d</c> on <c>[B, C]</c>, H·W for <c>BatchNorm2d</c>.</param>
    /// <param name="batch">B. With B = 0 nothing is written and the running statistics are unchanged.</param>
    /// <param name="momentum">The weight of the batch statistics in the running averages (PyTorch's default 0.1).</param>
    /// <param name="epsilon">Added to the variance (PyTorch's default 1e-5).</param>
    /// <exception cref="ArgumentException">A span has the wrong length, or B·S = 1: with a single value per channel the
    /// variance is undefined, and PyTorch refuses to train on it too.</exception>
    public static void ForwardTraining(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVariance, Span<float> y, Span<float> savedMean, Span<float> savedInverseStd,
        int channels, int spatial, int batch, float momentum = 0.1f, float epsilon = 1e-5f)
    {
        CheckSizes(channels, spatial, batch);
        int total = checked(batch * channels * spatial);
        Guard.SameLength(x.Length, total, nameof(x), "B·C·S");
        Guard.SameLength(y.Length, total, nameof(y), "B·C·S");
        Guard.SameLength(gamma.Length, channels, nameof(gamma), "C (channels)");
        Guard.SameLength(beta.Length, channels, nameof(beta), "C (channels)");
        Guard.SameLength(runningMean.Length, channels, nameof(runningMean), "C (channels)");
        Guard.SameLength(runningVariance.Length, channels, nameof(runningVariance), "C (channels)");
        Guard.SameLength(savedMean.Length, channels, nameof(savedMean), "C (channels)");
        Guard.SameLength(savedInverseStd.Length, channels, nameof(savedInverseStd), "C (channels)");
        if (batch == 0 || channels == 0)
            return;
        long n = (long)batch * spatial;
        if (n == 1)
            throw new ArgumentException(
                $"Batch normalization needs more than one value per channel in training, but got batch {batch} × spatial {spatial} = 1 value per channel " +
                "(PyTorch: \"Expected more than 1 value per channel when training\"). Train with a batch of at least 2, or run inference (ForwardInference) with the running statistics.",
                nameof(batch));

        if (spatial == 1)
        {
            Span<double> sums = stackalloc double[Math.Min(channels, ChannelBlock)];
            for (int c0 = 0; c0 < channels; c0 += ChannelBlock)
            {
                int width = Math.Min(ChannelBlock, channels - c0);
                Span<double> sum = sums[..width];
                Span<float> mean = savedMean.Slice(c0, width);

                sum.Clear();
                for (int b = 0; b < batch; b++)
                    AccumulateWidened(x.Slice(b * channels + c0, width), sum);
                for (int c = 0; c < width; c++)
                    mean[c] = (float)(sum[c] / n);

                // The variance about the float mean that is saved (and used by the backward pass): Σ(x − μ)² with μ
                // rounded adds (μ_exact − μ)²·n, negligible; the difference is exact in float for |x − μ| ≪ |μ|.
                sum.Clear();
                for (int b = 0; b < batch; b++)
                    AccumulateSquaredDeviations(x.Slice(b * channels + c0, width), mean, sum);
                for (int c = 0; c < width; c++)
                    FinishStatistics(sum[c], n, mean[c], epsilon, momentum, out savedInverseStd[c0 + c], ref runningMean[c0 + c], ref runningVariance[c0 + c]);
            }
            for (int b = 0; b < batch; b++)
                NormalizeRow(x.Slice(b * channels, channels), savedMean, savedInverseStd, gamma, beta, y.Slice(b * channels, channels));
            return;
        }

        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int b = 0; b < batch; b++)
                sum += SumWidened(x.Slice((b * channels + c) * spatial, spatial));
            float mean = (float)(sum / n);
            savedMean[c] = mean;

            double squares = 0;
            for (int b = 0; b < batch; b++)
                squares += SumSquaredDeviations(x.Slice((b * channels + c) * spatial, spatial), mean);
            FinishStatistics(squares, n, mean, epsilon, momentum, out savedInverseStd[c], ref runningMean[c], ref runningVariance[c]);

            float scale = gamma[c] * savedInverseStd[c];
            for (int b = 0; b < batch; b++)
            {
                int offset = (b * channels + c) * spatial;
                Normalize(x.Slice(offset, spatial), mean, scale, beta[c], y.Slice(offset, spatial));
            }
        }
    }

    /// <summary>Inference: normalizes with the running statistics.</summary>
    /// <param name="x">The input <c>[B, C, S]</c>.</param>
    /// <param name="gamma">The per-channel scale <c>γ</c>, length C.</param>
    /// <param name="beta">The per-channel shift <c>β</c>, length C.</param>
    /// <param name="runningMean">PyTorch's <c>running_mean</c>, length C.</param>
    /// <param name="runningVariance">PyTorch's <c>running_var</c>, length C.</param>
    /// <param name="y">The output <c>[B, C, S]</c>; may be <paramref name="x"/> itself.</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="batch">B (any B ≥ 0, including 1).</param>
    /// <param name="epsilon">Added to the variance.</param>
    public static void ForwardInference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, Span<float> y,
        int channels, int spatial, int batch, float epsilon = 1e-5f)
    {
        CheckSizes(channels, spatial, batch);
        int total = checked(batch * channels * spatial);
        Guard.SameLength(x.Length, total, nameof(x), "B·C·S");
        Guard.SameLength(y.Length, total, nameof(y), "B·C·S");
        Guard.SameLength(gamma.Length, channels, nameof(gamma), "C (channels)");
        Guard.SameLength(beta.Length, channels, nameof(beta), "C (channels)");
        Guard.SameLength(runningMean.Length, channels, nameof(runningMean), "C (channels)");
        Guard.SameLength(runningVariance.Length, channels, nameof(runningVariance), "C (channels)");
        if (batch == 0 || channels == 0)
            return;

        if (spatial == 1)
        {
            Span<float> scales = stackalloc float[Math.Min(channels, ChannelBlock)];
            for (int c0 = 0; c0 < channels; c0 += ChannelBlock)
            {
                int width = Math.Min(ChannelBlock, channels - c0);
                Span<float> scale = scales[..width];
                for (int c = 0; c < width; c++)
                    scale[c] = InverseStd(runningVariance[c0 + c], epsilon);
                ReadOnlySpan<float> mean = runningMean.Slice(c0, width), g = gamma.Slice(c0, width), bt = beta.Slice(c0, width);
                for (int b = 0; b < batch; b++)
                {
                    int offset = b * channels + c0;
                    NormalizeRow(x.Slice(offset, width), mean, scale, g, bt, y.Slice(offset, width));
                }
            }
            return;
        }

        for (int c = 0; c < channels; c++)
        {
            float mean = runningMean[c];
            float scale = gamma[c] * InverseStd(runningVariance[c], epsilon);
            for (int b = 0; b < batch; b++)
            {
                int offset = (b * channels + c) * spatial;
                Normalize(x.Slice(offset, spatial), mean, scale, beta[c], y.Slice(offset, spatial));
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="ForwardTraining"/>: writes (overwrites) <c>dγ</c>, <c>dβ</c> and <c>dx</c> (unless empty);
    /// <paramref name="inputGradient"/> may be <paramref name="outputGradient"/>.
    /// </summary>
    /// <remarks>
    /// With <c>x̂ = (x − μ)·invstd</c> and sums over the n = B·S values of a channel: <c>dβ = Σdy</c>,
    /// <c>dγ = Σdy·x̂</c>, <c>dx = γ·invstd/n · (n·dy − Σdy − x̂·Σdy·x̂)</c> (the batch statistics depend on x).
    /// </remarks>
    /// <param name="x">The input of the forward pass <c>[B, C, S]</c>.</param>
    /// <param name="outputGradient">dy <c>[B, C, S]</c>.</param>
    /// <param name="gamma">γ, length C.</param>
    /// <param name="savedMean">μ saved by <see cref="ForwardTraining"/>.</param>
    /// <param name="savedInverseStd">invstd saved by <see cref="ForwardTraining"/>.</param>
    /// <param name="gammaGradient">Receives dγ, length C.</param>
    /// <param name="betaGradient">Receives dβ, length C.</param>
    /// <param name="inputGradient">Receives dx <c>[B, C, S]</c>, or empty to skip it (first layer).</param>
    /// <param name="channels">C.</param>
    /// <param name="spatial">S.</param>
    /// <param name="batch">B.</param>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> savedMean, ReadOnlySpan<float> savedInverseStd,
        Span<float> gammaGradient, Span<float> betaGradient, Span<float> inputGradient,
        int channels, int spatial, int batch)
    {
        CheckSizes(channels, spatial, batch);
        int total = checked(batch * channels * spatial);
        Guard.SameLength(x.Length, total, nameof(x), "B·C·S");
        Guard.SameLength(outputGradient.Length, total, nameof(outputGradient), "B·C·S");
        if (!inputGradient.IsEmpty)
            Guard.SameLength(inputGradient.Length, total, nameof(inputGradient), "B·C·S");
        Guard.SameLength(gamma.Length, channels, nameof(gamma), "C (channels)");
        Guard.SameLength(savedMean.Length, channels, nameof(savedMean), "C (channels)");
        Guard.SameLength(savedInverseStd.Length, channels, nameof(savedInverseStd), "C (channels)");
        Guard.SameLength(gammaGradient.Length, channels, nameof(gammaGradient), "C (channels)");
        Guard.SameLength(betaGradient.Length, channels, nameof(betaGradient), "C (channels)");
        if (channels == 0)
            return;
        if (batch == 0)
        {
            gammaGradient.Clear();
            betaGradient.Clear();
            return;
        }
        long n = (long)batch * spatial;

        if (spatial == 1)
        {
            int block = Math.Min(channels, ChannelBlock);
            Span<double> sums = stackalloc double[2 * block];
            Span<float> k = stackalloc float[3 * block];
            for (int c0 = 0; c0 < channels; c0 += ChannelBlock)
            {
                int width = Math.Min(ChannelBlock, channels - c0);
                Span<double> sumDy = sums[..width], sumDyXc = sums.Slice(block, width);
                ReadOnlySpan<float> mean = savedMean.Slice(c0, width);
                sumDy.Clear();
                sumDyXc.Clear();
                for (int b = 0; b < batch; b++)
                {
                    int offset = b * channels + c0;
                    AccumulateWidened(outputGradient.Slice(offset, width), sumDy);
                    AccumulateProducts(outputGradient.Slice(offset, width), x.Slice(offset, width), mean, sumDyXc);
                }

                // dx = a·dy − b − d·(x − μ), a = γ·invstd, b = a·Σdy/n, d = a·invstd²·Σdy·(x − μ)/n.
                Span<float> scale = k[..width], slope = k.Slice(block, width), constant = k.Slice(2 * block, width);
                for (int c = 0; c < width; c++)
                {
                    double invstd = savedInverseStd[c0 + c];
                    betaGradient[c0 + c] = (float)sumDy[c];
                    gammaGradient[c0 + c] = (float)(sumDyXc[c] * invstd);
                    double a = gamma[c0 + c] * invstd;
                    scale[c] = (float)a;
                    slope[c] = (float)(a * invstd * invstd * sumDyXc[c] / n);
                    constant[c] = (float)(a * sumDy[c] / n);
                }
                if (inputGradient.IsEmpty)
                    continue;
                for (int b = 0; b < batch; b++)
                {
                    int offset = b * channels + c0;
                    InputGradientRow(outputGradient.Slice(offset, width), x.Slice(offset, width), mean, scale, constant, slope, inputGradient.Slice(offset, width));
                }
            }
            return;
        }

        for (int c = 0; c < channels; c++)
        {
            float mean = savedMean[c];
            double sumDy = 0, sumDyXc = 0;
            for (int b = 0; b < batch; b++)
            {
                int offset = (b * channels + c) * spatial;
                (double dy, double dyXc) = SumProducts(outputGradient.Slice(offset, spatial), x.Slice(offset, spatial), mean);
                sumDy += dy;
                sumDyXc += dyXc;
            }
            double invstd = savedInverseStd[c];
            betaGradient[c] = (float)sumDy;
            gammaGradient[c] = (float)(sumDyXc * invstd);
            if (inputGradient.IsEmpty)
                continue;
            double a = gamma[c] * invstd;
            float scale = (float)a, constant = (float)(a * sumDy / n), slope = (float)(a * invstd * invstd * sumDyXc / n);
            for (int b = 0; b < batch; b++)
            {
                int offset = (b * channels + c) * spatial;
                InputGradient(outputGradient.Slice(offset, spatial), x.Slice(offset, spatial), mean, scale, constant, slope, inputGradient.Slice(offset, spatial));
            }
        }
    }

    // ------------------------------------------------------------------ Statistics

    private static void CheckSizes(int channels, int spatial, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spatial);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
    }

    private static float InverseStd(float variance, float epsilon) => (float)(1.0 / Math.Sqrt((double)variance + epsilon));

    /// <summary>invstd from the biased variance, and the running averages updated with the unbiased one (in double, as PyTorch's CPU kernel).</summary>
    private static void FinishStatistics(double squaredDeviations, long n, float mean, float epsilon, float momentum,
        out float inverseStd, ref float runningMean, ref float runningVariance)
    {
        double biased = squaredDeviations / n;
        inverseStd = (float)(1.0 / Math.Sqrt(biased + epsilon));
        double unbiased = squaredDeviations / (n - 1);
        runningMean = (float)(momentum * (double)mean + (1.0 - momentum) * runningMean);
        runningVariance = (float)(momentum * unbiased + (1.0 - momentum) * runningVariance);
    }

    // ------------------------------------------------------------------ Along S (contiguous values of one channel)

    /// <summary>Σ values, in double lanes.</summary>
    private static double SumWidened(ReadOnlySpan<float> values)
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        int i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            Vector<double> lo = Vector<double>.Zero, hi = Vector<double>.Zero;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref v, (nuint)i), out Vector<double> a, out Vector<double> b);
                lo += a;
                hi += b;
            }
            sum = Vector.Sum(lo + hi);
        }
        for (; i < values.Length; i++)
            sum += Unsafe.Add(ref v, i);
        return sum;
    }

    /// <summary>Σ (values − mean)², the differences in float (exact when close to the mean), their squares summed in double.</summary>
    private static double SumSquaredDeviations(ReadOnlySpan<float> values, float mean)
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        int i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var m = new Vector<float>(mean);
            Vector<double> lo = Vector<double>.Zero, hi = Vector<double>.Zero;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref v, (nuint)i) - m, out Vector<double> a, out Vector<double> b);
                lo += a * a;
                hi += b * b;
            }
            sum = Vector.Sum(lo + hi);
        }
        for (; i < values.Length; i++)
        {
            double d = Unsafe.Add(ref v, i) - mean;
            sum += d * d;
        }
        return sum;
    }

    /// <summary>(Σ dy, Σ dy·(x − mean)) in double.</summary>
    private static (double SumDy, double SumDyXc) SumProducts(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean)
    {
        ref float g = ref MemoryMarshal.GetReference(dy);
        ref float v = ref MemoryMarshal.GetReference(x);
        int i = 0;
        double sumDy = 0, sumDyXc = 0;
        if (Vector.IsHardwareAccelerated && dy.Length >= Vector<float>.Count)
        {
            var m = new Vector<float>(mean);
            Vector<double> s = Vector<double>.Zero, p = Vector<double>.Zero;
            for (; i <= dy.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref g, (nuint)i), out Vector<double> g0, out Vector<double> g1);
                Vector.Widen(Vector.LoadUnsafe(ref v, (nuint)i) - m, out Vector<double> d0, out Vector<double> d1);
                s += g0 + g1;
                p += g0 * d0 + g1 * d1;
            }
            sumDy = Vector.Sum(s);
            sumDyXc = Vector.Sum(p);
        }
        for (; i < dy.Length; i++)
        {
            double gi = Unsafe.Add(ref g, i);
            sumDy += gi;
            sumDyXc += gi * (Unsafe.Add(ref v, i) - mean);
        }
        return (sumDy, sumDyXc);
    }

    /// <summary><c>y = (x − mean)·scale + shift</c>; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    private static void Normalize(ReadOnlySpan<float> x, float mean, float scale, float shift, Span<float> y)
    {
        ref float v = ref MemoryMarshal.GetReference(x);
        ref float o = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> m = new(mean), k = new(scale), s = new(shift);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref v, (nuint)i) - m, k, s).StoreUnsafe(ref o, (nuint)i);
        }
        for (; i < x.Length; i++)
            Unsafe.Add(ref o, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref v, i) - mean, scale, shift);
    }

    /// <summary><c>dx = scale·dy − constant − slope·(x − mean)</c>; <paramref name="dx"/> may be <paramref name="dy"/>.</summary>
    private static void InputGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float mean, float scale, float constant, float slope, Span<float> dx)
    {
        ref float g = ref MemoryMarshal.GetReference(dy);
        ref float v = ref MemoryMarshal.GetReference(x);
        ref float o = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> m = new(mean), a = new(scale), b = new(constant), d = new(slope);
            for (; i <= dy.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> xc = Vector.LoadUnsafe(ref v, (nuint)i) - m;
                (Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref g, (nuint)i), a, -b) - d * xc).StoreUnsafe(ref o, (nuint)i);
            }
        }
        for (; i < dy.Length; i++)
            Unsafe.Add(ref o, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref g, i), scale, -constant) - slope * (Unsafe.Add(ref v, i) - mean);
    }

    // ------------------------------------------------------------------ Across channels (S = 1: one sample's channels are contiguous)

    /// <summary><c>sum[c] += values[c]</c> in double.</summary>
    private static void AccumulateWidened(ReadOnlySpan<float> values, Span<double> sum)
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        ref double s = ref MemoryMarshal.GetReference(sum);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int half = Vector<double>.Count;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref v, (nuint)i), out Vector<double> a, out Vector<double> b);
                (Vector.LoadUnsafe(ref s, (nuint)i) + a).StoreUnsafe(ref s, (nuint)i);
                (Vector.LoadUnsafe(ref s, (nuint)(i + half)) + b).StoreUnsafe(ref s, (nuint)(i + half));
            }
        }
        for (; i < values.Length; i++)
            Unsafe.Add(ref s, i) += Unsafe.Add(ref v, i);
    }

    /// <summary><c>sum[c] += (values[c] − mean[c])²</c>, the square in double.</summary>
    private static void AccumulateSquaredDeviations(ReadOnlySpan<float> values, ReadOnlySpan<float> mean, Span<double> sum)
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        ref float m = ref MemoryMarshal.GetReference(mean);
        ref double s = ref MemoryMarshal.GetReference(sum);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int half = Vector<double>.Count;
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref v, (nuint)i) - Vector.LoadUnsafe(ref m, (nuint)i), out Vector<double> a, out Vector<double> b);
                (Vector.LoadUnsafe(ref s, (nuint)i) + a * a).StoreUnsafe(ref s, (nuint)i);
                (Vector.LoadUnsafe(ref s, (nuint)(i + half)) + b * b).StoreUnsafe(ref s, (nuint)(i + half));
            }
        }
        for (; i < values.Length; i++)
        {
            double d = Unsafe.Add(ref v, i) - Unsafe.Add(ref m, i);
            Unsafe.Add(ref s, i) += d * d;
        }
    }

    /// <summary><c>sum[c] += dy[c]·(x[c] − mean[c])</c> in double.</summary>
    private static void AccumulateProducts(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, Span<double> sum)
    {
        ref float g = ref MemoryMarshal.GetReference(dy);
        ref float v = ref MemoryMarshal.GetReference(x);
        ref float m = ref MemoryMarshal.GetReference(mean);
        ref double s = ref MemoryMarshal.GetReference(sum);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int half = Vector<double>.Count;
            for (; i <= dy.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref g, (nuint)i), out Vector<double> g0, out Vector<double> g1);
                Vector.Widen(Vector.LoadUnsafe(ref v, (nuint)i) - Vector.LoadUnsafe(ref m, (nuint)i), out Vector<double> d0, out Vector<double> d1);
                (Vector.LoadUnsafe(ref s, (nuint)i) + g0 * d0).StoreUnsafe(ref s, (nuint)i);
                (Vector.LoadUnsafe(ref s, (nuint)(i + half)) + g1 * d1).StoreUnsafe(ref s, (nuint)(i + half));
            }
        }
        for (; i < dy.Length; i++)
            Unsafe.Add(ref s, i) += (double)Unsafe.Add(ref g, i) * (Unsafe.Add(ref v, i) - Unsafe.Add(ref m, i));
    }

    /// <summary><c>y[c] = (x[c] − mean[c])·invstd[c]·γ[c] + β[c]</c>; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    private static void NormalizeRow(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        ref float v = ref MemoryMarshal.GetReference(x);
        ref float m = ref MemoryMarshal.GetReference(mean);
        ref float k = ref MemoryMarshal.GetReference(inverseStd);
        ref float w = ref MemoryMarshal.GetReference(gamma);
        ref float t = ref MemoryMarshal.GetReference(beta);
        ref float o = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> scale = Vector.LoadUnsafe(ref w, (nuint)i) * Vector.LoadUnsafe(ref k, (nuint)i);
                Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref v, (nuint)i) - Vector.LoadUnsafe(ref m, (nuint)i), scale, Vector.LoadUnsafe(ref t, (nuint)i))
                    .StoreUnsafe(ref o, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
            Unsafe.Add(ref o, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref v, i) - Unsafe.Add(ref m, i), Unsafe.Add(ref w, i) * Unsafe.Add(ref k, i), Unsafe.Add(ref t, i));
    }

    /// <summary><c>dx[c] = scale[c]·dy[c] − constant[c] − slope[c]·(x[c] − mean[c])</c>; <paramref name="dx"/> may be <paramref name="dy"/>.</summary>
    private static void InputGradientRow(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> constant, ReadOnlySpan<float> slope, Span<float> dx)
    {
        ref float g = ref MemoryMarshal.GetReference(dy);
        ref float v = ref MemoryMarshal.GetReference(x);
        ref float m = ref MemoryMarshal.GetReference(mean);
        ref float a = ref MemoryMarshal.GetReference(scale);
        ref float b = ref MemoryMarshal.GetReference(constant);
        ref float d = ref MemoryMarshal.GetReference(slope);
        ref float o = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= dy.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> xc = Vector.LoadUnsafe(ref v, (nuint)i) - Vector.LoadUnsafe(ref m, (nuint)i);
                (Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref g, (nuint)i), Vector.LoadUnsafe(ref a, (nuint)i), -Vector.LoadUnsafe(ref b, (nuint)i))
                    - Vector.LoadUnsafe(ref d, (nuint)i) * xc).StoreUnsafe(ref o, (nuint)i);
            }
        }
        for (; i < dy.Length; i++)
            Unsafe.Add(ref o, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref g, i), Unsafe.Add(ref a, i), -Unsafe.Add(ref b, i)) - Unsafe.Add(ref d, i) * (Unsafe.Add(ref v, i) - Unsafe.Add(ref m, i));
    }
}
