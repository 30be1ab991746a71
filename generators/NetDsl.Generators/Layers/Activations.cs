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
        ActivationKind.LeakyReLU => $"leaky_relu({argument}, slope {Literals.Number(negativeSlope)})",
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
        ActivationKind.LeakyReLU => $"({y} > 0 ? 1 : {Literals.Number(negativeSlope)})",
        ActivationKind.Sigmoid => $"{y}(1 − {y})",
        ActivationKind.Tanh => $"(1 − {y}²)",
        _ => "1",
    };
}

internal static class Literals
{
    public static string Float(float value) => Number(value) + "f";

    /// <summary>The shortest round-trip text of <paramref name="value"/>, with exponents as C# writes them: <c>1e-5</c>, not <c>1E-05</c>.</summary>
    public static string Number(float value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        int e = text.IndexOf('E');
        if (e < 0)
            return text;
        int exponent = int.Parse(text.Substring(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return text.Substring(0, e) + "e" + exponent.ToString(CultureInfo.InvariantCulture);
    }

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Grouped(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
