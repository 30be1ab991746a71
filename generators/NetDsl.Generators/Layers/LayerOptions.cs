using System;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>Options several layer kinds share (activation, initializer, penalties, name), read and checked one way.</summary>
internal static class LayerOptions
{
    private static readonly Regex s_validName = new("^[A-Za-z0-9_.-]+$");

    /// <summary>The activation and leaky ReLU slope; softmax and step only on the last layer (and only where allowed).</summary>
    public static (ActivationKind Activation, float Slope) ReadActivation(LayerDeclaration declaration, LayerContext layer, bool allowRowWise, ref bool ok)
    {
        ValidationContext context = layer.Validation;
        int value = declaration.GetInt("Activation");
        if (!Enum.IsDefined(typeof(ActivationKind), value))
        {
            context.Report(DiagnosticDescriptors.UnknownActivation, declaration.Location, $"(Activation){value}", string.Join(", ", Enum.GetNames(typeof(ActivationKind))));
            ok = false;
        }
        var activation = (ActivationKind)value;

        float slope = declaration.GetFloat("NegativeSlope", 0.01f);
        if (declaration.Find("NegativeSlope") is not null && activation != ActivationKind.LeakyReLU)
            context.Report(DiagnosticDescriptors.OptionHasNoEffect, declaration.Location, "NegativeSlope", $"layer {layer.Index}", $"Activation.{activation}", "Activation.LeakyReLU");
        if (activation == ActivationKind.LeakyReLU && !(slope > 0 && slope < 1))
        {
            context.Report(DiagnosticDescriptors.InvalidNegativeSlope, declaration.Location, layer.Index, slope.ToString("R", CultureInfo.InvariantCulture));
            ok = false;
        }

        if (activation is ActivationKind.Softmax or ActivationKind.Step && !allowRowWise)
        {
            context.Report(DiagnosticDescriptors.InvalidOption, declaration.Location, "Activation", $"layer {layer.Index}", $"Activation.{activation}",
                $"Identity, ReLU, LeakyReLU, Sigmoid or Tanh in a [{declaration.AttributeName}] layer (flatten and add a [Dense] layer for {activation})");
            ok = false;
        }
        else if (activation == ActivationKind.Softmax && !layer.IsLast)
        {
            context.Report(DiagnosticDescriptors.SoftmaxNotLast, declaration.Location, layer.Index);
            ok = false;
        }
        else if (activation == ActivationKind.Step && !layer.IsLast)
        {
            context.Report(DiagnosticDescriptors.StepMisused, declaration.Location, layer.Index);
            ok = false;
        }
        return (activation, slope);
    }

    /// <summary>An initializer option (<c>Initializer</c> or <c>BiasInitializer</c>), checked to be a named value.</summary>
    public static InitializerKind ReadInitializer(LayerDeclaration declaration, LayerContext layer, string option, InitializerKind fallback, ref bool ok)
    {
        int value = declaration.GetInt(option, (int)fallback);
        if (!Enum.IsDefined(typeof(InitializerKind), value))
        {
            layer.Validation.Report(DiagnosticDescriptors.UnknownOption, declaration.Location, $"(Initializer){value}", "Initializer", string.Join(", ", Enum.GetNames(typeof(InitializerKind))));
            ok = false;
        }
        return (InitializerKind)value;
    }

    /// <summary>The L1 and L2 penalties on the weights, each finite and at least 0.</summary>
    public static (float L1, float L2) ReadPenalties(LayerDeclaration declaration, LayerContext layer, ref bool ok)
    {
        float l1 = declaration.GetFloat("L1", 0f), l2 = declaration.GetFloat("L2", 0f);
        ok &= Check(layer, declaration, "L1", l1, 0, "a finite number of at least 0", strict: false);
        ok &= Check(layer, declaration, "L2", l2, 0, "a finite number of at least 0", strict: false);
        return (l1, l2);
    }

    /// <summary>The tensor name prefix: the declared <c>Name</c>, or the layer's index.</summary>
    public static string ReadName(LayerDeclaration declaration, LayerContext layer, ref bool ok)
    {
        string name = declaration.GetString("Name") ?? layer.Index.ToString(CultureInfo.InvariantCulture);
        if (!s_validName.IsMatch(name))
        {
            layer.Validation.Report(DiagnosticDescriptors.InvalidLayerName, declaration.Location, name, layer.Index, "is not a valid tensor name prefix");
            ok = false;
        }
        return name;
    }

    /// <summary>
    /// The L1/L2 penalty on a layer's weights <c>W{index}</c> (at <c>Layer{index}WeightOffset</c>): adds to <c>loss</c>
    /// and to the weight gradient; the comment names only the terms that are declared.
    /// </summary>
    public static void EmitPenalty(SourceWriter w, int index, int weightCount, float l1, float l2)
    {
        string a = Literals.Number(l1), b = Literals.Number(l2);
        string loss = string.Join(" + ", new[] { l1 != 0 ? $"{a}·Σ|W{index}|" : null, l2 != 0 ? $"{b}·ΣW{index}²" : null }.Where(t => t is not null));
        string gradient = string.Join(" + ", new[] { l1 != 0 ? $"{a}·sign(W{index})" : null, l2 != 0 ? $"2·{b}·W{index}" : null }.Where(t => t is not null));
        string weights = $"Layer{index}WeightOffset, {Literals.Int(weightCount)}";
        w.WriteLine($"// Layer {index} penalty: loss += {loss};  dW{index} += {gradient}");
        w.WriteLine($"loss += global::NetDsl.Kernels.Penalties.AddL1L2(parameters.Slice({weights}), gradients.Slice({weights}), l1: {Literals.Float(l1)}, l2: {Literals.Float(l2)});");
    }

    /// <summary>A whole-number option that must be positive (sizes, strides), reported as NDSL0005.</summary>
    public static int ReadPositive(LayerDeclaration declaration, string option, int fallback, ValidationContext context, ref bool ok)
    {
        int value = declaration.GetInt(option, fallback);
        if (value <= 0)
        {
            context.Report(DiagnosticDescriptors.NonPositiveSize, declaration.Location, option, declaration.AttributeName, value);
            ok = false;
        }
        return value;
    }

    /// <summary>Reports NDSL0021 unless <paramref name="value"/> is finite and at least (or, when strict, above) <paramref name="minimum"/>.</summary>
    public static bool Check(LayerContext layer, LayerDeclaration declaration, string option, float value, float minimum, string requirement, bool strict)
    {
        bool valid = !float.IsNaN(value) && !float.IsInfinity(value) && (strict ? value > minimum : value >= minimum);
        if (!valid)
            layer.Validation.Report(DiagnosticDescriptors.InvalidOption, declaration.Location, option, $"layer {layer.Index}", value.ToString("R", CultureInfo.InvariantCulture), requirement);
        return valid;
    }
}
