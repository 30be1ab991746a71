using System;
using NetDsl.Kernels;
using NetDsl.Tests.Kernels;
using NetDsl.Tests.Models;
using Xunit;
using Layer = NetDsl.Tests.EndToEnd.MlpReference.Layer;

namespace NetDsl.Tests.EndToEnd;

/// <summary>
/// A generated network's <c>Predictor</c>: an inference-only snapshot with each dense layer's weights packed once. It must
/// give the network's outputs bit for bit (the packed panels are the ones the network packs on every call), at every
/// batch size, SIMD path and thread count; it must not see later changes to the network; it must allocate nothing.
/// </summary>
public class PredictorTests
{
    public static TheoryData<int> Batches => new() { 1, 2, 3, 4, 5, 8, 13, 64, 257 };

    [Theory]
    [MemberData(nameof(Batches))]
    public void Odd_sized_mlp_predictor_gives_the_network_bits_and_the_float64_reference(int batch)
    {
        var random = new Random(batch);
        var network = new OddSizes(seed: batch);
        float[] x = TestData.Uniform(random, batch * OddSizes.InputSize);
        var workspace = new OddSizes.Workspace(batch);
        float[] expected = new float[batch * OddSizes.OutputSize], actual = new float[expected.Length];

        network.Forward(x, expected, workspace);
        network.CreatePredictor().Forward(x, actual, workspace);

        AssertSameBits(expected, actual);
        var reference = new MlpReference(new Layer(33, 65, Activation.ReLU), new Layer(65, 17, Activation.LeakyReLU), new Layer(17, 11, Activation.Identity));
        double[] exact = reference.Forward(MlpReference.ToDouble(network.Parameters), MlpReference.ToDouble(x), batch);
        for (int i = 0; i < exact.Length; i++)
            Assert.True(Math.Abs(actual[i] - exact[i]) <= 1e-5 + 1e-5 * Math.Abs(exact[i]), $"output {i}: {actual[i]} against float64 {exact[i]}");
    }

    [Theory]
    [MemberData(nameof(Batches))]
    public void Predictor_gives_the_network_bits_with_activations_outside_the_kernel(int batch)
    {
        // Sigmoid, tanh and softmax run after the product, not in its epilogue; LeakyReLU with a slope of its own.
        var random = new Random(100 + batch);
        var network = new MixedActivations(seed: batch);
        AssertPredictorMatches(network.Forward, network.CreatePredictor().Forward, TestData.Uniform(random, batch * MixedActivations.InputSize),
            batch, MixedActivations.OutputSize, b => new MixedActivations.Workspace(b));
    }

    [Fact]
    public void Predictor_of_a_784_input_mlp_gives_the_network_bits_on_one_and_three_threads()
    {
        using var kernelThreads = KernelThreads.Hold();
        const int batch = 256;
        var network = new Mlp784(seed: 3);
        float[] x = TestData.Uniform(new Random(3), batch * Mlp784.InputSize);
        var workspace = new Mlp784.Workspace(batch);
        var predictor = network.CreatePredictor();
        int saved = KernelOptions.MaxThreads;
        try
        {
            KernelOptions.MaxThreads = 1;
            float[] expected = new float[batch * Mlp784.OutputSize], one = new float[expected.Length], three = new float[expected.Length];
            network.Forward(x, expected, workspace);
            predictor.Forward(x, one, workspace);
            KernelOptions.MaxThreads = 3;
            predictor.Forward(x, three, workspace);
            AssertSameBits(expected, one);
            AssertSameBits(expected, three);
        }
        finally
        {
            KernelOptions.MaxThreads = saved;
        }
    }

    [Fact]
    public void Predictor_keeps_the_weights_it_was_made_with()
    {
        const int batch = 16;
        var random = new Random(7);
        var network = new OddSizes(seed: 7);
        float[] x = TestData.Uniform(random, batch * OddSizes.InputSize);
        float[] targets = new float[batch * OddSizes.OutputSize];
        for (int s = 0; s < batch; s++) targets[s * OddSizes.OutputSize + random.Next(OddSizes.OutputSize)] = 1;
        var workspace = new OddSizes.Workspace(batch);
        float[] before = new float[targets.Length], after = new float[targets.Length], changed = new float[targets.Length];
        network.Forward(x, before, workspace);
        var predictor = network.CreatePredictor();

        // Every way a network's weights change: a training step, a write through Parameters, loading a file.
        network.TrainStep(x, targets, new Sgd(0.5f), workspace);
        network.Parameters[OddSizes.Layer0WeightOffset] += 3f;
        network.Parameters[OddSizes.Layer2BiasOffset] -= 1f;
        var saved = new System.IO.MemoryStream();
        new OddSizes(seed: 99).SaveParameters(saved);
        saved.Position = 0;
        network.LoadParameters(saved);

        predictor.Forward(x, after, workspace);
        AssertSameBits(before, after);
        network.Forward(x, changed, workspace);
        Assert.NotEqual(before, changed);

        // A new snapshot sees the network as it is now.
        network.CreatePredictor().Forward(x, after, workspace);
        AssertSameBits(changed, after);
    }

    [Fact]
    public void Predictor_copies_batch_norm_running_statistics()
    {
        const int batch = 12;
        var random = new Random(11);
        var network = new NormalizedMlp(seed: 11);
        float[] x = TestData.Uniform(random, batch * NormalizedMlp.InputSize, 2f);
        float[] targets = TestData.Uniform(random, batch * NormalizedMlp.OutputSize);
        var workspace = new NormalizedMlp.Workspace(batch);
        for (int i = 0; i < 5; i++)
            network.TrainStep(x, targets, new Sgd(0.05f), workspace); // moves the running mean and variance away from 0 and 1
        Assert.Contains(network.State.ToArray(), v => v != 0f && v != 1f);

        var predictor = network.CreatePredictor();
        AssertPredictorMatches(network.Forward, predictor.Forward, x, batch, NormalizedMlp.OutputSize, b => new NormalizedMlp.Workspace(b));
        float[] before = new float[batch * NormalizedMlp.OutputSize], after = new float[before.Length];
        predictor.Forward(x, before, workspace);
        network.State.Fill(0.5f);
        predictor.Forward(x, after, workspace);
        AssertSameBits(before, after);
    }

    [Fact]
    public void Predictor_of_networks_with_convolutions_dropout_and_recurrent_layers_gives_the_network_bits()
    {
        var random = new Random(13);
        var cnn = new TinyCnn(seed: 13);
        AssertPredictorMatches(cnn.Forward, cnn.CreatePredictor().Forward, TestData.Uniform(random, 9 * TinyCnn.InputSize), 9, TinyCnn.OutputSize, b => new TinyCnn.Workspace(b));

        var dropout = new DigitsWithDropout(seed: 13);
        AssertPredictorMatches(dropout.Forward, dropout.CreatePredictor().Forward, TestData.Uniform(random, 6 * DigitsWithDropout.InputSize), 6, DigitsWithDropout.OutputSize, b => new DigitsWithDropout.Workspace(b));

        var text = new TinyTextClassifier(seed: 13);
        float[] tokens = new float[7 * TinyTextClassifier.InputSize];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = random.Next(7);
        AssertPredictorMatches(text.Forward, text.CreatePredictor().Forward, tokens, 7, TinyTextClassifier.OutputSize, b => new TinyTextClassifier.Workspace(b));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Predictor_with_transformed_winograd_filters_gives_the_network_bits(int batch)
    {
        var random = new Random(19 + batch);
        var network = new WinogradCnn(seed: 19);
        float[] x = TestData.Uniform(random, batch * WinogradCnn.InputSize);
        var predictor = network.CreatePredictor();
        AssertPredictorMatches(network.Forward, predictor.Forward, x, batch, WinogradCnn.OutputSize, b => new WinogradCnn.Workspace(b));

        // The transformed filters are the predictor's own: changing the network's weights does not reach them.
        float[] before = new float[batch * WinogradCnn.OutputSize], after = new float[before.Length];
        var workspace = new WinogradCnn.Workspace(batch);
        predictor.Forward(x, before, workspace);
        network.Parameters.Slice(WinogradCnn.Layer0WeightOffset, 16 * 8 * 25).Fill(0.5f);
        predictor.Forward(x, after, workspace);
        AssertSameBits(before, after);
    }

    [Fact]
    public void Packed_convolution_gives_the_bits_of_the_pass_that_transforms_on_the_way_and_is_ignored_where_it_does_not_apply()
    {
        var random = new Random(23);
        var geometry = new Conv2DGeometry(InChannels: 12, InHeight: 11, InWidth: 9, OutChannels: 32, KernelHeight: 5, KernelWidth: 5,
            StrideHeight: 1, StrideWidth: 1, DilationHeight: 1, DilationWidth: 1, PadTop: 2, PadLeft: 1, PadBottom: 1, PadRight: 2);
        const int batch = 3;
        float[] x = TestData.Uniform(random, batch * geometry.InputSize), w = TestData.Uniform(random, geometry.WeightSize, 0.2f), b = TestData.Uniform(random, 32);
        float[] scratch = new float[Convolution.Conv2DScratchSize(in geometry, batch)];
        float[] expected = new float[batch * geometry.OutputSize], actual = new float[expected.Length];
        Convolution.Conv2DForward(x, w, b, expected, in geometry, batch, scratch, new ReLUActivation());
        Convolution.Conv2DForward(x, w, b, actual, in geometry, batch, scratch, new ReLUActivation(), new PackedConvolution(w, b, in geometry));
        AssertSameBits(expected, actual);

        // Made for another geometry (a different padding): ignored, the pass transforms its own weights.
        var other = geometry with { PadTop = 1 };
        var wrong = new PackedConvolution(TestData.Uniform(random, w.Length), b, in other);
        Convolution.Conv2DForward(x, w, b, actual, in geometry, batch, scratch, new ReLUActivation(), wrong);
        AssertSameBits(expected, actual);
    }

    [Fact]
    public void Predictor_forward_allocates_nothing_after_warm_up()
    {
        using var kernelThreads = KernelThreads.Hold();
        const int batch = 32;
        var network = new Mlp784(seed: 5);
        var predictor = network.CreatePredictor();
        float[] x = TestData.Uniform(new Random(5), batch * Mlp784.InputSize);
        var outputs = new float[batch * Mlp784.OutputSize];
        var workspace = new Mlp784.Workspace(batch);
        void Run()
        {
            predictor.Forward(x, outputs, workspace);
            predictor.Forward(x.AsSpan(0, Mlp784.InputSize), outputs.AsSpan(0, Mlp784.OutputSize), workspace);
            predictor.Forward(x.AsSpan(0, 5 * Mlp784.InputSize), outputs.AsSpan(0, 5 * Mlp784.OutputSize), workspace);
        }
        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
            Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void Packed_product_gives_the_bits_of_the_product_that_packs_on_the_way(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        var random = new Random(17);
        // Below Gemm.PanelMinRows rows the product reads the interleaved row blocks: whole blocks of 8 rows and not, depths
        // with and without whole chunks of 2V, a last single vector and leftover terms.
        foreach ((int m, int n, int k) in new[] { (4, 1, 1), (8, 32, 16), (9, 33, 17), (13, 65, 31), (21, 10, 100), (64, 128, 784), (5, 7, 3),
            (1, 8, 16), (1, 10, 100), (2, 33, 17), (3, 64, 784), (1, 128, 784), (1, 19, 37), (1, 16, 8), (2, 7, 5), (1, 8, 1) })
        {
            float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n);
            float[] expected = new float[m * n], actual = new float[m * n];
            foreach (bool withBias in new[] { true, false })
            {
                ReadOnlySpan<float> usedBias = withBias ? bias : [];
                var packed = new PackedWeights(b, usedBias, n, k, width);
                Gemm.MultiplyTransposedBAt(a, b, usedBias, expected, m, n, k, new LeakyReLUActivation(0.3f), width);
                Gemm.MultiplyTransposedB(a, b, usedBias, actual, m, n, k, new LeakyReLUActivation(0.3f), packed);
                AssertSameBits(expected, actual);
            }
        }
    }

    [Fact]
    public void Packed_weights_of_another_shape_are_refused_with_what_to_do()
    {
        var packed = new PackedWeights(new float[6 * 5], new float[6], outputs: 6, inputs: 5);
        float[] a = new float[8 * 5], c = new float[8 * 6];
        var wrongShape = Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedB(a, new float[6 * 4], new float[6], new float[8 * 6], 8, 6, 4, new IdentityActivation(), packed));
        Assert.Contains("[6, 5] with a bias", wrongShape.Message);
        Assert.Contains("n = 6, k = 4", wrongShape.Message);
        var noBias = Assert.Throws<ArgumentException>(() => Gemm.MultiplyTransposedB(a, new float[6 * 5], [], c, 8, 6, 5, new IdentityActivation(), packed));
        Assert.Contains("without a bias", noBias.Message);
        Assert.Throws<ArgumentException>(() => new PackedWeights(new float[29], new float[6], outputs: 6, inputs: 5));
    }

    /// <summary>A generated <c>Forward</c>, of a network or of its predictor.</summary>
    private delegate void ForwardPass<TWorkspace>(ReadOnlySpan<float> inputs, Span<float> outputs, TWorkspace workspace);

    private static void AssertPredictorMatches<TWorkspace>(ForwardPass<TWorkspace> network, ForwardPass<TWorkspace> predictor,
        float[] x, int batch, int outputSize, Func<int, TWorkspace> workspace)
    {
        float[] expected = new float[batch * outputSize], actual = new float[expected.Length];
        TWorkspace w = workspace(batch);
        network(x, expected, w);
        predictor(x, actual, w);
        AssertSameBits(expected, actual);
    }

    private static void AssertSameBits(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"element {i}: {actual[i]:R}, expected {expected[i]:R} bit for bit");
    }
}
