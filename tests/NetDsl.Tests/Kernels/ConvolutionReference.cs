using System;
using NetDsl.Kernels;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// Plain float64 convolution and pooling, each forward next to its backward, as nested loops over the definitions
/// (NCHW, PyTorch semantics). Nothing here is fast or clever, on purpose: the kernels are tested against it, and it is
/// tested against central finite differences of its own forward passes.
/// </summary>
internal static class ConvolutionReference
{
    /// <summary>
    /// <c>z[b,o,oh,ow] = bias[o] + Σ_{c,kh,kw} w[o,c,kh,kw] · x[b, c, oh·sh − padTop + kh·dh, ow·sw − padLeft + kw·dw]</c>,
    /// inputs outside the image being 0. <paramref name="bias"/> may be null.
    /// </summary>
    public static double[] Conv2D(double[] x, double[] w, double[]? bias, Conv2DGeometry g, int batch)
    {
        int oh_ = g.OutHeight, ow_ = g.OutWidth;
        var z = new double[batch * g.OutputSize];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int oh = 0; oh < oh_; oh++)
                    for (int ow = 0; ow < ow_; ow++)
                    {
                        double sum = bias?[o] ?? 0;
                        for (int c = 0; c < g.InChannels; c++)
                            for (int kh = 0; kh < g.KernelHeight; kh++)
                                for (int kw = 0; kw < g.KernelWidth; kw++)
                                {
                                    int ih = oh * g.StrideHeight - g.PadTop + kh * g.DilationHeight;
                                    int iw = ow * g.StrideWidth - g.PadLeft + kw * g.DilationWidth;
                                    if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                                    sum += w[WeightIndex(g, o, c, kh, kw)] * x[InputIndex(g, b, c, ih, iw)];
                                }
                        z[((b * g.OutChannels + o) * oh_ + oh) * ow_ + ow] = sum;
                    }
        return z;
    }

    /// <summary>
    /// The same loops run backward: each term <c>w·x</c> of <c>z[b,o,oh,ow]</c> sends <c>dz·x</c> to <c>dw</c> and
    /// <c>dz·w</c> to <c>dx</c>; <c>db[o] = Σ dz[:,o,:,:]</c>.
    /// </summary>
    public static (double[] dx, double[] dw, double[] db) Conv2DBackward(double[] x, double[] w, double[] dz, Conv2DGeometry g, int batch)
    {
        int oh_ = g.OutHeight, ow_ = g.OutWidth;
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        var db = new double[g.OutChannels];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int oh = 0; oh < oh_; oh++)
                    for (int ow = 0; ow < ow_; ow++)
                    {
                        double d = dz[((b * g.OutChannels + o) * oh_ + oh) * ow_ + ow];
                        db[o] += d;
                        for (int c = 0; c < g.InChannels; c++)
                            for (int kh = 0; kh < g.KernelHeight; kh++)
                                for (int kw = 0; kw < g.KernelWidth; kw++)
                                {
                                    int ih = oh * g.StrideHeight - g.PadTop + kh * g.DilationHeight;
                                    int iw = ow * g.StrideWidth - g.PadLeft + kw * g.DilationWidth;
                                    if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                                    dw[WeightIndex(g, o, c, kh, kw)] += d * x[InputIndex(g, b, c, ih, iw)];
                                    dx[InputIndex(g, b, c, ih, iw)] += d * w[WeightIndex(g, o, c, kh, kw)];
                                }
                    }
        return (dx, dw, db);
    }

    /// <summary>Max over each window's inputs (padding excluded); the index <c>h·W + w</c> of the first maximum in row-major window order.</summary>
    public static (double[] y, int[] argmax) MaxPool2D(double[] x, Pool2DGeometry g, int batch)
    {
        var y = new double[batch * g.OutputSize];
        var argmax = new int[y.Length];
        int i = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++, i++)
                {
                    double max = double.NegativeInfinity;
                    int best = -1;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            int ih = oh * g.StrideHeight - g.PadTop + kh, iw = ow * g.StrideWidth - g.PadLeft + kw;
                            if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                            double value = x[(plane * g.InHeight + ih) * g.InWidth + iw];
                            if (best < 0 || value > max)
                            {
                                max = value;
                                best = ih * g.InWidth + iw;
                            }
                        }
                    y[i] = max;
                    argmax[i] = best;
                }
        return (y, argmax);
    }

    /// <summary>Each <c>dy</c> goes to its window's maximum.</summary>
    public static double[] MaxPool2DBackward(double[] dy, int[] argmax, Pool2DGeometry g, int batch)
    {
        var dx = new double[batch * g.InputSize];
        int planeOut = g.OutHeight * g.OutWidth, planeIn = g.InHeight * g.InWidth;
        for (int i = 0; i < dy.Length; i++) dx[i / planeOut * planeIn + argmax[i]] += dy[i];
        return dx;
    }

    /// <summary>Sum over each window's inputs, divided by <c>KH·KW</c> (padding counts as zeros).</summary>
    public static double[] AvgPool2D(double[] x, Pool2DGeometry g, int batch)
    {
        var y = new double[batch * g.OutputSize];
        int i = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++, i++)
                {
                    double sum = 0;
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            int ih = oh * g.StrideHeight - g.PadTop + kh, iw = ow * g.StrideWidth - g.PadLeft + kw;
                            if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                            sum += x[(plane * g.InHeight + ih) * g.InWidth + iw];
                        }
                    y[i] = sum / (g.KernelHeight * g.KernelWidth);
                }
        return y;
    }

    /// <summary>Each <c>dy / (KH·KW)</c> goes to every input of its window.</summary>
    public static double[] AvgPool2DBackward(double[] dy, Pool2DGeometry g, int batch)
    {
        var dx = new double[batch * g.InputSize];
        int i = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
            for (int oh = 0; oh < g.OutHeight; oh++)
                for (int ow = 0; ow < g.OutWidth; ow++, i++)
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            int ih = oh * g.StrideHeight - g.PadTop + kh, iw = ow * g.StrideWidth - g.PadLeft + kw;
                            if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth) continue;
                            dx[(plane * g.InHeight + ih) * g.InWidth + iw] += dy[i] / (g.KernelHeight * g.KernelWidth);
                        }
        return dx;
    }

    /// <summary><c>y[b,c] = Σ_s x[b,c,s] / S</c>.</summary>
    public static double[] GlobalAveragePool(double[] x, int channels, int spatial, int batch)
    {
        var y = new double[batch * channels];
        for (int i = 0; i < y.Length; i++)
        {
            for (int s = 0; s < spatial; s++) y[i] += x[i * spatial + s];
            y[i] /= spatial;
        }
        return y;
    }

    /// <summary><c>dx[b,c,s] = dy[b,c] / S</c>.</summary>
    public static double[] GlobalAveragePoolBackward(double[] dy, int channels, int spatial, int batch)
    {
        var dx = new double[batch * channels * spatial];
        for (int i = 0; i < dx.Length; i++) dx[i] = dy[i / spatial] / spatial;
        return dx;
    }

    /// <summary>
    /// <c>∂L/∂θ_j</c> of <c>L(θ) = Σ_i r_i · f(θ)_i</c> by central differences <c>(L(θ + ε e_j) − L(θ − ε e_j)) / 2ε</c>,
    /// for every <c>j</c>.
    /// </summary>
    public static double[] FiniteDifferences(double[] theta, Func<double[], double[]> f, double[] r, double epsilon)
    {
        var gradient = new double[theta.Length];
        double[] shifted = (double[])theta.Clone();
        for (int j = 0; j < theta.Length; j++)
        {
            shifted[j] = theta[j] + epsilon;
            double plus = Dot(r, f(shifted));
            shifted[j] = theta[j] - epsilon;
            double minus = Dot(r, f(shifted));
            shifted[j] = theta[j];
            gradient[j] = (plus - minus) / (2 * epsilon);
        }
        return gradient;
    }

    public static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    public static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    public static double[] Abs(float[] values) => Array.ConvertAll(values, v => (double)Math.Abs(v));

    private static int WeightIndex(Conv2DGeometry g, int o, int c, int kh, int kw) => ((o * g.InChannels + c) * g.KernelHeight + kh) * g.KernelWidth + kw;

    private static int InputIndex(Conv2DGeometry g, int b, int c, int ih, int iw) => ((b * g.InChannels + c) * g.InHeight + ih) * g.InWidth + iw;
}
