using System;
using System.Linq;
using NetDsl.Kernels;
using NetDsl.Tests.Reference;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// Each loss and its gradient against <see cref="ScalarReference"/>, and each gradient (the kernel's and the reference's)
/// against central finite differences of the float64 reference loss.
/// </summary>
public class LossFunctionTests
{
    private const double H = 1e-4;

    private delegate float Kernel(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient);

    [Fact]
    public void MeanSquaredErrorMatchesReference()
    {
        var random = new Random(20);
        foreach (int length in TestData.Lengths())
        {
            float[] y = TestData.Uniform(random, length, 2f), t = TestData.Uniform(random, length, 2f);
            Check(LossFunctions.MeanSquaredError, y, t,
                (yd, td) => ScalarReference.MeanSquaredError(yd, td),
                (yd, td) => ScalarReference.MeanSquaredErrorGradient(yd, td), $"MSE length={length}");
        }
    }

    [Fact]
    public void BinaryCrossEntropyMatchesReferenceAndIsStable()
    {
        var random = new Random(21);
        foreach (int length in TestData.Lengths())
        {
            float[] z = TestData.Uniform(random, length, 8f);
            float[] t = new float[length];
            for (int i = 0; i < length; i++) t[i] = i % 3 == 0 ? (float)random.NextDouble() : random.Next(2);
            Check(LossFunctions.BinaryCrossEntropy, z, t,
                (zd, td) => ScalarReference.BinaryCrossEntropy(zd, td),
                (zd, td) => ScalarReference.BinaryCrossEntropyGradient(zd, td), $"BCE length={length}");
        }

        // Huge logits: no overflow; the two confident right answers cost 0, the two wrong ones |z| = 200 each.
        float[] gradient = new float[4];
        float loss = LossFunctions.BinaryCrossEntropy([200f, -200f, 200f, -200f], [1f, 0f, 0f, 1f], gradient);
        Assert.Equal(100f, loss, 3);
        Assert.Equal([0f, 0f, 0.25f, -0.25f], gradient);
    }

    [Fact]
    public void SoftmaxCrossEntropyMatchesReferenceAndIsStable()
    {
        var random = new Random(22);
        foreach (int classes in new[] { 1, 2, 3, 10, 17, 64, 65, 129 })
            foreach (int rows in new[] { 1, 2, 5 })
                foreach (bool oneHot in new[] { true, false })
                {
                    float[] z = TestData.Uniform(random, rows * classes, 6f);
                    float[] t = new float[z.Length];
                    for (int r = 0; r < rows; r++)
                    {
                        if (oneHot)
                        {
                            t[r * classes + random.Next(classes)] = 1f;
                            continue;
                        }
                        float sum = 0;
                        for (int i = 0; i < classes; i++) sum += t[r * classes + i] = (float)random.NextDouble();
                        for (int i = 0; i < classes; i++) t[r * classes + i] /= sum;
                    }
                    Check((p, q, g) => LossFunctions.SoftmaxCrossEntropy(p, q, g, classes), z, t,
                        (zd, td) => ScalarReference.SoftmaxCrossEntropy(zd, td, classes),
                        (zd, td) => ScalarReference.SoftmaxCrossEntropyGradient(zd, td, classes),
                        $"softmax CE classes={classes} rows={rows} oneHot={oneHot}");
                }

        // Logits far beyond e^88: the max is subtracted, so nothing overflows.
        float[] gradient = new float[3];
        float loss = LossFunctions.SoftmaxCrossEntropy([1000f, 0f, -1000f], [0f, 1f, 0f], gradient, 3);
        Assert.Equal(1000f, loss, 3);
        Assert.Equal([1f, -1f, 0f], gradient);
    }

    [Fact]
    public void PerceptronCountsWrongOutputsAndGivesTheRule()
    {
        var random = new Random(23);
        foreach (int outputs in new[] { 1, 2, 3, 10 })
            foreach (int rows in new[] { 1, 4, 7, 33 })
            {
                float[] y = new float[rows * outputs], t = new float[rows * outputs];
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = random.Next(2);
                    t[i] = random.Next(2);
                }
                double[] yd = ScalarReference.ToDouble(y), td = ScalarReference.ToDouble(t);
                float[] gradient = new float[y.Length];
                float loss = LossFunctions.Perceptron(y, t, gradient, outputs);
                Assert.Equal(ScalarReference.Perceptron(yd, td), loss, 1e-6);
                TestData.Near(ScalarReference.PerceptronGradient(yd, td, outputs), gradient, absolute: 0, relative: 1e-7, $"perceptron {outputs}x{rows}");
                Assert.Equal(loss, LossFunctions.Perceptron(y, t, [], outputs));
            }
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        float[] four = new float[4];
        var error = Assert.Throws<ArgumentException>(() => LossFunctions.MeanSquaredError(four, new float[3], []));
        Assert.Equal("targets", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => LossFunctions.BinaryCrossEntropy(four, four, new float[5]));
        Assert.Equal("gradient", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => LossFunctions.MeanSquaredError([], [], []));
        Assert.Equal("predictions", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => LossFunctions.SoftmaxCrossEntropy(four, four, [], 3));
        Assert.Equal("logits", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => LossFunctions.SoftmaxCrossEntropy(four, four, [], 0));
        error = Assert.Throws<ArgumentException>(() => LossFunctions.Perceptron(four, four, [], 3));
        Assert.Equal("predictions", error.ParamName);
    }

    /// <summary>
    /// Loss against the reference; the kernel's gradient against the reference gradient and against finite differences;
    /// the reference gradient against finite differences; and an empty gradient span writes nothing but gives the same loss.
    /// </summary>
    private static void Check(Kernel kernel, float[] predictions, float[] targets,
        Func<double[], double[], double> referenceLoss, Func<double[], double[], double[]> referenceGradient, string what)
    {
        double[] p = ScalarReference.ToDouble(predictions), t = ScalarReference.ToDouble(targets);
        double expectedLoss = referenceLoss(p, t);
        double[] expectedGradient = referenceGradient(p, t);
        double[] finiteDifference = ScalarReference.CentralDifference(x => referenceLoss(x, t), p, H);
        double scale = finiteDifference.Max(Math.Abs);

        TestData.Near(finiteDifference, expectedGradient, absolute: 1e-7 * scale + 1e-12, relative: 1e-6, $"reference gradient {what}");

        float[] gradient = new float[predictions.Length];
        float loss = kernel(predictions, targets, gradient);
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-6 * Math.Abs(expectedLoss) + 1e-7, $"loss {what}: {loss} vs {expectedLoss}");
        TestData.Near(expectedGradient, gradient, absolute: 1e-7 * scale, relative: 1e-6, $"gradient {what}");
        TestData.Near(finiteDifference, gradient, absolute: 1e-6 * scale, relative: 1e-5, $"gradient vs finite differences {what}");

        Assert.Equal(loss, kernel(predictions, targets, []));
    }
}
