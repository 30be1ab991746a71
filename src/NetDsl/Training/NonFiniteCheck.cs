using System;
using System.Globalization;
using System.Text;
using NetDsl.Kernels;
using NetDsl.Serialization;

namespace NetDsl;

/// <summary>
/// Stops a diverging training run at the first NaN or infinity, with an error naming the step, the tensor and its layer,
/// and what to do about it. The checks make one SIMD pass over the buffer and allocate nothing while every value is
/// finite; only the error path looks for the culprit and builds a message.
/// </summary>
/// <remarks>
/// A training loop checks the loss, then the gradients between the backward pass and the optimizer step (after
/// <see cref="GradientClipping"/>, whose returned norm is already non-finite when a gradient is), and optionally the
/// parameters after the step. The tensors are the network's <c>ParameterTensors</c>, in buffer order: tensors whose
/// names share the prefix before the last dot (<c>1.weight</c>, <c>1.bias</c>) form one layer, numbered from 0.
/// </remarks>
public static class NonFiniteCheck
{
    private const string Advice =
        "Training diverged: lower the learning rate, clip gradients (GradientClipping.ClipByGlobalNorm), or check the inputs and targets for NaN.";

    /// <summary>Whether every value is finite (no NaN, no ±∞).</summary>
    public static bool IsFinite(ReadOnlySpan<float> values) => GradientKernels.AllFinite(values, SimdDispatch.Best);

    /// <summary>Throws when the loss of a step is NaN or infinite.</summary>
    /// <param name="loss">The step's loss, such as the value <c>TrainStep</c> or <c>ComputeLoss</c> returned.</param>
    /// <param name="step">The step's number, for the message.</param>
    /// <exception cref="ArithmeticException"><paramref name="loss"/> is NaN or infinite.</exception>
    public static void ThrowIfLossNotFinite(float loss, long step)
    {
        if (!float.IsFinite(loss))
        {
            throw new ArithmeticException(string.Create(CultureInfo.InvariantCulture,
                $"Step {step}: the loss is {Describe(loss)}. {Advice}"));
        }
    }

    /// <summary>Throws when a gradient is NaN or infinite, naming the first tensor that holds one.</summary>
    /// <param name="gradients">The network's gradient buffer, after the backward pass.</param>
    /// <param name="tensors">The network's <c>ParameterTensors</c>, which name the parts of the buffer.</param>
    /// <param name="step">The step's number, for the message.</param>
    /// <exception cref="ArithmeticException">A gradient is NaN or infinite. The message names the step, the tensor, its layer and the element.</exception>
    public static void ThrowIfGradientsNotFinite(ReadOnlySpan<float> gradients, ReadOnlySpan<ParameterTensor> tensors, long step)
        => ThrowIfNotFinite(gradients, tensors, step, "gradient", SimdDispatch.Best);

    /// <summary>Throws when a parameter is NaN or infinite, naming the first tensor that holds one.</summary>
    /// <param name="parameters">The network's parameter buffer, after the optimizer step.</param>
    /// <param name="tensors">The network's <c>ParameterTensors</c>, which name the parts of the buffer.</param>
    /// <param name="step">The step's number, for the message.</param>
    /// <exception cref="ArithmeticException">A parameter is NaN or infinite. The message names the step, the tensor, its layer and the element.</exception>
    public static void ThrowIfParametersNotFinite(ReadOnlySpan<float> parameters, ReadOnlySpan<ParameterTensor> tensors, long step)
        => ThrowIfNotFinite(parameters, tensors, step, "parameter", SimdDispatch.Best);

    internal static void ThrowIfNotFinite(ReadOnlySpan<float> values, ReadOnlySpan<ParameterTensor> tensors, long step, string kind, SimdWidth width)
    {
        if (!GradientKernels.AllFinite(values, width))
        {
            throw new ArithmeticException(Message(values, tensors, step, kind));
        }
    }

    /// <summary>Describes the first non-finite value of <paramref name="values"/> (the slow path, only on failure).</summary>
    private static string Message(ReadOnlySpan<float> values, ReadOnlySpan<ParameterTensor> tensors, long step, string kind)
    {
        int index = 0;
        while (float.IsFinite(values[index]))
        {
            index++;
        }
        float value = values[index];
        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"Step {step}: ");

        int layer = -1;
        string? previousPrefix = null;
        foreach (ParameterTensor tensor in tensors)
        {
            string prefix = LayerPrefix(tensor.Name);
            if (prefix != previousPrefix)
            {
                layer++;
                previousPrefix = prefix;
            }
            long count = ElementCount(tensor.Shape);
            if (index < tensor.Offset || index - tensor.Offset >= count)
            {
                continue;
            }
            int local = index - tensor.Offset;
            int bad = 0;
            foreach (float x in values[tensor.Offset..(int)Math.Min(tensor.Offset + count, values.Length)])
            {
                bad += float.IsFinite(x) ? 0 : 1;
            }
            string layerLabel = prefix == layer.ToString(CultureInfo.InvariantCulture) ? $"layer {layer}" : $"layer {layer}, '{prefix}'";
            message.Append(CultureInfo.InvariantCulture,
                $"the {kind} of '{tensor.Name}' ({layerLabel}) holds {Describe(value)} at {Coordinates(local, tensor.Shape)}");
            message.Append(CultureInfo.InvariantCulture,
                $"; {bad} of its {count} values are not finite. {Advice}");
            return message.ToString();
        }
        message.Append(CultureInfo.InvariantCulture,
            $"the {kind} buffer holds {Describe(value)} at index {index}, which no named tensor covers. {Advice}");
        return message.ToString();
    }

    private static string Describe(float value) => float.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";

    private static string LayerPrefix(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? name : name[..dot];
    }

    private static long ElementCount(int[] shape)
    {
        long count = 1;
        foreach (int dimension in shape)
        {
            count *= dimension;
        }
        return count;
    }

    /// <summary><c>index 37</c> for a vector, <c>[2, 5] (index 37)</c> for a matrix or higher rank.</summary>
    private static string Coordinates(int index, int[] shape)
    {
        if (shape.Length < 2)
        {
            return string.Create(CultureInfo.InvariantCulture, $"index {index}");
        }
        var coordinates = new int[shape.Length];
        int rest = index;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            coordinates[d] = shape[d] == 0 ? 0 : rest % shape[d];
            rest = shape[d] == 0 ? 0 : rest / shape[d];
        }
        return string.Create(CultureInfo.InvariantCulture, $"[{string.Join(", ", coordinates)}] (index {index})");
    }
}
