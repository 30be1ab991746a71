using System;
using NetDsl.Tests.Models;
using Xunit;
using Layer = NetDsl.Tests.EndToEnd.MlpReference.Layer;

namespace NetDsl.Tests.EndToEnd;

/// <summary>
/// Generated networks against the float64 reference: forward outputs, losses, and every gradient of the
/// backward pass against finite differences; plus the training step, its errors and its allocations.
/// </summary>
public class GeneratedNetworkTests
{
    private static float[] RandomValues(Random random, int count, double scale = 1)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    private static float[] OneHotTargets(Random random, int batch, int classes)
    {
        var targets = new float[batch * classes];
        for (int s = 0; s < batch; s++)
            targets[s * classes + random.Next(classes)] = 1;
        return targets;
    }

    /// <summary>Asserts |actual - expected| ≤ atol + rtol·|expected| element by element, naming the first failure.</summary>
    private static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= atol + rtol * Math.Abs(expected[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {error:E2})");
        }
    }

    public static TheoryData<int> BatchSizes => new() { 1, 2, 3, 7, 16, 33 };

    // ---- Forward --------------------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(BatchSizes))]
    public void Forward_of_every_activation_matches_the_float64_reference(int batch)
    {
        var random = new Random(batch);
        var network = new MixedActivations(seed: batch);
        var reference = new MlpReference(
            new Layer(7, 9, Activation.LeakyReLU, 0.1f), new Layer(9, 5, Activation.Sigmoid),
            new Layer(5, 6, Activation.Tanh), new Layer(6, 4, Activation.Softmax));
        RandomValues(random, MixedActivations.ParameterCount).CopyTo(network.Parameters);
        float[] x = RandomValues(random, batch * MixedActivations.InputSize, 2);

        var outputs = new float[batch * MixedActivations.OutputSize];
        network.Forward(x, outputs, new MixedActivations.Workspace(batch));

        double[] expected = reference.Forward(MlpReference.ToDouble(network.Parameters), MlpReference.ToDouble(x), batch);
        AssertClose(expected, outputs, rtol: 1e-5, atol: 1e-6, "output");
    }

    [Theory]
    [MemberData(nameof(BatchSizes))]
    public void Forward_at_sizes_around_the_vector_widths_matches_the_reference(int batch)
    {
        var random = new Random(100 + batch);
        var network = new OddSizes(seed: batch);
        var reference = new MlpReference(new Layer(33, 65, Activation.ReLU), new Layer(65, 17, Activation.LeakyReLU), new Layer(17, 11, Activation.Identity));
        float[] x = RandomValues(random, batch * OddSizes.InputSize);

        var outputs = new float[batch * OddSizes.OutputSize];
        network.Forward(x, outputs, new OddSizes.Workspace(batch));

        double[] expected = reference.Forward(MlpReference.ToDouble(network.Parameters), MlpReference.ToDouble(x), batch);
        AssertClose(expected, outputs, rtol: 1e-5, atol: 1e-5, "output");
    }

    [Fact]
    public void Perceptron_outputs_are_the_step_of_the_weighted_sum()
    {
        var network = new Perceptron2();
        float[] p = [1f, 1f, -1.5f]; // w = (1, 1), b = -1.5: logical AND
        p.CopyTo(network.Parameters);
        float[] x = [0, 0, 0, 1, 1, 0, 1, 1];
        var outputs = new float[4];
        network.Forward(x, outputs, new Perceptron2.Workspace(4));
        Assert.Equal([0f, 0f, 0f, 1f], outputs);
    }

    // ---- Backward: every gradient against finite differences -------------------------------------------------

    private static void CheckGradients(Loss loss, MlpReference reference, Span<float> parameters, Func<float[], float[], float[], float[], float> forwardBackward,
        float[] x, float[] targets, int batch, int outputs)
    {
        // The generated loss and gradients...
        var parameterGradient = new float[parameters.Length];
        var inputGradient = new float[x.Length];
        float generatedLoss = forwardBackward(x, targets, parameterGradient, inputGradient);

        // ...against the float64 reference and its finite differences.
        double[] p = MlpReference.ToDouble(parameters), xd = MlpReference.ToDouble(x), t = MlpReference.ToDouble(targets);
        double expectedLoss = MlpReference.Loss(loss, reference.Forward(p, xd, batch), t, batch);
        Assert.True(Math.Abs(generatedLoss - expectedLoss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)), $"loss {generatedLoss} vs reference {expectedLoss}");

        (double[] dp, double[] dx) = reference.FiniteDifferences(loss, p, xd, t, batch);
        AssertClose(dp, parameterGradient, rtol: 2e-3, atol: 2e-5, "dL/dθ");
        AssertClose(dx, inputGradient, rtol: 2e-3, atol: 2e-5, "dL/dx");
    }

    [Theory]
    [MemberData(nameof(BatchSizes))]
    public void Backward_through_every_activation_matches_finite_differences(int batch)
    {
        var random = new Random(200 + batch);
        var network = new MixedActivations(seed: batch);
        var reference = new MlpReference(
            new Layer(7, 9, Activation.LeakyReLU, 0.1f), new Layer(9, 5, Activation.Sigmoid),
            new Layer(5, 6, Activation.Tanh), new Layer(6, 4, Activation.Softmax));
        var workspace = new MixedActivations.Workspace(batch);
        float[] x = RandomValues(random, batch * MixedActivations.InputSize, 2);
        float[] targets = RandomValues(random, batch * MixedActivations.OutputSize);

        CheckGradients(Loss.MeanSquaredError, reference, network.Parameters, (input, t, dp, dx) =>
        {
            // Loss and dL/dy by hand from the documented MSE, then the generated backward pass.
            var y = new float[t.Length];
            network.Forward(input, y, workspace);
            var dy = new float[t.Length];
            double loss = 0;
            for (int i = 0; i < y.Length; i++)
            {
                loss += (y[i] - t[i]) * (y[i] - t[i]);
                dy[i] = 2 * (y[i] - t[i]) / y.Length;
            }
            network.Backward(input, dy, dx, workspace);
            network.Gradients.CopyTo(dp);
            return (float)(loss / y.Length);
        }, x, targets, batch, MixedActivations.OutputSize);
    }

    [Theory]
    [MemberData(nameof(BatchSizes))]
    public void Training_gradients_of_softmax_cross_entropy_match_finite_differences(int batch)
    {
        var random = new Random(300 + batch);
        var network = new OddSizes(seed: batch);
        var reference = new MlpReference(new Layer(33, 65, Activation.ReLU), new Layer(65, 17, Activation.LeakyReLU), new Layer(17, 11, Activation.Identity));
        var workspace = new OddSizes.Workspace(batch);
        float[] x = RandomValues(random, batch * OddSizes.InputSize);
        float[] targets = OneHotTargets(random, batch, OddSizes.OutputSize);

        CheckGradients(Loss.SoftmaxCrossEntropy, reference, network.Parameters, TrainingGradients(network, workspace, (y, t, dy) => NetDsl.Kernels.LossFunctions.SoftmaxCrossEntropy(y, t, dy, OddSizes.OutputSize)), x, targets, batch, OddSizes.OutputSize);
    }

    [Theory]
    [MemberData(nameof(BatchSizes))]
    public void Training_gradients_of_binary_cross_entropy_match_finite_differences(int batch)
    {
        var random = new Random(400 + batch);
        var network = new MultiLabel(seed: batch);
        var reference = new MlpReference(new Layer(5, 6, Activation.ReLU), new Layer(6, 3, Activation.Identity));
        var workspace = new MultiLabel.Workspace(batch);
        float[] x = RandomValues(random, batch * MultiLabel.InputSize);
        var targets = new float[batch * MultiLabel.OutputSize];
        for (int i = 0; i < targets.Length; i++)
            targets[i] = random.Next(2);

        CheckGradients(Loss.BinaryCrossEntropy, reference, network.Parameters, TrainingGradients(network, workspace, (y, t, dy) => NetDsl.Kernels.LossFunctions.BinaryCrossEntropy(y, t, dy)), x, targets, batch, MultiLabel.OutputSize);
    }

    [Theory]
    [MemberData(nameof(BatchSizes))]
    public void Training_gradients_of_mean_squared_error_match_finite_differences(int batch)
    {
        var random = new Random(500 + batch);
        var network = new DiabetesRegressor(seed: batch);
        var reference = new MlpReference(new Layer(10, 16, Activation.ReLU), new Layer(16, 1, Activation.Identity));
        var workspace = new DiabetesRegressor.Workspace(batch);
        float[] x = RandomValues(random, batch * DiabetesRegressor.InputSize);
        float[] targets = RandomValues(random, batch);

        CheckGradients(Loss.MeanSquaredError, reference, network.Parameters, TrainingGradients(network, workspace, (y, t, dy) => NetDsl.Kernels.LossFunctions.MeanSquaredError(y, t, dy)), x, targets, batch, 1);
    }

    /// <summary>dL/dθ from the training step (seen by an optimizer that only records them) and dL/dx from the backward
    /// pass given <paramref name="lossGradient"/>'s dL/dy: the training step does not compute dL/dx.</summary>
    private static Func<float[], float[], float[], float[], float> TrainingGradients(ITrainableNetwork network, NetworkWorkspace workspace, Action<float[], float[], float[]> lossGradient)
        => (input, t, dp, dx) =>
        {
            var recorder = new GradientRecorder();
            float loss = network.TrainStep(input, t, recorder, workspace);
            recorder.Gradients.CopyTo(dp);
            var y = new float[t.Length];
            network.Forward(input, y, workspace);
            var dy = new float[t.Length];
            lossGradient(y, t, dy);
            network.Backward(input, dy, dx, workspace);
            return loss;
        };

    /// <summary>An optimizer that only records the gradients it is given and leaves the parameters alone.</summary>
    private sealed class GradientRecorder : IOptimizer
    {
        public float[] Gradients { get; private set; } = [];

        public float LearningRate { get; set; }

        public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => Gradients = gradients.ToArray();
    }

    // ---- The perceptron rule ---------------------------------------------------------------------------------

    [Fact]
    public void Perceptron_training_step_is_the_perceptron_rule()
    {
        var random = new Random(7);
        var network = new Perceptron5x3();
        RandomValues(random, Perceptron5x3.ParameterCount).CopyTo(network.Parameters);
        const int batch = 6;
        float[] x = RandomValues(random, batch * 5);
        var t = new float[batch * 3];
        for (int i = 0; i < t.Length; i++)
            t[i] = random.Next(2);

        // w[o,i] += lr · mean over samples of (t - y)[s,o] · x[s,i];  b[o] += lr · mean of (t - y)[s,o]
        const float lr = 0.5f;
        double[] expected = MlpReference.ToDouble(network.Parameters);
        var reference = new MlpReference(new Layer(5, 3, Activation.Step));
        double[] y = reference.Forward(expected, MlpReference.ToDouble(x), batch);
        int wrong = 0;
        double[] before = (double[])expected.Clone();
        for (int s = 0; s < batch; s++)
        {
            for (int o = 0; o < 3; o++)
            {
                double error = t[s * 3 + o] - y[s * 3 + o];
                if (error != 0) wrong++;
                for (int i = 0; i < 5; i++)
                    expected[o * 5 + i] += lr * error * x[s * 5 + i] / batch;
                expected[15 + o] += lr * error / batch;
            }
        }

        float loss = network.TrainStep(x, t, new Sgd(lr), new Perceptron5x3.Workspace(batch));

        Assert.Equal((double)wrong / (batch * 3), loss, 6);
        AssertClose(expected, network.Parameters, rtol: 1e-6, atol: 1e-6, "parameters after one step");
        Assert.NotEqual(before, MlpReference.ToDouble(network.Parameters));
    }

    [Fact]
    public void Perceptron_learns_a_linearly_separable_function_and_stops_changing()
    {
        var network = new Perceptron2();
        float[] x = [0, 0, 0, 1, 1, 0, 1, 1];
        float[] or = [0, 1, 1, 1];
        var workspace = new Perceptron2.Workspace(4);
        var sgd = new Sgd(1f);
        int epoch = 0;
        while (network.TrainStep(x, or, sgd, workspace) > 0)
            Assert.True(++epoch < 100, "the perceptron did not converge on OR in 100 epochs");

        var outputs = new float[4];
        network.Forward(x, outputs, workspace);
        Assert.Equal(or, outputs);
    }

    // ---- Errors ----------------------------------------------------------------------------------------------

    [Fact]
    public void A_batch_larger_than_the_workspace_says_how_to_fix_it()
    {
        var network = new IrisClassifier();
        var e = Assert.Throws<ArgumentException>(() => network.Forward(new float[3 * 4], new float[3 * 3], new IrisClassifier.Workspace(2)));
        Assert.Contains("3 samples", e.Message);
        Assert.Contains("new Workspace(maxBatchSize: 3)", e.Message);
    }

    [Fact]
    public void Inputs_that_are_not_whole_samples_are_rejected()
    {
        var network = new IrisClassifier();
        var e = Assert.Throws<ArgumentException>(() => network.Forward(new float[5], new float[3], new IrisClassifier.Workspace(2)));
        Assert.Contains("5 values", e.Message);
        Assert.Throws<ArgumentException>(() => network.Forward(new float[4], new float[4], new IrisClassifier.Workspace(2)));
        Assert.Throws<ArgumentException>(() => network.TrainStep(new float[4], new float[2], new Sgd(0.1f), new IrisClassifier.Workspace(2)));
    }

    [Fact]
    public void A_NaN_loss_stops_training_with_a_clear_error_and_leaves_the_parameters_alone()
    {
        var network = new IrisClassifier();
        float[] before = network.Parameters.ToArray();
        float[] x = [1, float.NaN, 3, 4];
        var e = Assert.Throws<ArithmeticException>(() => network.TrainStep(x, [1, 0, 0], new Sgd(0.1f), new IrisClassifier.Workspace()));
        Assert.Contains("NaN", e.Message);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    // ---- Determinism, threads, allocations --------------------------------------------------------------------

    [Fact]
    public void Equal_seeds_give_equal_networks_and_different_seeds_different_ones()
    {
        Assert.Equal(new Mlp784(seed: 3).Parameters.ToArray(), new Mlp784(seed: 3).Parameters.ToArray());
        Assert.NotEqual(new Mlp784(seed: 3).Parameters.ToArray(), new Mlp784(seed: 4).Parameters.ToArray());
    }

    [Fact]
    public void Inference_from_several_threads_with_a_workspace_each_gives_the_sequential_results()
    {
        var network = new Mlp784(seed: 1);
        var random = new Random(1);
        const int samples = 64;
        float[] x = RandomValues(random, samples * Mlp784.InputSize);
        var expected = new float[samples * Mlp784.OutputSize];
        var sequential = new Mlp784.Workspace();
        for (int s = 0; s < samples; s++)
            network.Forward(x.AsSpan(s * 784, 784), expected.AsSpan(s * 10, 10), sequential);

        var actual = new float[samples * Mlp784.OutputSize];
        var threads = new System.Threading.Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            int first = t;
            threads[t] = new System.Threading.Thread(() =>
            {
                var workspace = new Mlp784.Workspace();
                for (int repeat = 0; repeat < 20; repeat++)
                {
                    for (int s = first; s < samples; s += threads.Length)
                        network.Forward(x.AsSpan(s * 784, 784), actual.AsSpan(s * 10, 10), workspace);
                }
            });
            threads[t].Start();
        }
        foreach (var thread in threads)
            thread.Join();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Forward_backward_and_training_steps_allocate_nothing_after_warm_up()
    {
        using var kernelThreads = KernelThreads.Hold();
        var network = new Mlp784(seed: 2);
        var random = new Random(2);
        const int batch = 32;
        float[] x = RandomValues(random, batch * Mlp784.InputSize);
        float[] targets = OneHotTargets(random, batch, Mlp784.OutputSize);
        var outputs = new float[batch * Mlp784.OutputSize];
        var inputGradient = new float[x.Length];
        var workspace = new Mlp784.Workspace(batch);
        var sgd = new Sgd(0.01f, momentum: 0.9f);
        var adam = new Adam(1e-3f);

        void Run()
        {
            network.Forward(x, outputs, workspace);
            network.Forward(x.AsSpan(0, Mlp784.InputSize), outputs.AsSpan(0, Mlp784.OutputSize), workspace);
            network.Backward(x, outputs, inputGradient, workspace);
            network.TrainStep(x, targets, sgd, workspace);
            network.TrainStep(x, targets, adam, workspace);
            network.ComputeLoss(x, targets, workspace);
        }

        Run(); // warm-up: optimizers allocate their state on their first step
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
            Run();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}
