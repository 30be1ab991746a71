using System;
using NetDsl.Kernels;
using NetDsl.Tests.Kernels;
using NetDsl.Tests.Reference;
using Xunit;

namespace NetDsl.Tests.Training;

/// <summary>
/// Every optimizer, step by step against its PyTorch update rule in float64 (<see cref="ReferenceOptimizer"/> and its subclasses), at every
/// SIMD width and at lengths that hit every vector remainder, in every configuration (momentum, Nesterov, weight decay,
/// centered, learning-rate decay).
/// </summary>
public class OptimizerTests
{
    private const int Steps = 6;
    private static readonly int[] Lengths = [1, 3, 7, 15, 16, 17, 31, 33, 65, 129, 1000];

    /// <summary>
    /// Runs <paramref name="step"/> and <paramref name="createReference"/> side by side for <see cref="Steps"/> steps of
    /// random gradients at every length, asserting the parameters agree after each step.
    /// </summary>
    private static void MatchesReference(string what, SimdWidth width, Func<StepAt> create, Func<int, ReferenceOptimizer> createReference,
        float gradientScale = 1f, double tolerance = 1e-6)
    {
        foreach (int length in Lengths)
        {
            var random = new Random(30 + length);
            StepAt step = create();
            ReferenceOptimizer reference = createReference(length);
            float[] p = TestData.Uniform(random, length);
            double[] pd = ScalarReference.ToDouble(p);
            for (int t = 1; t <= Steps; t++)
            {
                float[] g = TestData.Uniform(random, length, gradientScale);
                step(p, g, width);
                reference.Step(pd, ScalarReference.ToDouble(g));
                TestData.Near(pd, p, absolute: tolerance, relative: tolerance, $"{what} length={length} step {t} {width}");
            }
        }
    }

    private delegate void StepAt(Span<float> parameters, ReadOnlySpan<float> gradients, SimdWidth width);

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void SgdMatchesReference(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        foreach ((float momentum, bool nesterov) in new[] { (0f, false), (0.9f, false), (0.9f, true) })
            foreach (float weightDecay in new[] { 0f, 0.1f })
            {
                MatchesReference($"SGD μ={momentum} nesterov={nesterov} wd={weightDecay}", width,
                    () => new Sgd(0.05f, momentum, weightDecay, nesterov).StepAt,
                    n => new SgdReference(n, 0.05f, momentum, weightDecay, nesterov));
            }
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void AdagradMatchesReference(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        foreach ((float lrDecay, float weightDecay, float initial) in new[] { (0f, 0f, 0f), (0.1f, 0f, 0f), (0f, 0.1f, 0f), (0.05f, 0.1f, 0.5f) })
        {
            MatchesReference($"Adagrad lr_decay={lrDecay} wd={weightDecay} initial={initial}", width,
                () => new Adagrad(0.1f, learningRateDecay: lrDecay, weightDecay: weightDecay, initialAccumulatorValue: initial).StepAt,
                n => new AdagradReference(n, 0.1f, lrDecay, weightDecay, initial, 1e-10f));
        }
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void RmspropMatchesReference(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        foreach (bool centered in new[] { false, true })
            foreach (float momentum in new[] { 0f, 0.9f })
                foreach (float weightDecay in new[] { 0f, 0.1f })
                {
                    MatchesReference($"RMSprop centered={centered} μ={momentum} wd={weightDecay}", width,
                        () => new RMSprop(0.01f, momentum: momentum, centered: centered, weightDecay: weightDecay).StepAt,
                        n => new RmspropReference(n, 0.01f, 0.99f, 1e-8f, weightDecay, momentum, centered));
                }
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void AdamMatchesReferenceWithBiasCorrection(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        // Gradients of order 1 and of order ε (where ε in the denominator matters).
        foreach (float gradientScale in new[] { 1f, 1e-8f })
            foreach (float weightDecay in new[] { 0f, 0.1f })
            {
                MatchesReference($"Adam scale={gradientScale} wd={weightDecay}", width,
                    () => new Adam(learningRate: 0.01f, weightDecay: weightDecay).StepAt,
                    n => new AdamReference(n, 0.01f, 0.9f, 0.999f, 1e-8f, weightDecay, decoupled: false), gradientScale);
            }
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void AdamWMatchesReference(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        foreach (float gradientScale in new[] { 1f, 1e-8f })
            foreach (float weightDecay in new[] { 0f, 0.01f, 0.5f })
            {
                MatchesReference($"AdamW scale={gradientScale} wd={weightDecay}", width,
                    () => new AdamW(learningRate: 0.01f, weightDecay: weightDecay).StepAt,
                    n => new AdamReference(n, 0.01f, 0.9f, 0.999f, 1e-8f, weightDecay, decoupled: true), gradientScale);
            }
    }

    [Fact]
    public void FirstAdamStepMovesEachParameterByTheLearningRate()
    {
        // With bias correction, m̂ = g and v̂ = g², so the first update is lr·sign(g) (up to ε).
        var optimizer = new Adam(learningRate: 0.1f);
        float[] p = [1f, 1f, 1f];
        optimizer.Step(p, [3f, -0.5f, 1e-3f]);
        Assert.Equal(0.9f, p[0], 6);
        Assert.Equal(1.1f, p[1], 6);
        Assert.Equal(0.9f, p[2], 5);
    }

    [Fact]
    public void AdamWDecaysWeightsWithoutGradientWhileAdamsL2PenaltyIsNormalizedAway()
    {
        // With zero gradients AdamW only shrinks: p ← p·(1 - lr·wd) each step, whatever the scale of p.
        var adamW = new AdamW(learningRate: 0.1f, weightDecay: 0.5f);
        float[] p = [1000f, -1f, 1e-3f];
        for (int step = 0; step < 3; step++) adamW.Step(p, new float[3]);
        double shrink = Math.Pow(1 - 0.1 * 0.5, 3);
        Assert.Equal(1000 * shrink, p[0], tolerance: 1e-4);
        Assert.Equal(-shrink, p[1], tolerance: 1e-7);
        Assert.Equal(1e-3 * shrink, p[2], tolerance: 1e-10);

        // Adam's coupled penalty wd·p becomes the gradient, and Adam's normalization turns its first step into lr·sign(p).
        var adam = new Adam(learningRate: 0.1f, weightDecay: 0.5f);
        float[] q = [1000f, -1f];
        adam.Step(q, new float[2]);
        Assert.Equal(999.9f, q[0], 3);
        Assert.Equal(-0.9f, q[1], 5);
    }

    [Fact]
    public void NesterovLooksAheadAlongTheVelocity()
    {
        // Constant gradient 1, μ = 0.5, lr = 1: velocities 1, 1.5, 1.75; Nesterov steps g + μv: 1.5, 1.75, 1.875.
        var classic = new Sgd(1f, momentum: 0.5f);
        var nesterov = new Sgd(1f, momentum: 0.5f, nesterov: true);
        float[] p = [0f], q = [0f];
        float[] expectedClassic = [-1f, -2.5f, -4.25f], expectedNesterov = [-1.5f, -3.25f, -5.125f];
        for (int step = 0; step < 3; step++)
        {
            classic.Step(p, [1f]);
            nesterov.Step(q, [1f]);
            Assert.Equal(expectedClassic[step], p[0]);
            Assert.Equal(expectedNesterov[step], q[0]);
        }
    }

    [Fact]
    public void AdagradStepsShrinkAsSquaredGradientsAccumulate()
    {
        // Constant gradient 2: s = 4t, so the step is lr·2/√(4t) = lr/√t.
        var adagrad = new Adagrad(learningRate: 1f);
        float[] p = [0f];
        double expected = 0;
        for (int t = 1; t <= 4; t++)
        {
            adagrad.Step(p, [2f]);
            expected -= 1 / Math.Sqrt(t);
            Assert.Equal(expected, p[0], 5);
        }
        Assert.Equal(4, adagrad.StepCount);
    }

    [Fact]
    public void ZeroLearningRateFromASchedulesLeavesParametersUnchanged()
    {
        foreach (IOptimizer optimizer in AllOptimizers())
        {
            float[] p = [1f, -2f, 3f];
            optimizer.Step(p, [0.5f, 0.5f, -0.5f]);
            float[] before = (float[])p.Clone();
            optimizer.LearningRate = 0f;
            optimizer.Step(p, [0.5f, 0.5f, -0.5f]);
            Assert.Equal(before, p);
            Assert.Equal(0f, optimizer.LearningRate);
        }
    }

    [Fact]
    public void AnOptimizerIsBoundToTheLengthOfItsFirstStep()
    {
        foreach (IOptimizer optimizer in AllOptimizers())
        {
            optimizer.Step(new float[10], new float[10]);
            var error = Assert.Throws<InvalidOperationException>(() => optimizer.Step(new float[11], new float[11]));
            Assert.Contains("bound to 10 parameters", error.Message);
            var mismatch = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[10], new float[9]));
            Assert.Equal("gradients", mismatch.ParamName);
        }
    }

    [Fact]
    public void StepsAllocateNothingAfterTheFirst()
    {
        using var kernelThreads = KernelThreads.Hold();
        IOptimizer[] optimizers = AllOptimizers();
        float[] p = TestData.Uniform(new Random(1), 333), g = TestData.Uniform(new Random(2), 333);
        foreach (IOptimizer optimizer in optimizers) optimizer.Step(p, g);
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (IOptimizer optimizer in optimizers)
        {
            optimizer.LearningRate = 1e-4f;
            optimizer.Step(p, g);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static IOptimizer[] AllOptimizers() =>
    [
        new Sgd(0.1f), new Sgd(0.1f, 0.9f), new Sgd(0.1f, 0.9f, weightDecay: 0.01f, nesterov: true),
        new Adagrad(), new Adagrad(learningRateDecay: 0.1f, weightDecay: 0.1f, initialAccumulatorValue: 0.1f),
        new RMSprop(), new RMSprop(momentum: 0.9f, centered: true, weightDecay: 0.1f),
        new Adam(), new Adam(weightDecay: 0.1f), new AdamW(),
    ];

    [Fact]
    public void HyperparametersAreValidatedAndExposed()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(-1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(float.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0.1f, -0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0.1f, weightDecay: -0.1f));
        var nesterov = Assert.Throws<ArgumentException>(() => new Sgd(0.1f, nesterov: true));
        Assert.Contains("requires a momentum", nesterov.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta1: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(epsilon: -1e-8f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(weightDecay: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adagrad(learningRateDecay: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adagrad(initialAccumulatorValue: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RMSprop(alpha: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RMSprop(momentum: -0.9f));

        foreach (IOptimizer optimizer in AllOptimizers())
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = -0.1f);
            Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = float.NaN);
            optimizer.LearningRate = 0.02f;
            Assert.Equal(0.02f, optimizer.LearningRate);
        }

        var sgd = new Sgd(0.1f, 0.5f, 0.01f, nesterov: true);
        Assert.Equal((0.1f, 0.5f, 0.01f, true), (sgd.LearningRate, sgd.Momentum, sgd.WeightDecay, sgd.Nesterov));
        var adam = new Adam();
        Assert.Equal((1e-3f, 0.9f, 0.999f, 1e-8f, 0f), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon, adam.WeightDecay));
        var adamW = new AdamW();
        Assert.Equal((1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f), (adamW.LearningRate, adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.WeightDecay));
        var adagrad = new Adagrad();
        Assert.Equal((0.01f, 1e-10f, 0f, 0f, 0f), (adagrad.LearningRate, adagrad.Epsilon, adagrad.InitialAccumulatorValue, adagrad.LearningRateDecay, adagrad.WeightDecay));
        var rmsprop = new RMSprop();
        Assert.Equal((0.01f, 0.99f, 1e-8f, 0f, false, 0f), (rmsprop.LearningRate, rmsprop.Alpha, rmsprop.Epsilon, rmsprop.Momentum, rmsprop.Centered, rmsprop.WeightDecay));
    }
}
