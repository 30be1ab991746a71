using System;
using NetDsl.Kernels;
using NetDsl.Serialization;
using NetDsl.Tests.Kernels;
using Xunit;

namespace NetDsl.Tests.Training;

/// <summary>The SIMD finiteness scan at every width and position, and the errors that name the step, tensor, layer and element.</summary>
public class NonFiniteCheckTests
{
    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void The_scan_finds_one_non_finite_value_at_any_position(string widthName)
    {
        SimdWidth width = TestData.Width(widthName);
        foreach (int length in TestData.Lengths())
        {
            float[] values = TestData.Uniform(new Random(length), length, scale: 1e30f);
            values[0] = float.MaxValue;
            values[^1] = -float.MaxValue;
            Assert.True(GradientKernels.AllFinite(values, width), $"all finite, length {length} {width}");
            for (int i = 0; i < length; i++)
            {
                foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
                {
                    float kept = values[i];
                    values[i] = bad;
                    Assert.False(GradientKernels.AllFinite(values, width), $"{bad} at {i} of {length} {width}");
                    values[i] = kept;
                }
            }
        }
        Assert.True(GradientKernels.AllFinite([], width));
    }

    [Fact]
    public void A_nan_gradient_names_the_step_tensor_layer_and_element_and_says_what_to_do()
    {
        var network = new IrisForOptimizers();
        float[] gradients = new float[IrisForOptimizers.ParameterCount];
        int offset = IrisForOptimizers.ParameterTensors[2].Offset;          // 1.weight, [3, 16]
        gradients[offset + 37] = float.NaN;
        gradients[offset + 40] = float.PositiveInfinity;
        gradients[^1] = float.NaN;                                          // 1.bias: after the first culprit

        var error = Assert.Throws<ArithmeticException>(() => NonFiniteCheck.ThrowIfGradientsNotFinite(gradients, IrisForOptimizers.ParameterTensors, step: 412));

        Assert.Equal(
            "Step 412: the gradient of '1.weight' (layer 1) holds NaN at [2, 5] (index 37); 2 of its 48 values are not finite. " +
            "Training diverged: lower the learning rate, clip gradients (GradientClipping.ClipByGlobalNorm), or check the inputs and targets for NaN.",
            error.Message);
        Assert.Equal(131, network.Parameters.Length);
    }

    [Fact]
    public void A_parameter_error_names_vectors_by_index_and_custom_layer_names()
    {
        ParameterTensor[] tensors = [new("encoder.weight", 0, [2, 3]), new("encoder.bias", 6, [2]), new("head.weight", 8, [1, 2]), new("head.bias", 10, [1])];
        float[] parameters = new float[11];
        parameters[7] = float.NegativeInfinity;
        var error = Assert.Throws<ArithmeticException>(() => NonFiniteCheck.ThrowIfParametersNotFinite(parameters, tensors, step: 3));
        Assert.StartsWith("Step 3: the parameter of 'encoder.bias' (layer 0, 'encoder') holds -Infinity at index 1; 1 of its 2 values are not finite.", error.Message);

        parameters[7] = 0f;
        parameters[10] = float.NaN;
        error = Assert.Throws<ArithmeticException>(() => NonFiniteCheck.ThrowIfParametersNotFinite(parameters, tensors, step: 4));
        Assert.StartsWith("Step 4: the parameter of 'head.bias' (layer 1, 'head') holds NaN at index 0", error.Message);

        // A value outside every named tensor, or no names at all, is still reported by its index.
        error = Assert.Throws<ArithmeticException>(() => NonFiniteCheck.ThrowIfGradientsNotFinite(parameters, [], step: 5));
        Assert.StartsWith("Step 5: the gradient buffer holds NaN at index 10, which no named tensor covers.", error.Message);
    }

    [Fact]
    public void A_non_finite_loss_names_the_step()
    {
        NonFiniteCheck.ThrowIfLossNotFinite(1e30f, step: 0);
        var error = Assert.Throws<ArithmeticException>(() => NonFiniteCheck.ThrowIfLossNotFinite(float.PositiveInfinity, step: 9));
        Assert.StartsWith("Step 9: the loss is +Infinity. Training diverged: lower the learning rate", error.Message);
    }

    [Fact]
    public void Finite_buffers_pass_without_allocating()
    {
        using var kernelThreads = KernelThreads.Hold();
        var network = new IrisForOptimizers(seed: 1);
        Assert.True(NonFiniteCheck.IsFinite(network.Parameters));
        NonFiniteCheck.ThrowIfGradientsNotFinite(network.Gradients, IrisForOptimizers.ParameterTensors, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        NonFiniteCheck.ThrowIfGradientsNotFinite(network.Gradients, IrisForOptimizers.ParameterTensors, 1);
        NonFiniteCheck.ThrowIfParametersNotFinite(network.Parameters, IrisForOptimizers.ParameterTensors, 1);
        NonFiniteCheck.ThrowIfLossNotFinite(0.5f, 1);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
