using System;
using System.Text.RegularExpressions;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>
/// <c>[Dense(units, activation)]</c>: <c>y[B,N] = f(x[B,K] · W[N,K]ᵀ + b[N])</c>, with <c>W</c> in PyTorch's
/// <c>nn.Linear</c> layout. Its validation, forward, backward and initialization code are all here.
/// </summary>
internal static class DenseLayer
{
    private static readonly Regex s_validName = new("^[A-Za-z0-9_.-]+$");

    // ---- Validation ----------------------------------------------------------------------------------------

    public static DenseLayerModel? Validate(LayerDeclaration declaration, int index, int input, int inputSize, bool isLast, LossKind loss, int offset, ValidationContext context)
    {
        bool ok = true;
        int units = declaration.GetInt("Units");
        if (units <= 0)
        {
            context.Report(DiagnosticDescriptors.NonPositiveSize, declaration.Location, "Units", "Dense", units);
            ok = false;
        }

        int activationValue = declaration.GetInt("Activation");
        if (!Enum.IsDefined(typeof(ActivationKind), activationValue))
        {
            context.Report(DiagnosticDescriptors.UnknownActivation, declaration.Location, $"(Activation){activationValue}", string.Join(", ", Enum.GetNames(typeof(ActivationKind))));
            ok = false;
        }
        var activation = (ActivationKind)activationValue;

        int initializerValue = declaration.GetInt("Initializer");
        if (!Enum.IsDefined(typeof(InitializerKind), initializerValue))
        {
            context.Report(DiagnosticDescriptors.UnknownOption, declaration.Location, $"(Initializer){initializerValue}", "Initializer", string.Join(", ", Enum.GetNames(typeof(InitializerKind))));
            ok = false;
        }

        float slope = declaration.GetFloat("NegativeSlope", 0.01f);
        if (declaration.Find("NegativeSlope") is not null && activation != ActivationKind.LeakyReLU)
            context.Report(DiagnosticDescriptors.OptionHasNoEffect, declaration.Location, "NegativeSlope", index, activation, "LeakyReLU");
        if (activation == ActivationKind.LeakyReLU && !(slope > 0 && slope < 1))
        {
            context.Report(DiagnosticDescriptors.InvalidNegativeSlope, declaration.Location, index, slope.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            ok = false;
        }

        if (activation == ActivationKind.Softmax && !isLast)
        {
            context.Report(DiagnosticDescriptors.SoftmaxNotLast, declaration.Location, index);
            ok = false;
        }
        if (activation == ActivationKind.Step && !isLast)
        {
            context.Report(DiagnosticDescriptors.StepMisused, declaration.Location, index);
            ok = false;
        }

        string name = declaration.GetString("Name") ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!s_validName.IsMatch(name))
        {
            context.Report(DiagnosticDescriptors.InvalidLayerName, declaration.Location, name, index, "is not a valid tensor name prefix");
            ok = false;
        }

        if (!ok || inputSize <= 0)
            return null;
        if ((long)units * inputSize + units > int.MaxValue)
        {
            context.Report(DiagnosticDescriptors.TooManyParameters, declaration.Location, context.Declaration.ClassName,
                Literals.Grouped((long)units * inputSize + units), "int-indexed");
            return null;
        }

        var initializer = (InitializerKind)initializerValue;
        if (initializer == InitializerKind.Default)
            initializer = DefaultInitializer(activation);
        return new DenseLayerModel(index, name, input, inputSize, units, activation, slope, initializer, offset);
    }

    /// <summary>He for the ReLU family, zeros for the perceptron's step, Glorot for the rest (the usual advice).</summary>
    public static InitializerKind DefaultInitializer(ActivationKind activation) => activation switch
    {
        ActivationKind.ReLU or ActivationKind.LeakyReLU => InitializerKind.HeUniform,
        ActivationKind.Step => InitializerKind.Zeros,
        _ => InitializerKind.XavierUniform,
    };

    // ---- Emission --------------------------------------------------------------------------------------------

    /// <summary>One line for the summary table and the class remarks.</summary>
    public static string Describe(DenseLayerModel layer) => $"Dense {layer.Inputs} → {layer.Units}, {layer.Activation}";

    public static void EmitConstants(SourceWriter w, DenseLayerModel layer)
    {
        w.WriteLine($"/// <summary>Where layer {layer.Index}'s weights <c>{layer.Name}.weight</c> <c>[{layer.Units}, {layer.Inputs}]</c> start in <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine($"public const int Layer{layer.Index}WeightOffset = {Literals.Int(layer.WeightOffset)};");
        w.WriteLine($"/// <summary>Where layer {layer.Index}'s bias <c>{layer.Name}.bias</c> <c>[{layer.Units}]</c> starts in <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine($"public const int Layer{layer.Index}BiasOffset = {Literals.Int(layer.BiasOffset)};");
    }

    public static void EmitTensors(SourceWriter w, DenseLayerModel layer)
    {
        w.WriteLine($"new(\"{layer.Name}.weight\", Layer{layer.Index}WeightOffset, [{layer.Units}, {layer.Inputs}]),");
        w.WriteLine($"new(\"{layer.Name}.bias\", Layer{layer.Index}BiasOffset, [{layer.Units}]),");
    }

    public static void EmitInitialize(SourceWriter w, DenseLayerModel layer)
    {
        w.WriteLine($"// Layer {layer.Index}: W{layer.Index} by {layer.Initializer} (fan in {layer.Inputs}, fan out {layer.Units}); b{layer.Index} = 0.");
        w.WriteLine($"global::NetDsl.Kernels.Initializers.Fill(parameters.Slice(Layer{layer.Index}WeightOffset, {Literals.Int(layer.WeightCount)}), global::NetDsl.Initializer.{layer.Initializer}, fanIn: {layer.Inputs}, fanOut: {layer.Units}, random);");
        w.WriteLine($"parameters.Slice(Layer{layer.Index}BiasOffset, {Literals.Int(layer.Units)}).Clear();");
    }

    /// <summary>Forward: reads <paramref name="x"/>, writes the layer's output <c>y{i}</c> (declared here).</summary>
    public static void EmitForward(SourceWriter w, DenseLayerModel layer, string x)
    {
        int i = layer.Index;
        w.WriteLine($"// Layer {i} · Dense {layer.Inputs} → {layer.Units} · {layer.Activation}");
        w.WriteLine($"// y{i}[B,{layer.Units}] = {Activations.Math(layer.Activation, layer.NegativeSlope, $"{x}[B,{layer.Inputs}] · W{i}[{layer.Units},{layer.Inputs}]ᵀ + b{i}[{layer.Units}]")}");
        w.WriteLine($"global::System.Span<float> y{i} = workspace.Layer{i}Output.AsSpan(0, batch * {layer.Units});");
        w.WriteLine($"global::NetDsl.Kernels.Gemm.MultiplyTransposedB({x}, parameters.Slice(Layer{i}WeightOffset, {Literals.Int(layer.WeightCount)}), parameters.Slice(Layer{i}BiasOffset, {layer.Units}), y{i},");
        w.WriteLine($"    m: batch, n: {layer.Units}, k: {layer.Inputs}, {Activations.Operator(layer.Activation, layer.NegativeSlope)});");
    }

    /// <summary>
    /// Backward: turns <c>dy{i}</c> (in the layer's gradient buffer) into <c>dz{i}</c>, writes the weight and bias
    /// gradients, and the gradient of its input into <paramref name="dx"/> (null when nothing needs it).
    /// </summary>
    public static void EmitBackward(SourceWriter w, DenseLayerModel layer, string x, string? dx, string? dxCondition)
    {
        int i = layer.Index;
        w.WriteLine($"// Layer {i} · Dense {layer.Inputs} → {layer.Units} · {layer.Activation}");
        w.WriteLine($"global::System.Span<float> dz{i} = workspace.Layer{i}Gradient.AsSpan(0, batch * {layer.Units});");
        switch (layer.Activation)
        {
            case ActivationKind.Identity:
                w.WriteLine($"// dz{i} = dy{i} (identity)");
                break;
            case ActivationKind.Step:
                w.WriteLine($"// dz{i} = dy{i}: the step's gradient passes straight through, which makes this the perceptron rule");
                break;
            case ActivationKind.Softmax:
                w.WriteLine($"// dz{i} = y{i} ⊙ (dy{i} − Σ_j dy{i}_j·y{i}_j), row by row");
                w.WriteLine($"{Activations.Operator(layer.Activation, layer.NegativeSlope)}.Backward(y{i}, dz{i}, dz{i}, {layer.Units});");
                break;
            default:
                w.WriteLine($"// dz{i} = dy{i} ⊙ {Activations.Derivative(layer.Activation, layer.NegativeSlope, $"y{i}")}");
                w.WriteLine($"{Activations.Operator(layer.Activation, layer.NegativeSlope)}.Backward(y{i}, dz{i}, dz{i}, {layer.Units});");
                break;
        }
        w.WriteLine($"// dW{i}[{layer.Units},{layer.Inputs}] = dz{i}ᵀ · {x};  db{i}[{layer.Units}] = Σ_batch dz{i}");
        w.WriteLine($"global::NetDsl.Kernels.Gemm.MultiplyTransposedA(dz{i}, {x}, gradients.Slice(Layer{i}WeightOffset, {Literals.Int(layer.WeightCount)}), m: {layer.Units}, n: {layer.Inputs}, k: batch);");
        w.WriteLine($"global::NetDsl.Kernels.Gemm.SumRows(dz{i}, gradients.Slice(Layer{i}BiasOffset, {layer.Units}), m: batch, n: {layer.Units});");
        if (dx is null)
            return;
        string product = $"global::NetDsl.Kernels.Gemm.Multiply(dz{i}, parameters.Slice(Layer{i}WeightOffset, {Literals.Int(layer.WeightCount)}), {dx}, m: batch, n: {layer.Inputs}, k: {layer.Units});";
        w.WriteLine($"// d{x}[B,{layer.Inputs}] = dz{i} · W{i}");
        if (dxCondition is null)
        {
            w.WriteLine(product);
        }
        else
        {
            w.WriteLine($"if ({dxCondition})");
            w.WriteLine("    " + product);
        }
    }
}
