using System;
using NetDsl.Kernels;
using NetDsl.Tests.Reference;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// Each activation's forward against <see cref="ScalarReference.Activate"/>, and its backward against central finite
/// differences of the float64 reference (<c>dL/dz</c> of <c>L(z) = Σ dy ⊙ f(z)</c>), at every length and SIMD width.
/// Inputs include exact zeros, where ReLU's gradient is 0 and leaky ReLU's is the slope (PyTorch's conventions).
/// </summary>
public class ActivationTests
{
    private const float Slope = 0.01f;
    private const double H = 1e-4;
    private const int Rows = 2;

    public static TheoryData<string> Kinds => new()
    {
        nameof(Activation.Identity), nameof(Activation.ReLU), nameof(Activation.LeakyReLU), nameof(Activation.Sigmoid),
        nameof(Activation.Tanh), nameof(Activation.Softmax), nameof(Activation.Step),
    };

    [Theory, MemberData(nameof(Kinds))]
    public void ForwardAndBackwardMatchReferenceAtEveryWidth(string kindName)
    {
        Activation kind = Enum.Parse<Activation>(kindName);
        var random = new Random(10 + (int)kind);
        foreach (int rowLength in TestData.Lengths())
        {
            float[] z = TestData.Uniform(random, Rows * rowLength, scale: 3f);
            for (int i = 0; i < z.Length; i += 7) z[i] = 0f; // the kinks, and the step's threshold
            float[] dy = TestData.Uniform(random, z.Length);
            double[] zd = ScalarReference.ToDouble(z), dyd = ScalarReference.ToDouble(dy);

            double[] expectedY = ScalarReference.Activate(kind, zd, rowLength, Slope);
            double[] expectedDz = ScalarReference.ActivateBackward(kind, zd, dyd, rowLength, Slope);
            double[] finiteDifference = ScalarReference.CentralDifference(
                x => Dot(dyd, ScalarReference.Activate(kind, x, rowLength, Slope)), zd, H);
            bool Smooth(int i) => kind is not (Activation.ReLU or Activation.LeakyReLU) || Math.Abs(zd[i]) > 2 * H;
            string where = $"{kind} rowLength={rowLength}";

            // The reference's own analytic backward agrees with finite differences wherever f is differentiable.
            if (kind != Activation.Step)
            {
                for (int i = 0; i < z.Length; i++)
                {
                    if (Smooth(i)) Assert.True(Math.Abs(expectedDz[i] - finiteDifference[i]) < 1e-7, $"reference {where} [{i}]");
                }
            }

            foreach (string widthName in TestData.Widths)
            {
                SimdWidth width = TestData.Width(widthName);
                float[] y = (float[])z.Clone();
                Forward(kind, y, rowLength, width);
                TestData.Near(expectedY, y, absolute: 1e-6, relative: 1e-6, $"forward {where} {width}");

                var dz = new float[z.Length];
                Backward(kind, y, dy, dz, rowLength, width);
                TestData.Near(expectedDz, dz, absolute: 1e-6, relative: 1e-5, $"backward {where} {width}");
                if (kind == Activation.Step)
                {
                    Assert.Equal(dy, dz); // straight-through, by design
                }
                else
                {
                    TestData.Near(finiteDifference, dz, i => Smooth(i) ? 2e-6 + 1e-5 * Math.Abs(finiteDifference[i]) : double.PositiveInfinity,
                        $"backward vs finite differences {where} {width}");
                }

                // inputGradient may be the same span as outputGradient.
                float[] inPlace = (float[])dy.Clone();
                Backward(kind, y, inPlace, inPlace, rowLength, width);
                Assert.Equal(dz, inPlace);
            }
        }
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void ReLUPropagatesNaNAndStepMapsZeroToOne(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        float[] values = new float[19];
        values[18] = float.NaN;
        new ReLUActivation().ForwardAt(values, values.Length, width);
        Assert.True(float.IsNaN(values[18]));

        float[] steps = [0f, -0f, 1e-30f, -1e-30f, 5f, -5f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, -1f];
        new StepActivation().ForwardAt(steps, steps.Length, width);
        Assert.Equal([1f, 1f, 1f, 0f, 1f, 0f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 0f], steps);
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new SoftmaxActivation().Forward(new float[10], 3));
        Assert.Equal("values", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReLUActivation().Forward(new float[10], 0));
        error = Assert.Throws<ArgumentException>(() => new SigmoidActivation().Backward(new float[4], new float[3], new float[4], 4));
        Assert.Equal("outputGradient", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => new TanhActivation().Backward(new float[4], new float[4], new float[5], 4));
        Assert.Equal("inputGradient", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyReLUActivation(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyReLUActivation(-0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyReLUActivation(float.NaN));
    }

    private static double Dot(double[] x, double[] y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    internal static void Forward(Activation kind, Span<float> values, int rowLength, SimdWidth width)
    {
        switch (kind)
        {
            case Activation.Identity: new IdentityActivation().ForwardAt(values, rowLength, width); break;
            case Activation.ReLU: new ReLUActivation().ForwardAt(values, rowLength, width); break;
            case Activation.LeakyReLU: new LeakyReLUActivation(Slope).ForwardAt(values, rowLength, width); break;
            case Activation.Sigmoid: new SigmoidActivation().ForwardAt(values, rowLength, width); break;
            case Activation.Tanh: new TanhActivation().ForwardAt(values, rowLength, width); break;
            case Activation.Softmax: new SoftmaxActivation().ForwardAt(values, rowLength, width); break;
            case Activation.Step: new StepActivation().ForwardAt(values, rowLength, width); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    internal static void Backward(Activation kind, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dz, int rowLength, SimdWidth width)
    {
        switch (kind)
        {
            case Activation.Identity: new IdentityActivation().BackwardAt(y, dy, dz, rowLength, width); break;
            case Activation.ReLU: new ReLUActivation().BackwardAt(y, dy, dz, rowLength, width); break;
            case Activation.LeakyReLU: new LeakyReLUActivation(Slope).BackwardAt(y, dy, dz, rowLength, width); break;
            case Activation.Sigmoid: new SigmoidActivation().BackwardAt(y, dy, dz, rowLength, width); break;
            case Activation.Tanh: new TanhActivation().BackwardAt(y, dy, dz, rowLength, width); break;
            case Activation.Softmax: new SoftmaxActivation().BackwardAt(y, dy, dz, rowLength, width); break;
            case Activation.Step: new StepActivation().BackwardAt(y, dy, dz, rowLength, width); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }
}
