using System.Globalization;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>How each activation appears in generated code: its kernel struct and the math written in comments.</summary>
internal static class Activations
{
    /// <summary>The <c>NetDsl.Kernels</c> struct that implements <paramref name="activation"/>, constructed.</summary>
    public static string Operator(ActivationKind activation, float negativeSlope) => activation switch
    {
        ActivationKind.LeakyReLU => $"new global::NetDsl.Kernels.LeakyReLUActivation({Literals.Float(negativeSlope)})",
        _ => $"new global::NetDsl.Kernels.{activation}Activation()",
    };

    /// <summary>The activation applied to <paramref name="argument"/>, as math in a comment.</summary>
    public static string Math(ActivationKind activation, float negativeSlope, string argument) => activation switch
    {
        ActivationKind.Identity => argument,
        ActivationKind.ReLU => $"relu({argument})",
        ActivationKind.LeakyReLU => $"leaky_relu({argument}, slope {negativeSlope.ToString("R", CultureInfo.InvariantCulture)})",
        ActivationKind.Sigmoid => $"σ({argument})",
        ActivationKind.Tanh => $"tanh({argument})",
        ActivationKind.Softmax => $"softmax_rows({argument})",
        ActivationKind.Step => $"step({argument})",
        _ => argument,
    };

    /// <summary>The activation's derivative written from its output <c>y</c>, as math in a comment.</summary>
    public static string Derivative(ActivationKind activation, float negativeSlope, string y) => activation switch
    {
        ActivationKind.ReLU => $"({y} > 0 ? 1 : 0)",
        ActivationKind.LeakyReLU => $"({y} > 0 ? 1 : {negativeSlope.ToString("R", CultureInfo.InvariantCulture)})",
        ActivationKind.Sigmoid => $"{y}(1 − {y})",
        ActivationKind.Tanh => $"(1 − {y}²)",
        _ => "1",
    };
}

internal static class Literals
{
    public static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture) + "f";

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Grouped(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
