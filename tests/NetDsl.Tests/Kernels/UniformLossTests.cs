using System;
using System.Collections.Generic;
using System.Linq;
using NetDsl.Kernels;
using NetDsl.Tests.Reference;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// The uniform overload of every loss, <c>X(predictions, targets, gradient, outputs, sampleWeights, ...)</c>: against a
/// float64 per-sample reference (<see cref="ScalarReference"/>) with and without weights, its gradient against central
/// finite differences of that reference, integer weights against repeated samples, and its unweighted form against the
/// original overloads.
/// </summary>
public class UniformLossTests
{
    private const double H = 1e-4;

    public delegate float Uniform(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs, ReadOnlySpan<float> sampleWeights);

    /// <summary>One loss under test: the kernel, its reference ℓ_s, a data generator, and whether it has a true gradient.</summary>
    private sealed record Case(Uniform Kernel, Func<double[], double[], int, double[]> PerSample, Func<Random, int, int, (float[] Y, float[] T)> Data, bool Differentiable = true);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["MeanSquaredError"] = new(LossFunctions.MeanSquaredError,
            (y, t, o) => ScalarReference.RowMeans(y, t, o, ScalarReference.SquaredError), Pairs(2f, 2f)),
        ["MeanAbsoluteError"] = new(LossFunctions.MeanAbsoluteError,
            (y, t, o) => ScalarReference.RowMeans(y, t, o, ScalarReference.AbsoluteError), AwayFromKinks(d => Math.Abs(d))),
        ["Huber"] = new((p, t, g, o, w) => LossFunctions.Huber(p, t, g, o, w),
            (y, t, o) => ScalarReference.RowMeans(y, t, o, (a, b) => ScalarReference.HuberError(a, b, 1)), AwayFromKinks(d => Math.Abs(Math.Abs(d) - 1))),
        ["Huber(delta=0.3)"] = new((p, t, g, o, w) => LossFunctions.Huber(p, t, g, o, w, delta: 0.3f),
            (y, t, o) => ScalarReference.RowMeans(y, t, o, (a, b) => ScalarReference.HuberError(a, b, 0.3f)), AwayFromKinks(d => Math.Abs(Math.Abs(d) - 0.3))),
        ["BinaryCrossEntropy"] = new(LossFunctions.BinaryCrossEntropy,
            (y, t, o) => ScalarReference.RowMeans(y, t, o, ScalarReference.LogisticError), BinaryTargets(6f, soft: true)),
        ["Poisson"] = new(LossFunctions.Poisson,
            (y, t, o) => ScalarReference.RowMeans(y, t, o, ScalarReference.PoissonError), Counts),
        ["Hinge"] = new(LossFunctions.Hinge,
            (y, t, o) => ScalarReference.RowMeans(y, t, o, ScalarReference.HingeError), HingeData),
        ["SoftmaxCrossEntropy"] = new((p, t, g, o, w) => LossFunctions.SoftmaxCrossEntropy(p, t, g, o, w),
            (z, t, c) => ScalarReference.SoftmaxCrossEntropyPerSample(z, t, c), Distributions(oneHot: true)),
        ["SoftmaxCrossEntropy(soft targets)"] = new((p, t, g, o, w) => LossFunctions.SoftmaxCrossEntropy(p, t, g, o, w),
            (z, t, c) => ScalarReference.SoftmaxCrossEntropyPerSample(z, t, c), Distributions(oneHot: false)),
        ["SoftmaxCrossEntropy(labelSmoothing=0.1)"] = new((p, t, g, o, w) => LossFunctions.SoftmaxCrossEntropy(p, t, g, o, w, labelSmoothing: 0.1f),
            (z, t, c) => ScalarReference.SoftmaxCrossEntropyPerSample(z, t, c, 0.1f), Distributions(oneHot: true)),
        ["MultiClassHinge"] = new((p, t, g, o, w) => LossFunctions.MultiClassHinge(p, t, g, o, w),
            (z, t, c) => ScalarReference.MultiClassHingePerSample(z, t, c), MarginData(1)),
        ["MultiClassHinge(margin=0.5)"] = new((p, t, g, o, w) => LossFunctions.MultiClassHinge(p, t, g, o, w, margin: 0.5f),
            (z, t, c) => ScalarReference.MultiClassHingePerSample(z, t, c, 0.5), MarginData(0.5)),
        ["KullbackLeibler"] = new(LossFunctions.KullbackLeibler,
            (z, t, c) => ScalarReference.KullbackLeiblerPerSample(z, t, c), Distributions(oneHot: false, zeros: true)),
        ["Perceptron"] = new(LossFunctions.Perceptron,
            (y, t, o) => ScalarReference.PerceptronPerSample(y, t, o), BinaryTargets(0f, soft: false), Differentiable: false),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    private static readonly (int Rows, int Outputs)[] Shapes = [(1, 1), (1, 4), (2, 1), (3, 5), (7, 2), (5, 10), (16, 3), (33, 1)];

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesReferenceWithAndWithoutWeights(string name)
    {
        Case c = Cases[name];
        var random = new Random(name.Length * 31 + name[^2]);
        foreach ((int rows, int outputs) in Shapes)
            foreach (bool weighted in new[] { false, true })
            {
                (float[] y, float[] t) = c.Data(random, rows, outputs);
                float[]? w = weighted ? RandomWeights(random, rows) : null;
                string what = $"{name} rows={rows} outputs={outputs} weighted={weighted}";

                double[] yd = ScalarReference.ToDouble(y), td = ScalarReference.ToDouble(t);
                double[]? wd = w is null ? null : ScalarReference.ToDouble(w);
                double Reference(double[] p) => ScalarReference.WeightedMean(c.PerSample(p, td, outputs), wd);

                float[] gradient = new float[y.Length];
                float loss = c.Kernel(y, t, gradient, outputs, w);
                double expected = Reference(yd);
                Assert.True(Math.Abs(loss - expected) <= 1e-6 * Math.Abs(expected) + 1e-7, $"loss {what}: {loss} vs {expected}");
                Assert.Equal(loss, c.Kernel(y, t, [], outputs, w));

                if (c.Differentiable)
                {
                    double[] finiteDifference = ScalarReference.CentralDifference(Reference, yd, H);
                    double scale = finiteDifference.Max(Math.Abs);
                    TestData.Near(finiteDifference, gradient, absolute: 1e-6 * scale + 1e-9, relative: 1e-5, $"gradient vs finite differences {what}");
                }
                else
                {
                    // The perceptron rule: (y - t)·w_s / Σw.
                    double total = wd?.Sum() ?? rows;
                    double[] rule = yd.Select((v, i) => (v - td[i]) * (wd?[i / outputs] ?? 1) / total).ToArray();
                    TestData.Near(rule, gradient, absolute: 0, relative: 1e-6, $"perceptron rule {what}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void IntegerWeightEqualsRepeatingTheSample(string name)
    {
        Case c = Cases[name];
        var random = new Random(name.Length * 17 + name[0]);
        foreach ((int rows, int outputs) in new[] { (1, 3), (4, 1), (6, 5), (9, 2) })
        {
            (float[] y, float[] t) = c.Data(random, rows, outputs);
            int[] counts = Enumerable.Range(0, rows).Select(_ => random.Next(4)).ToArray();
            counts[random.Next(rows)] = 1 + random.Next(3); // at least one sample counts
            float[] w = counts.Select(n => (float)n).ToArray();

            // The repeated batch: sample s written counts[s] times; remember where each copy came from.
            var rowsOf = new List<int>();
            for (int s = 0; s < rows; s++) rowsOf.AddRange(Enumerable.Repeat(s, counts[s]));
            float[] yRepeated = rowsOf.SelectMany(s => y.Skip(s * outputs).Take(outputs)).ToArray();
            float[] tRepeated = rowsOf.SelectMany(s => t.Skip(s * outputs).Take(outputs)).ToArray();

            float[] gradient = new float[y.Length], gradientRepeated = new float[yRepeated.Length];
            float loss = c.Kernel(y, t, gradient, outputs, w);
            float lossRepeated = c.Kernel(yRepeated, tRepeated, gradientRepeated, outputs, []);
            string what = $"{name} rows={rows} outputs={outputs} counts=[{string.Join(",", counts)}]";
            Assert.True(Math.Abs(loss - lossRepeated) <= 1e-6 * Math.Abs(lossRepeated) + 1e-7, $"loss {what}: {loss} vs repeated {lossRepeated}");

            // d/dy_s of the repeated loss is the sum over the copies of sample s.
            var summed = new double[y.Length];
            for (int k = 0; k < rowsOf.Count; k++)
                for (int j = 0; j < outputs; j++) summed[rowsOf[k] * outputs + j] += gradientRepeated[k * outputs + j];
            TestData.Near(summed, gradient, absolute: 1e-7, relative: 1e-5, $"gradient {what}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ScalingAllWeightsChangesNothingAndZeroWeightIgnoresASample(string name)
    {
        Case c = Cases[name];
        var random = new Random(name.Length);
        (float[] y, float[] t) = c.Data(random, 5, 3);
        float[] g1 = new float[y.Length], g2 = new float[y.Length];
        float unweighted = c.Kernel(y, t, g1, 3, []);
        float scaled = c.Kernel(y, t, g2, 3, [2.5f, 2.5f, 2.5f, 2.5f, 2.5f]);
        Assert.Equal(unweighted, scaled, 1e-6f * Math.Abs(unweighted) + 1e-7f);
        TestData.Near(ScalarReference.ToDouble(g1), g2, absolute: 1e-8, relative: 1e-6, $"{name} scaled weights");

        // A zero weight removes the sample: same loss as the batch without it, and a zero gradient row.
        float[] gZero = new float[y.Length], gWithout = new float[12];
        float zero = c.Kernel(y, t, gZero, 3, [1, 1, 0, 1, 1]);
        float[] yWithout = [.. y[..6], .. y[9..]], tWithout = [.. t[..6], .. t[9..]];
        float without = c.Kernel(yWithout, tWithout, gWithout, 3, []);
        Assert.Equal(without, zero, 1e-6f * Math.Abs(without) + 1e-7f);
        Assert.Equal([0f, 0f, 0f], gZero[6..9]);
        TestData.Near(ScalarReference.ToDouble([.. gZero[..6], .. gZero[9..]]), gWithout, absolute: 1e-8, relative: 1e-6, $"{name} zero weight");
    }

    [Fact]
    public void UnweightedEqualsTheOriginalOverloadsExactly()
    {
        var random = new Random(40);
        foreach ((int rows, int outputs) in Shapes)
        {
            float[] y = TestData.Uniform(random, rows * outputs, 3f);
            (_, float[] oneHot) = Distributions(oneHot: true)(random, rows, outputs);
            (_, float[] bits) = BinaryTargets(0, soft: false)(random, rows, outputs);
            float[] g1 = new float[y.Length], g2 = new float[y.Length];

            Assert.Equal(LossFunctions.MeanSquaredError(y, oneHot, g1), LossFunctions.MeanSquaredError(y, oneHot, g2, outputs, []));
            Assert.Equal(g1, g2);
            Assert.Equal(LossFunctions.BinaryCrossEntropy(y, bits, g1), LossFunctions.BinaryCrossEntropy(y, bits, g2, outputs, []));
            Assert.Equal(g1, g2);
            Assert.Equal(LossFunctions.SoftmaxCrossEntropy(y, oneHot, g1, outputs), LossFunctions.SoftmaxCrossEntropy(y, oneHot, g2, outputs, [], 0f));
            Assert.Equal(g1, g2);
            Assert.Equal(LossFunctions.Perceptron(bits, oneHot, g1, outputs), LossFunctions.Perceptron(bits, oneHot, g2, outputs, []));
            Assert.Equal(g1, g2);

            // And against the float64 references of the original overloads (mean over elements, rows, rows).
            double[] yd = ScalarReference.ToDouble(y), hot = ScalarReference.ToDouble(oneHot);
            Assert.Equal(ScalarReference.MeanSquaredError(yd, hot), LossFunctions.MeanSquaredError(y, oneHot, [], outputs, []), 1e-6);
            Assert.Equal(ScalarReference.SoftmaxCrossEntropy(yd, hot, outputs), LossFunctions.SoftmaxCrossEntropy(y, oneHot, [], outputs, []), 1e-5);
        }
    }

    [Fact]
    public void LabelSmoothingFollowsPyTorchsFormula()
    {
        // PyTorch (aten cross_entropy with class indices and label_smoothing ε):
        //   loss = (1 - ε)·nll + ε·smooth,  nll = -log p_c,  smooth = -Σ_j log p_j / C,  each averaged over rows.
        var random = new Random(41);
        foreach (int classes in new[] { 1, 2, 3, 7, 10 })
            foreach (float epsilon in new[] { 0f, 0.1f, 0.25f, 1f })
            {
                int rows = 6;
                (float[] z, float[] t) = Distributions(oneHot: true)(random, rows, classes);
                double[] q = ScalarReference.Softmax(ScalarReference.ToDouble(z), classes);
                double nll = 0, smooth = 0;
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < classes; j++)
                    {
                        double logP = Math.Log(q[r * classes + j]);
                        if (t[r * classes + j] == 1f) nll -= logP;
                        smooth -= logP / classes;
                    }
                double expected = ((1 - (double)epsilon) * nll + epsilon * smooth) / rows;
                float loss = LossFunctions.SoftmaxCrossEntropy(z, t, [], classes, [], epsilon);
                Assert.True(Math.Abs(loss - expected) <= 1e-6 * expected + 1e-7, $"C={classes} ε={epsilon}: {loss} vs {expected}");
            }

        // Uniform logits over C classes: every distribution t' gives log C, smoothed or not.
        Assert.Equal(Math.Log(4), LossFunctions.SoftmaxCrossEntropy([0f, 0f, 0f, 0f], [0f, 1f, 0f, 0f], [], 4, [], 0.3f), 1e-6);
    }

    [Fact]
    public void HandComputedValues()
    {
        float[] g = new float[2];
        // Huber δ=1: d = 0.5 → ½·0.25 = 0.125; d = -2 → 1·(2 - 0.5) = 1.5. Mean 0.8125; gradient (0.5, -1)/2.
        Assert.Equal(0.8125f, LossFunctions.Huber([0.5f, -2f], [0f, 0f], g, 2, []));
        Assert.Equal([0.25f, -0.5f], g);
        // MAE: |1 - 3| and |2 - 2|: mean 1; gradient sign (-1, 0)/2.
        Assert.Equal(1f, LossFunctions.MeanAbsoluteError([1f, 2f], [3f, 2f], g, 1, []));
        Assert.Equal([-0.5f, 0f], g);
        // Hinge: y = 0.5 with t = 1 → 0.5; with t = 0 (s = -1) → 1.5.
        Assert.Equal(1f, LossFunctions.Hinge([0.5f, 0.5f], [1f, 0f], g, 2, []));
        Assert.Equal([-0.5f, 0.5f], g);
        // Poisson: z = 0 (λ = 1), t = 1 → e^0 - 0 = 1; z = ln 2, t = 2 → 2 - 2 ln 2.
        Assert.Equal((1 + 2 - 2 * Math.Log(2)) / 2, LossFunctions.Poisson([0f, (float)Math.Log(2)], [1f, 2f], [], 2, []), 1e-6);
        // PyTorch's MultiMarginLoss example: x = [0.1, 0.2, 0.4, 0.8], y = 3 → 0.3250.
        Assert.Equal(0.325f, LossFunctions.MultiClassHinge([0.1f, 0.2f, 0.4f, 0.8f], [0f, 0f, 0f, 1f], [], 4, []), 1e-6f);
        // KL: equal distributions give 0; t = (1, 0) against uniform q gives log 2.
        Assert.Equal(0f, LossFunctions.KullbackLeibler([0f, 0f], [0.5f, 0.5f], g, 2, []), 1e-7f);
        Assert.All(g, v => Assert.Equal(0f, v, 1e-7f));
        Assert.Equal(Math.Log(2), LossFunctions.KullbackLeibler([3f, 3f], [1f, 0f], [], 2, []), 1e-6);
        // Weighted MSE: rows (1) and (3) with weights 3 and 1: (3·1 + 1·9) / 4 = 3.
        Assert.Equal(3f, LossFunctions.MeanSquaredError([1f, 3f], [0f, 0f], g, 1, [3f, 1f]));
        Assert.Equal([1.5f, 1.5f], g);
        // Weighted perceptron: row 0 wrong with weight 3, row 1 right with weight 1: loss 3/4.
        Assert.Equal(0.75f, LossFunctions.Perceptron([1f, 0f], [0f, 0f], g, 1, [3f, 1f]));
        Assert.Equal([0.75f, 0f], g);
    }

    [Fact]
    public void HugeLogitsAndRatesStayFinite()
    {
        float[] g = new float[3];
        Assert.Equal(1000f, LossFunctions.SoftmaxCrossEntropy([1000f, 0f, -1000f], [0f, 1f, 0f], g, 3, [2f]), 1e-3f);
        Assert.Equal([1f, -1f, 0f], g);
        Assert.Equal(1000f, LossFunctions.KullbackLeibler([1000f, 0f, -1000f], [0f, 1f, 0f], g, 3, []), 1e-3f);
        Assert.Equal(200f, LossFunctions.BinaryCrossEntropy([200f, -200f], [0f, 1f], [], 2, [1f]), 1e-3f);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void InvalidWeightsAndShapesAreRejected(string name)
    {
        Uniform kernel = Cases[name].Kernel;
        (float[] y, float[] t) = Cases[name].Data(new Random(1), 2, 3);

        var e = Assert.Throws<ArgumentException>(() => kernel(y, t, [], 3, [1f]));
        Assert.Equal("sampleWeights", e.ParamName);
        Assert.Contains("one weight per sample, 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => kernel(y, t, [], 3, [1f, -1f]));
        Assert.Contains("sampleWeights[1] is -1", e.Message);
        e = Assert.Throws<ArgumentException>(() => kernel(y, t, [], 3, [float.NaN, 1f]));
        Assert.Contains("sampleWeights[0] is NaN", e.Message);
        Assert.Throws<ArgumentException>(() => kernel(y, t, [], 3, [float.PositiveInfinity, 1f]));
        e = Assert.Throws<ArgumentException>(() => kernel(y, t, [], 3, [0f, 0f]));
        Assert.Contains("sum to 0", e.Message);

        e = Assert.Throws<ArgumentException>(() => kernel(y, t, [], 4, []));
        Assert.Equal("predictions", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel(y, t, [], 0, []));
        e = Assert.Throws<ArgumentException>(() => kernel(y, t.AsSpan(1), [], 3, []));
        Assert.Equal("targets", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => kernel(y, t, new float[5], 3, []));
        Assert.Equal("gradient", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => kernel([], [], [], 3, []));
        Assert.Equal("predictions", e.ParamName);
    }

    [Fact]
    public void InvalidLossParametersAndTargetsAreRejected()
    {
        float[] y = [0.5f, -0.5f], t = [1f, 0f];
        Assert.Throws<ArgumentOutOfRangeException>(() => LossFunctions.Huber(y, t, [], 1, [], delta: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LossFunctions.Huber(y, t, [], 1, [], delta: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => LossFunctions.SoftmaxCrossEntropy(y, t, [], 2, [], labelSmoothing: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LossFunctions.SoftmaxCrossEntropy(y, t, [], 2, [], labelSmoothing: 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LossFunctions.MultiClassHinge(y, t, [], 2, [], margin: float.PositiveInfinity));
        var e = Assert.Throws<ArgumentException>(() => LossFunctions.Hinge(y, [1f, -1f], [], 1, []));
        Assert.Contains("targets[1] is -1", e.Message);
        Assert.Contains("(t + 1) / 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => LossFunctions.KullbackLeibler(y, [1.5f, -0.5f], [], 2, []));
        Assert.Contains("targets[1] is -0.5", e.Message);
    }

    [Fact]
    public void NoLossAllocatesAndClassWeightsFillABatchWithoutAllocating()
    {
        using var kernelThreads = KernelThreads.Hold();
        const int rows = 9, outputs = 5;
        var random = new Random(42);
        float[] y = TestData.Uniform(random, rows * outputs), g = new float[y.Length], w = new float[rows];
        (_, float[] oneHot) = Distributions(oneHot: true)(random, rows, outputs);
        (_, float[] bits) = BinaryTargets(0, soft: false)(random, rows, outputs);
        float[] classWeights = NetDsl.Data.ClassWeights.Balanced([0, 1, 1, 2, 2, 2, 3, 4, 4], outputs);
        int[] labels = [4, 3, 2, 1, 0, 0, 1, 2, 3];

        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void RunAll()
        {
            NetDsl.Data.ClassWeights.ToSampleWeights(classWeights, labels, w);
            Run(default);
            Run(w);
        }

        void Run(ReadOnlySpan<float> weights)
        {
            LossFunctions.MeanSquaredError(y, oneHot, g, outputs, weights);
            LossFunctions.MeanAbsoluteError(y, oneHot, g, outputs, weights);
            LossFunctions.Huber(y, oneHot, g, outputs, weights, 0.5f);
            LossFunctions.BinaryCrossEntropy(y, bits, g, outputs, weights);
            LossFunctions.SoftmaxCrossEntropy(y, oneHot, g, outputs, weights, 0.1f);
            LossFunctions.Hinge(y, bits, g, outputs, weights);
            LossFunctions.MultiClassHinge(y, oneHot, g, outputs, weights);
            LossFunctions.Poisson(y, bits, g, outputs, weights);
            LossFunctions.KullbackLeibler(y, oneHot, g, outputs, weights);
            LossFunctions.Perceptron(bits, oneHot, g, outputs, weights);
        }
    }

    // ------------------------------------------------------------------ Data generators

    private static float[] RandomWeights(Random random, int rows)
    {
        float[] w = new float[rows];
        for (int s = 0; s < rows; s++) w[s] = s % 4 == 3 ? 0f : (float)(0.1 + 3 * random.NextDouble());
        if (w.All(v => v == 0)) w[0] = 1f;
        return w;
    }

    private static Func<Random, int, int, (float[], float[])> Pairs(float yScale, float tScale)
        => (random, rows, outputs) => (TestData.Uniform(random, rows * outputs, yScale), TestData.Uniform(random, rows * outputs, tScale));

    /// <summary>y = t + d with d drawn again while <paramref name="kinkDistance"/>(d) is small, so finite differences are valid.</summary>
    private static Func<Random, int, int, (float[], float[])> AwayFromKinks(Func<double, double> kinkDistance)
        => (random, rows, outputs) =>
        {
            float[] t = TestData.Uniform(random, rows * outputs, 2f), y = new float[t.Length];
            for (int i = 0; i < t.Length; i++)
            {
                do y[i] = t[i] + (float)((2 * random.NextDouble() - 1) * 3);
                while (kinkDistance((double)y[i] - t[i]) < 0.05);
            }
            return (y, t);
        };

    private static Func<Random, int, int, (float[], float[])> BinaryTargets(float logitScale, bool soft)
        => (random, rows, outputs) =>
        {
            float[] t = new float[rows * outputs];
            for (int i = 0; i < t.Length; i++) t[i] = soft && i % 3 == 0 ? (float)random.NextDouble() : random.Next(2);
            float[] y = logitScale > 0 ? TestData.Uniform(random, t.Length, logitScale) : t.Select(_ => (float)random.Next(2)).ToArray();
            return (y, t);
        };

    private static (float[], float[]) Counts(Random random, int rows, int outputs)
        => (TestData.Uniform(random, rows * outputs, 2f), Enumerable.Range(0, rows * outputs).Select(_ => (float)random.Next(6)).ToArray());

    private static (float[], float[]) HingeData(Random random, int rows, int outputs)
    {
        float[] t = Enumerable.Range(0, rows * outputs).Select(_ => (float)random.Next(2)).ToArray(), y = new float[t.Length];
        for (int i = 0; i < y.Length; i++)
        {
            do y[i] = (float)((2 * random.NextDouble() - 1) * 3);
            while (Math.Abs(Math.Abs(y[i]) - 1) < 0.05);
        }
        return (y, t);
    }

    private static Func<Random, int, int, (float[], float[])> Distributions(bool oneHot, bool zeros = false)
        => (random, rows, classes) =>
        {
            float[] z = TestData.Uniform(random, rows * classes, 4f), t = new float[z.Length];
            for (int r = 0; r < rows; r++)
            {
                if (oneHot)
                {
                    t[r * classes + random.Next(classes)] = 1f;
                    continue;
                }
                float sum = 0;
                for (int j = 0; j < classes; j++) sum += t[r * classes + j] = zeros && j % 2 == 1 ? 0f : (float)random.NextDouble() + 0.01f;
                for (int j = 0; j < classes; j++) t[r * classes + j] /= sum;
            }
            return (z, t);
        };

    /// <summary>One-hot targets and scores whose margins all stay 0.05 away from the hinge's kink.</summary>
    private static Func<Random, int, int, (float[], float[])> MarginData(double margin)
        => (random, rows, classes) =>
        {
            (float[] z, float[] t) = Distributions(oneHot: true)(random, rows, classes);
            for (int r = 0; r < rows; r++)
            {
                int c = Array.IndexOf(t, 1f, r * classes, classes) - r * classes;
                bool nearKink;
                do
                {
                    for (int j = 0; j < classes; j++) z[r * classes + j] = (float)((2 * random.NextDouble() - 1) * 2);
                    nearKink = false;
                    for (int j = 0; j < classes; j++)
                        nearKink |= j != c && Math.Abs(margin - z[r * classes + c] + z[r * classes + j]) < 0.05;
                }
                while (nearKink);
            }
            return (z, t);
        };
}
