using System;
using System.Linq;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// <see cref="Recurrent"/> against the float64 <see cref="RecurrentReference"/>: forward outputs at odd sizes, with and
/// without lengths, forward and reverse; every gradient (weights, biases, input) against central finite differences of
/// <c>L = Σ w ⊙ hidden</c>, for full BPTT and for truncated BPTT (against finite differences of a forward that detaches
/// the state exactly where the documented truncation cuts it).
/// </summary>
public class RecurrentTests
{
    public static TheoryData<RecurrentCell> Cells => new() { RecurrentCell.SimpleRnn, RecurrentCell.Lstm, RecurrentCell.Gru };

    private static readonly SimdWidth[] AllWidths = [SimdWidth.Scalar, SimdWidth.Vector128, SimdWidth.Vector256, SimdWidth.Vector512];

    /// <summary>One layer, its inputs and the weights <c>w</c> of the loss <c>Σ w ⊙ hidden</c>.</summary>
    private sealed record Case(RecurrentCell Cell, int Batch, int Steps, int Input, int Hidden, int[] Lengths, bool Reverse,
        float[] X, float[] WeightIh, float[] WeightHh, float[] BiasIh, float[] BiasHh, float[] W)
    {
        public RecurrentGeometry Geometry => new(Steps, Input, Hidden);
        public int GateWidth => Recurrent.Gates(Cell) * Hidden;
        public override string ToString() => $"{Cell} B={Batch} T={Steps} I={Input} H={Hidden} lengths=[{string.Join(",", Lengths)}] reverse={Reverse}";

        public RecurrentReference.Layer Reference() => new(Cell, Input, Hidden, D(WeightIh), D(WeightHh), D(BiasIh), D(BiasHh));
    }

    private sealed record Gradients(float[] WeightIh, float[] WeightHh, float[] BiasIh, float[] BiasHh, float[] X);

    private sealed record ReferenceGradients(double[] WeightIh, double[] WeightHh, double[] BiasIh, double[] BiasHh, double[] X);

    private static double[] D(float[] values) => values.Select(v => (double)v).ToArray();

    private static Case Make(RecurrentCell cell, int batch, int steps, int input, int hidden, int[] lengths, bool reverse, int seed)
    {
        var random = new Random(seed);
        int gh = Recurrent.Gates(cell) * hidden;
        float scale = 1f / MathF.Sqrt(hidden) + 0.3f; // a little above PyTorch's init range, so gates leave their linear part
        return new Case(cell, batch, steps, input, hidden, lengths, reverse,
            TestData.Uniform(random, batch * steps * input), TestData.Uniform(random, gh * input, scale), TestData.Uniform(random, gh * hidden, scale),
            TestData.Uniform(random, gh, scale), TestData.Uniform(random, gh, scale), TestData.Uniform(random, batch * steps * hidden));
    }

    private static float[] Filled(int length) => Enumerable.Repeat(float.NaN, length).ToArray();

    private static (float[] Hidden, float[] Cache) RunForward(Case c, SimdWidth? width = null)
    {
        float[] hidden = Filled(c.Batch * c.Steps * c.Hidden);
        float[] cache = Filled(Recurrent.CacheSize(c.Cell, c.Geometry, c.Batch));
        if (width is { } w)
        {
            Recurrent.ForwardAt(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, c.BiasIh, c.BiasHh, hidden, cache, c.Geometry, c.Batch, c.Reverse, w);
        }
        else
        {
            Recurrent.Forward(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, c.BiasIh, c.BiasHh, hidden, cache, c.Geometry, c.Batch, c.Reverse);
        }
        return (hidden, cache);
    }

    private static Gradients RunBackward(Case c, int truncation, SimdWidth width, float[]? hiddenGradient = null)
    {
        var (hidden, cache) = RunForward(c, width);
        var gradients = new Gradients(Filled(c.WeightIh.Length), Filled(c.WeightHh.Length), Filled(c.BiasIh.Length), Filled(c.BiasHh.Length), Filled(c.X.Length));
        float[] scratch = Filled(Recurrent.ScratchSize(c.Cell, c.Geometry, c.Batch));
        Recurrent.BackwardAt(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, hidden, cache, hiddenGradient ?? c.W,
            gradients.WeightIh, gradients.WeightHh, gradients.BiasIh, gradients.BiasHh, gradients.X, scratch, c.Geometry, c.Batch,
            truncation, c.Reverse, width);
        return gradients;
    }

    /// <summary>Finite differences of the reference loss; with <paramref name="truncation"/> &gt; 0, of the detached forward.</summary>
    private static ReferenceGradients Reference(Case c, int truncation = 0, double[]? w = null)
    {
        var layer = c.Reference();
        double[] x = D(c.X), weights = w ?? D(c.W);
        (double[], double[])? frozen = truncation > 0 ? RecurrentReference.States(layer, x, c.Lengths, c.Batch, c.Steps, c.Reverse) : null;
        double Loss() => RecurrentReference.Loss(RecurrentReference.Forward(layer, x, c.Lengths, c.Batch, c.Steps, c.Reverse, truncation, frozen), weights);
        return new ReferenceGradients(RecurrentReference.Gradient(layer.WeightIh, Loss), RecurrentReference.Gradient(layer.WeightHh, Loss),
            RecurrentReference.Gradient(layer.BiasIh, Loss), RecurrentReference.Gradient(layer.BiasHh, Loss), RecurrentReference.Gradient(x, Loss));
    }

    private static void AssertNear(ReferenceGradients expected, Gradients actual, string what)
    {
        const double absolute = 2e-5, relative = 2e-4;
        TestData.Near(expected.WeightIh, actual.WeightIh, absolute, relative, $"{what}: dW_ih");
        TestData.Near(expected.WeightHh, actual.WeightHh, absolute, relative, $"{what}: dW_hh");
        TestData.Near(expected.BiasIh, actual.BiasIh, absolute, relative, $"{what}: db_ih");
        TestData.Near(expected.BiasHh, actual.BiasHh, absolute, relative, $"{what}: db_hh");
        TestData.Near(expected.X, actual.X, absolute, relative, $"{what}: dx");
    }

    [Theory, MemberData(nameof(Cells))]
    public void ForwardMatchesReference(RecurrentCell cell)
    {
        var cases = new (int B, int T, int I, int H, int[] Lengths, bool Reverse)[]
        {
            (1, 7, 3, 5, [], false), (1, 7, 3, 5, [], true), (1, 7, 3, 5, [4], false), (1, 7, 3, 5, [4], true),
            (3, 7, 3, 5, [], false), (3, 7, 3, 5, [7, 4, 1], false), (3, 7, 3, 5, [7, 4, 1], true),
            // Six samples: the per-step products take the panel path; a sample of length 0 stays all zero.
            (6, 7, 3, 5, [7, 0, 3, 5, 7, 2], false), (6, 7, 3, 5, [7, 0, 3, 5, 7, 2], true),
            (5, 6, 11, 19, [6, 2, 5, 1, 3], false), (2, 9, 32, 40, [], true), (1, 4, 5, 67, [], false),
        };
        int seed = 100;
        foreach (var (b, t, i, h, lengths, reverse) in cases)
        {
            Case c = Make(cell, b, t, i, h, lengths, reverse, seed++);
            double[] expected = RecurrentReference.Forward(c.Reference(), D(c.X), c.Lengths, b, t, reverse);
            foreach (SimdWidth width in AllWidths)
            {
                TestData.Near(expected, RunForward(c, width).Hidden, 1e-5, 1e-4, $"{c} at {width}");
            }
        }
    }

    [Theory, MemberData(nameof(Cells))]
    public void SaturatedGatesStayFiniteAndExact(RecurrentCell cell)
    {
        // Pre-activations in the hundreds: sigmoid and tanh must give exactly 0, ±1, never NaN or overflow.
        Case c = Make(cell, 2, 5, 3, 17, [5, 3], false, 700);
        Case large = c with { WeightIh = c.WeightIh.Select(v => v * 300).ToArray(), WeightHh = c.WeightHh.Select(v => v * 300).ToArray() };
        double[] expected = RecurrentReference.Forward(large.Reference(), D(large.X), large.Lengths, 2, 5, false);
        foreach (SimdWidth width in AllWidths)
        {
            TestData.Near(expected, RunForward(large, width).Hidden, 1e-5, 1e-4, $"{large} at {width}");
        }
    }

    [Theory, MemberData(nameof(Cells))]
    public void LastStateIsAtEachSamplesLastStep(RecurrentCell cell)
    {
        // Forward: the last state of a sample of length L is hidden[b, L−1], and it equals running that sample alone on
        // its first L steps. Reverse: its state after all steps is at position 0, and equals running the reversed prefix.
        foreach (bool reverse in new[] { false, true })
        {
            Case c = Make(cell, 3, 6, 3, 5, [6, 3, 1], reverse, 7);
            float[] hidden = RunForward(c).Hidden;
            for (int b = 0; b < 3; b++)
            {
                int length = c.Lengths[b];
                float[] x = new float[length * 3];
                for (int s = 0; s < length; s++)
                {
                    int t = reverse ? length - 1 - s : s;
                    Array.Copy(c.X, (b * 6 + t) * 3, x, s * 3, 3);
                }
                var alone = c with { Batch = 1, Steps = length, Lengths = [], Reverse = false, X = x };
                float[] aloneHidden = RunForward(alone).Hidden;
                int last = reverse ? 0 : length - 1;
                // Equal up to rounding: the products take other paths for other batch sizes.
                TestData.Near(D(aloneHidden.AsSpan((length - 1) * 5, 5).ToArray()), hidden.AsSpan((b * 6 + last) * 5, 5), 1e-6, 1e-6, $"reverse={reverse} sample {b}");
            }
        }
    }

    [Theory, MemberData(nameof(Cells))]
    public void FullBackpropagationThroughTimeMatchesFiniteDifferencesAtEveryWidth(RecurrentCell cell)
    {
        var cases = new[]
        {
            Make(cell, 1, 7, 3, 5, [], false, 200),
            Make(cell, 3, 7, 3, 5, [7, 4, 1], true, 201),
            Make(cell, 3, 7, 3, 5, [2, 7, 5], false, 202),
            Make(cell, 5, 4, 4, 19, [4, 2, 3, 1, 4], false, 203), // panel products; 19 = 16 + 3 = 2·8 + 3 lanes
        };
        foreach (Case c in cases)
        {
            ReferenceGradients expected = Reference(c);
            foreach (SimdWidth width in AllWidths)
            {
                AssertNear(expected, RunBackward(c, 0, width), $"{c} at {width}");
            }
        }
    }

    [Theory, MemberData(nameof(Cells))]
    public void TruncatedBackpropagationMatchesDetachedReferenceAndDiffersFromFull(RecurrentCell cell)
    {
        int seed = 300;
        foreach (bool reverse in new[] { false, true })
        {
            Case c = Make(cell, 3, 7, 3, 5, [7, 5, 2], reverse, seed++);
            Gradients full = RunBackward(c, 0, SimdDispatch.Best);
            foreach (int k in new[] { 1, 2, 3, 7 })
            {
                Gradients truncated = RunBackward(c, k, SimdDispatch.Best);
                AssertNear(Reference(c, k), truncated, $"{c} truncation {k}");
                double difference = full.WeightHh.Zip(truncated.WeightHh, (a, b) => Math.Abs(a - b)).Max();
                if (k < 7)
                {
                    Assert.True(difference > 1e-3, $"{c}: truncation {k} should change dW_hh, max change {difference:E2}");
                }
                else
                {
                    // A window as long as the sequence cuts nothing.
                    Assert.True(difference < 1e-5, $"{c}: truncation {k} ≥ T should equal full BPTT, max change {difference:E2}");
                }
            }
        }
    }

    [Theory]
    [InlineData(RecurrentCell.Lstm)]
    [InlineData(RecurrentCell.Gru)]
    public void GradientFromTheLastStepReachesTheFirstInput(RecurrentCell cell)
    {
        const int steps = 12, inputs = 3, units = 5;
        Case c = Make(cell, 1, steps, inputs, units, [], false, 400);
        // dL/dh only at the last step: the classifier case.
        float[] onlyLast = new float[steps * units];
        Array.Copy(c.W, (steps - 1) * units, onlyLast, (steps - 1) * units, units);

        Gradients full = RunBackward(c, 0, SimdDispatch.Best, onlyLast);
        double firstInput = full.X.Take(inputs).Max(v => Math.Abs(v));
        Assert.True(firstInput > 1e-4, $"full BPTT: |dL/dx_0| = {firstInput:E2}, expected the gradient to reach step 0");
        ReferenceGradients expected = Reference(c, 0, D(onlyLast));
        TestData.Near(expected.X, full.X, 2e-5, 2e-4, "dx, last step only");

        // Truncated to 4 steps: exactly the last 4 inputs get a gradient.
        Gradients truncated = RunBackward(c, 4, SimdDispatch.Best, onlyLast);
        for (int t = 0; t < steps; t++)
        {
            double magnitude = truncated.X.Skip(t * inputs).Take(inputs).Max(v => Math.Abs(v));
            if (t < steps - 4) Assert.Equal(0.0, magnitude);
            else Assert.True(magnitude > 0, $"truncation 4: step {t} should get a gradient");
        }
    }

    [Theory, MemberData(nameof(Cells))]
    public void WithoutBiasesAndInputGradient(RecurrentCell cell)
    {
        // Empty biases mean none (bias=False); an empty input gradient is not computed.
        Case c = Make(cell, 2, 5, 3, 4, [5, 3], false, 500);
        Case unbiased = c with { BiasIh = new float[c.BiasIh.Length], BiasHh = new float[c.BiasHh.Length] };
        float[] expected = RunForward(unbiased).Hidden;
        float[] hidden = new float[expected.Length], cache = new float[Recurrent.CacheSize(cell, c.Geometry, 2)];
        Recurrent.Forward(cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, [], [], hidden, cache, c.Geometry, 2);
        Assert.Equal(expected, hidden);

        Gradients withBiases = RunBackward(unbiased, 0, SimdDispatch.Best);
        float[] dWih = new float[c.WeightIh.Length], dWhh = new float[c.WeightHh.Length];
        Recurrent.Backward(cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, hidden, cache, c.W, dWih, dWhh, [], [], [],
            new float[Recurrent.ScratchSize(cell, c.Geometry, 2)], c.Geometry, 2);
        Assert.Equal(withBiases.WeightIh, dWih);
        Assert.Equal(withBiases.WeightHh, dWhh);
    }

    /// <summary>
    /// The LSTM's own paths: from 4 samples one fused product per step forward and backward (units in vectors and, past
    /// the last whole vector, one by one; the backward panels of 4 vectors partly past <c>H</c>), and for one sample
    /// at Vector512 the streaming step (<c>H</c> a multiple of 16). Forward against the float64 reference, every
    /// gradient against finite differences, with lengths, reverse, truncation and without biases.
    /// </summary>
    [Fact]
    public void LstmBatchAndSingleSamplePathsMatchReference()
    {
        var forwardCases = new[]
        {
            Make(RecurrentCell.Lstm, 1, 6, 4, 32, [], false, 700), Make(RecurrentCell.Lstm, 1, 6, 4, 32, [], true, 701),
            Make(RecurrentCell.Lstm, 1, 6, 4, 32, [4], true, 702), Make(RecurrentCell.Lstm, 1, 6, 4, 32, [0], false, 703),
            Make(RecurrentCell.Lstm, 5, 6, 4, 48, [6, 0, 2, 5, 1], true, 704), Make(RecurrentCell.Lstm, 8, 5, 3, 36, [], false, 705),
        };
        foreach (Case c in forwardCases)
        {
            double[] expected = RecurrentReference.Forward(c.Reference(), D(c.X), c.Lengths, c.Batch, c.Steps, c.Reverse);
            foreach (SimdWidth width in AllWidths)
            {
                TestData.Near(expected, RunForward(c, width).Hidden, 1e-5, 1e-4, $"{c} at {width}");
            }
        }

        var gradientCases = new[]
        {
            Make(RecurrentCell.Lstm, 1, 5, 3, 16, [], false, 710), Make(RecurrentCell.Lstm, 1, 5, 3, 16, [4], true, 711),
            Make(RecurrentCell.Lstm, 5, 5, 3, 20, [5, 3, 0, 5, 1], false, 712), Make(RecurrentCell.Lstm, 4, 5, 3, 20, [2, 5, 4, 5], true, 713),
        };
        foreach (Case c in gradientCases)
        {
            ReferenceGradients expected = Reference(c);
            foreach (SimdWidth width in AllWidths)
            {
                AssertNear(expected, RunBackward(c, 0, width), $"{c} at {width}");
            }
        }
        foreach (Case c in gradientCases.Skip(2))
        {
            foreach (int k in new[] { 1, 2, 3 })
            {
                AssertNear(Reference(c, k), RunBackward(c, k, SimdDispatch.Best), $"{c} truncation {k}");
            }
            Case unbiased = c with { BiasIh = new float[c.BiasIh.Length], BiasHh = new float[c.BiasHh.Length] };
            float[] hidden = new float[c.Batch * c.Steps * c.Hidden], cache = new float[Recurrent.CacheSize(c.Cell, c.Geometry, c.Batch)];
            Recurrent.Forward(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, [], [], hidden, cache, c.Geometry, c.Batch, c.Reverse);
            Assert.Equal(RunForward(unbiased).Hidden, hidden);
            float[] dWih = new float[c.WeightIh.Length], dWhh = new float[c.WeightHh.Length];
            Recurrent.Backward(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, hidden, cache, c.W, dWih, dWhh, [], [], [],
                new float[Recurrent.ScratchSize(c.Cell, c.Geometry, c.Batch)], c.Geometry, c.Batch, reverse: c.Reverse);
            Gradients withBiases = RunBackward(unbiased, 0, SimdDispatch.Best);
            Assert.Equal(withBiases.WeightIh, dWih);
            Assert.Equal(withBiases.WeightHh, dWhh);
        }
    }

    /// <summary>
    /// One sample of a GRU or simple RNN: at Vector512 with <c>H</c> a multiple of 16 the streaming step
    /// (<see cref="RecurrentGruOne"/>, <see cref="RecurrentRnnOne"/>), otherwise the shared path. Forward against the
    /// float64 reference at every width, every gradient (which reads the forward's cache) against finite differences,
    /// with lengths (0 included), reverse, truncation and without biases.
    /// </summary>
    [Theory]
    [InlineData(RecurrentCell.Gru)]
    [InlineData(RecurrentCell.SimpleRnn)]
    public void GruAndRnnSingleSamplePathsMatchReference(RecurrentCell cell)
    {
        var forwardCases = new[]
        {
            Make(cell, 1, 6, 4, 32, [], false, 720), Make(cell, 1, 6, 4, 32, [], true, 721), Make(cell, 1, 6, 4, 48, [4], true, 722),
            Make(cell, 1, 6, 4, 32, [5], false, 723), Make(cell, 1, 6, 4, 32, [0], false, 724), Make(cell, 1, 6, 4, 20, [4], true, 725),
            Make(cell, 1, 6, 4, 16, [1], true, 726),
        };
        foreach (Case c in forwardCases)
        {
            double[] expected = RecurrentReference.Forward(c.Reference(), D(c.X), c.Lengths, c.Batch, c.Steps, c.Reverse);
            foreach (SimdWidth width in AllWidths)
            {
                TestData.Near(expected, RunForward(c, width).Hidden, 1e-5, 1e-4, $"{c} at {width}");
            }
        }

        var gradientCases = new[]
        {
            Make(cell, 1, 5, 3, 16, [], false, 730), Make(cell, 1, 5, 3, 16, [4], true, 731), Make(cell, 1, 5, 3, 32, [3], false, 732),
            Make(cell, 1, 5, 3, 18, [], true, 733),
        };
        foreach (Case c in gradientCases)
        {
            ReferenceGradients expected = Reference(c);
            foreach (SimdWidth width in AllWidths)
            {
                AssertNear(expected, RunBackward(c, 0, width), $"{c} at {width}");
            }
            foreach (int k in new[] { 1, 2, 3 })
            {
                AssertNear(Reference(c, k), RunBackward(c, k, SimdDispatch.Best), $"{c} truncation {k}");
            }
            Case unbiased = c with { BiasIh = new float[c.BiasIh.Length], BiasHh = new float[c.BiasHh.Length] };
            float[] hidden = new float[c.Batch * c.Steps * c.Hidden], cache = new float[Recurrent.CacheSize(c.Cell, c.Geometry, c.Batch)];
            Recurrent.Forward(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, [], [], hidden, cache, c.Geometry, c.Batch, c.Reverse);
            Assert.Equal(RunForward(unbiased).Hidden, hidden);
            float[] dWih = new float[c.WeightIh.Length], dWhh = new float[c.WeightHh.Length];
            Recurrent.Backward(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, hidden, cache, c.W, dWih, dWhh, [], [], [],
                new float[Recurrent.ScratchSize(c.Cell, c.Geometry, c.Batch)], c.Geometry, c.Batch, reverse: c.Reverse);
            Gradients withBiases = RunBackward(unbiased, 0, SimdDispatch.Best);
            Assert.Equal(withBiases.WeightIh, dWih);
            Assert.Equal(withBiases.WeightHh, dWhh);
        }
    }

    [Fact]
    public void LstmStepsGiveTheSameBitsOnOneAndTwoThreads()
    {
        using var kernelThreads = KernelThreads.Hold();
        // Large enough that each step's product is split across the pool (≥ KernelPool.MinParallelFlops), with a partial
        // row tile (33 samples), lengths, units past the last whole vector and a backward panel partly past H = 100.
        int[] lengths = Enumerable.Range(0, 33).Select(b => 1 + b % 4).ToArray();
        Case c = Make(RecurrentCell.Lstm, 33, 4, 8, 100, lengths, true, 800);
        Assert.True(2L * 33 * 100 * 4 * 100 >= KernelPool.MinParallelFlops);
        int saved = KernelOptions.MaxThreads;
        try
        {
            KernelOptions.MaxThreads = 1;
            Gradients one = RunBackward(c, 0, SimdDispatch.Best);
            float[] hiddenOne = RunForward(c).Hidden;
            KernelOptions.MaxThreads = 2;
            Gradients two = RunBackward(c, 0, SimdDispatch.Best);
            Assert.Equal(hiddenOne, RunForward(c).Hidden);
            Assert.Equal(one.WeightIh, two.WeightIh);
            Assert.Equal(one.WeightHh, two.WeightHh);
            Assert.Equal(one.BiasIh, two.BiasIh);
            Assert.Equal(one.BiasHh, two.BiasHh);
            Assert.Equal(one.X, two.X);
        }
        finally
        {
            KernelOptions.MaxThreads = saved;
        }
    }

    [Fact]
    public void ForwardAndBackwardDoNotAllocate()
    {
        using var kernelThreads = KernelThreads.Hold();
        var cases = new[] { Make(RecurrentCell.SimpleRnn, 5, 6, 7, 9, [6, 2, 5, 1, 3], false, 1), Make(RecurrentCell.Lstm, 1, 6, 7, 33, [], true, 2),
            Make(RecurrentCell.Lstm, 5, 6, 7, 9, [], false, 3), Make(RecurrentCell.Gru, 5, 6, 7, 9, [6, 2, 5, 1, 3], true, 4), Make(RecurrentCell.Gru, 1, 6, 7, 9, [], false, 5),
            Make(RecurrentCell.Lstm, 1, 6, 7, 32, [], false, 6), Make(RecurrentCell.Lstm, 6, 6, 7, 20, [6, 2, 5, 1, 3, 6], true, 7),
            Make(RecurrentCell.Gru, 1, 6, 7, 32, [4], true, 8), Make(RecurrentCell.SimpleRnn, 1, 6, 7, 16, [], false, 9) };
        var buffers = cases.Select(c => (Hidden: new float[c.Batch * c.Steps * c.Hidden], Cache: new float[Recurrent.CacheSize(c.Cell, c.Geometry, c.Batch)],
            Scratch: new float[Recurrent.ScratchSize(c.Cell, c.Geometry, c.Batch)], DWih: new float[c.WeightIh.Length], DWhh: new float[c.WeightHh.Length],
            DbIh: new float[c.BiasIh.Length], DbHh: new float[c.BiasHh.Length], Dx: new float[c.X.Length])).ToArray();
        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void RunAll()
        {
            for (int n = 0; n < cases.Length; n++)
            {
                Case c = cases[n];
                var s = buffers[n];
                Recurrent.Forward(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, c.BiasIh, c.BiasHh, s.Hidden, s.Cache, c.Geometry, c.Batch, c.Reverse);
                Recurrent.Backward(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, s.Hidden, s.Cache, c.W, s.DWih, s.DWhh, s.DbIh, s.DbHh, s.Dx,
                    s.Scratch, c.Geometry, c.Batch, truncation: n % 2 * 3, reverse: c.Reverse);
            }
        }
    }

    [Fact]
    public void BadArgumentsThrowClearly()
    {
        Case c = Make(RecurrentCell.Lstm, 2, 5, 3, 4, [5, 3], false, 600);
        float[] hidden = new float[2 * 5 * 4], cache = new float[Recurrent.CacheSize(c.Cell, c.Geometry, 2)];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Recurrent.Forward(c.Cell, c.X, [5, 6], c.WeightIh, c.WeightHh, c.BiasIh, c.BiasHh, hidden, cache, c.Geometry, 2));
        Assert.Contains("sample 1 is 6", error.Message);
        var small = Assert.Throws<ArgumentException>(() =>
            Recurrent.Forward(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, c.BiasIh, c.BiasHh, hidden, new float[cache.Length - 1], c.Geometry, 2));
        Assert.Contains("CacheSize", small.Message);
        Assert.Throws<ArgumentException>(() =>
            Recurrent.Forward(c.Cell, c.X, c.Lengths, c.WeightHh, c.WeightHh, c.BiasIh, c.BiasHh, hidden, cache, c.Geometry, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Recurrent.Backward(c.Cell, c.X, c.Lengths, c.WeightIh, c.WeightHh, hidden, cache, c.W, new float[c.WeightIh.Length], new float[c.WeightHh.Length],
                [], [], [], new float[Recurrent.ScratchSize(c.Cell, c.Geometry, 2)], c.Geometry, 2, truncation: -1));
    }
}
