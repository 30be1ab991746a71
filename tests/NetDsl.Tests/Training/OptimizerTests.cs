using System;
using NetDsl.Kernels;
using NetDsl.Tests.Kernels;
using NetDsl.Tests.Reference;
using Xunit;

namespace NetDsl.Tests.Training;

/// <summary>
/// SGD, SGD with momentum and Adam, step by step against the published update rules in float64
/// (<see cref="ScalarReference.SgdStep"/>, <see cref="ScalarReference.AdamStep"/>), at every SIMD width and at lengths
/// that hit every vector remainder.
/// </summary>
public class OptimizerTests
{
    private const int Steps = 6;
    private static readonly int[] Lengths = [1, 3, 7, 16, 17, 33, 65, 129, 1000];

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void SgdMatchesReference(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        foreach (float momentum in new[] { 0f, 0.9f })
            foreach (int length in Lengths)
            {
                var random = new Random(30 + length);
                var optimizer = new Sgd(0.05f, momentum);
                float[] p = TestData.Uniform(random, length);
                double[] pd = ScalarReference.ToDouble(p), velocity = new double[length];
                for (int step = 1; step <= Steps; step++)
                {
                    float[] g = TestData.Uniform(random, length);
                    optimizer.StepAt(p, g, width);
                    ScalarReference.SgdStep(pd, ScalarReference.ToDouble(g), velocity, 0.05f, momentum);
                    TestData.Near(pd, p, absolute: 1e-6, relative: 1e-6, $"SGD μ={momentum} length={length} step {step} {width}");
                }
            }
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void AdamMatchesReferenceWithBiasCorrection(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        // Gradients of order 1 and of order ε (where ε in the denominator matters).
        foreach (float gradientScale in new[] { 1f, 1e-8f })
            foreach (int length in Lengths)
            {
                var random = new Random(40 + length);
                var optimizer = new Adam(learningRate: 0.01f, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-8f);
                float[] p = TestData.Uniform(random, length);
                double[] pd = ScalarReference.ToDouble(p), m = new double[length], v = new double[length];
                for (int step = 1; step <= Steps; step++)
                {
                    float[] g = TestData.Uniform(random, length, gradientScale);
                    optimizer.StepAt(p, g, width);
                    ScalarReference.AdamStep(pd, ScalarReference.ToDouble(g), m, v, step, 0.01f, 0.9f, 0.999f, 1e-8f);
                    TestData.Near(pd, p, absolute: 1e-6, relative: 1e-6, $"Adam scale={gradientScale} length={length} step {step} {width}");
                }
                Assert.Equal(Steps, optimizer.StepCount);
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
    public void AnOptimizerIsBoundToTheLengthOfItsFirstStep()
    {
        foreach (IOptimizer optimizer in new IOptimizer[] { new Sgd(0.1f), new Sgd(0.1f, 0.9f), new Adam() })
        {
            optimizer.Step(new float[10], new float[10]);
            var error = Assert.Throws<InvalidOperationException>(() => optimizer.Step(new float[11], new float[11]));
            Assert.Contains("bound to 10 parameters", error.Message);
            var mismatch = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[10], new float[9]));
            Assert.Equal("gradients", mismatch.ParamName);
        }
    }

    [Fact]
    public void HyperparametersAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(-1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(float.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0.1f, -0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta1: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(epsilon: -1e-8f));

        var sgd = new Sgd(0.1f, 0.5f);
        sgd.LearningRate = 0.01f;
        Assert.Equal(0.01f, sgd.LearningRate);
        Assert.Equal(0.5f, sgd.Momentum);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = 0f);

        var adam = new Adam();
        Assert.Equal((1e-3f, 0.9f, 0.999f, 1e-8f), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon));
        adam.LearningRate = 5e-4f;
        Assert.Equal(5e-4f, adam.LearningRate);
    }
}
