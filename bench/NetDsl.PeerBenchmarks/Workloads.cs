using System;
using System.Collections.Generic;
using NetDsl.Serialization;

namespace NetDsl.PeerBenchmarks;

/// <summary>A stack of dense layers as the peers see it: sizes, per-layer weights <c>[out, in]</c> and biases, ReLU between layers.</summary>
internal sealed class DenseStack
{
    public DenseStack(int[] sizes, ReadOnlySpan<float> parameters, ReadOnlySpan<ParameterTensor> tensors, bool reluBetween)
    {
        Sizes = sizes;
        ReluBetween = reluBetween;
        for (int layer = 0; layer + 1 < sizes.Length; layer++)
        {
            ParameterTensor weight = Find(tensors, $"{layer}.weight"), bias = Find(tensors, $"{layer}.bias");
            Weights.Add(parameters.Slice(weight.Offset, sizes[layer + 1] * sizes[layer]).ToArray());
            Biases.Add(parameters.Slice(bias.Offset, sizes[layer + 1]).ToArray());
        }
    }

    /// <summary>Input size, then each layer's output size.</summary>
    public int[] Sizes { get; }
    public bool ReluBetween { get; }
    public List<float[]> Weights { get; } = [];
    public List<float[]> Biases { get; } = [];
    public int Layers => Sizes.Length - 1;
    public int InputSize => Sizes[0];
    public int OutputSize => Sizes[^1];

    /// <summary>Multiply-adds of one sample's forward pass, times 2.</summary>
    public double ForwardFlopPerSample
    {
        get
        {
            double flop = 0;
            for (int l = 0; l < Layers; l++)
                flop += 2.0 * Sizes[l] * Sizes[l + 1];
            return flop;
        }
    }

    /// <summary>The forward pass in float64, one scalar loop per product: the reference every engine is checked against.</summary>
    public double[] ReferenceForward(float[] inputs)
    {
        int batch = inputs.Length / InputSize;
        double[] h = Array.ConvertAll(inputs, v => (double)v);
        for (int l = 0; l < Layers; l++)
            h = LayerForward(l, h, batch);
        return h;
    }

    /// <summary>Layer <paramref name="l"/> of <see cref="ReferenceForward"/> on a batch of its inputs.</summary>
    private double[] LayerForward(int l, double[] h, int batch)
    {
        int n = Sizes[l], m = Sizes[l + 1];
        var next = new double[batch * m];
        for (int b = 0; b < batch; b++)
            for (int o = 0; o < m; o++)
            {
                double sum = Biases[l][o];
                for (int i = 0; i < n; i++)
                    sum += h[b * n + i] * Weights[l][o * n + i];
                next[b * m + o] = ReluBetween && l + 1 < Layers ? Math.Max(0, sum) : sum;
            }
        return next;
    }

    /// <summary>
    /// How many of each layer's inputs are zero for one sample (<paramref name="input"/>): the input's own zeros for
    /// the first layer, the ReLU's for the others (from the float64 forward pass).
    /// </summary>
    public int[] ZeroInputs(float[] input)
    {
        var zeros = new int[Layers];
        double[] h = Array.ConvertAll(input, v => (double)v);
        for (int l = 0; l < Layers; l++)
        {
            zeros[l] = Array.FindAll(h, v => v == 0).Length;
            h = LayerForward(l, h, batch: 1);
        }
        return zeros;
    }

    private static ParameterTensor Find(ReadOnlySpan<ParameterTensor> tensors, string name)
    {
        foreach (var tensor in tensors)
            if (tensor.Name == name)
                return tensor;
        throw new InvalidOperationException($"No tensor {name}.");
    }
}

/// <summary>Deterministic inputs and the small helpers every workload shares.</summary>
internal static class Data
{
    public static float[] Uniform(int count, float low, float high, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = low + (high - low) * random.NextSingle();
        return values;
    }

    /// <summary>Gives every bias a small nonzero value (the initializers set them to zero), so the bias paths are compared too.</summary>
    public static void RandomizeBiases(Span<float> parameters, ReadOnlySpan<ParameterTensor> tensors, int seed)
    {
        var random = new Random(seed);
        foreach (var tensor in tensors)
            if (tensor.Name.EndsWith(".bias", StringComparison.Ordinal))
                foreach (ref float b in parameters.Slice(tensor.Offset, tensor.Shape[0]))
                    b = 0.1f * (2 * random.NextSingle() - 1);
    }

    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Lengths differ: {a.Length} and {b.Length}.");
        double max = 0;
        for (int i = 0; i < a.Length; i++)
            max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        return max;
    }

    /// <summary>max |a − reference| / max |reference|: the error relative to the scale of the result.</summary>
    public static double RelativeToReference(ReadOnlySpan<float> a, ReadOnlySpan<double> reference)
    {
        double max = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - reference[i]));
            scale = Math.Max(scale, Math.Abs(reference[i]));
        }
        return max / scale;
    }
}
