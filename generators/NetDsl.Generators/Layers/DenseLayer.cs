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
    // ---- Validation ----------------------------------------------------------------------------------------

    public static DenseLayerModel? Validate(LayerDeclaration declaration, LayerContext layer)
    {
        (int index, int input, int offset, ValidationContext context) = (layer.Index, layer.Input, layer.ParameterOffset, layer.Validation);
        int inputSize = 0;
        bool ok = true;
        if (layer.InputKnown && layer.InputShape.Count != 1)
        {
            context.Report(DiagnosticDescriptors.ShapeMismatch, declaration.Location, layer.Describe(declaration), "a flat input", Shapes.Format(layer.InputShape), "add [Flatten] (or [GlobalAveragePool2D]) before it");
            ok = false;
        }
        else if (layer.InputKnown)
        {
            inputSize = layer.InputShape[0];
            int expected = declaration.GetInt("InputSize");
            if (expected != 0 && expected != inputSize)
            {
                context.Report(DiagnosticDescriptors.ShapeMismatch, declaration.Location, layer.Describe(declaration), $"{expected} inputs (its InputSize)", Shapes.Format(layer.InputShape),
                    "check the layers before it (a convolution's or pooling's output size), or correct InputSize");
                ok = false;
            }
        }
        int units = declaration.GetInt("Units");
        if (units <= 0)
        {
            context.Report(DiagnosticDescriptors.NonPositiveSize, declaration.Location, "Units", "Dense", units);
            ok = false;
        }

        (ActivationKind activation, float slope) = LayerOptions.ReadActivation(declaration, layer, allowRowWise: true, ref ok);
        string name = LayerOptions.ReadName(declaration, layer, ref ok);

        InitializerKind initializer = LayerOptions.ReadInitializer(declaration, layer, "Initializer", InitializerKind.Default, ref ok);
        float scale = declaration.GetFloat("InitializerScale", 0.05f);
        if (declaration.Find("InitializerScale") is not null && initializer is not (InitializerKind.Uniform or InitializerKind.Normal or InitializerKind.Constant))
            context.Report(DiagnosticDescriptors.OptionHasNoEffect, declaration.Location, "InitializerScale", $"layer {index}", $"Initializer.{initializer}", "Initializer.Uniform, Initializer.Normal or Initializer.Constant");
        ok &= LayerOptions.Check(layer, declaration, "InitializerScale", scale, initializer == InitializerKind.Constant ? float.NegativeInfinity : 0, "a finite number" + (initializer == InitializerKind.Constant ? "" : " greater than 0"), strict: initializer != InitializerKind.Constant);

        InitializerKind biasInitializer = LayerOptions.ReadInitializer(declaration, layer, "BiasInitializer", InitializerKind.Zeros, ref ok);
        if (biasInitializer == InitializerKind.Default)
            biasInitializer = InitializerKind.Zeros;
        float biasValue = declaration.GetFloat("BiasValue", 0f);
        if (declaration.Find("BiasValue") is not null && biasInitializer != InitializerKind.Constant)
            context.Report(DiagnosticDescriptors.OptionHasNoEffect, declaration.Location, "BiasValue", $"layer {index}", $"BiasInitializer = Initializer.{biasInitializer}", "BiasInitializer = Initializer.Constant");
        ok &= LayerOptions.Check(layer, declaration, "BiasValue", biasValue, float.NegativeInfinity, "a finite number", strict: false);

        (float l1, float l2) = LayerOptions.ReadPenalties(declaration, layer, ref ok);

        if (!ok || inputSize <= 0)
            return null;
        if ((long)units * inputSize + units > int.MaxValue)
        {
            context.Report(DiagnosticDescriptors.TooManyParameters, declaration.Location, context.Declaration.ClassName,
                Literals.Grouped((long)units * inputSize + units), "int-indexed");
            return null;
        }

        if (initializer == InitializerKind.Default)
            initializer = DefaultInitializer(activation);
        return new DenseLayerModel(index, name, input, inputSize, units, activation, slope, initializer, scale, biasInitializer, biasValue, l1, l2, offset);
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
        int i = layer.Index;
        string weightScale = layer.Initializer is InitializerKind.Uniform or InitializerKind.Normal or InitializerKind.Constant
            ? $", scale: {Literals.Float(layer.InitializerScale)}" : "";
        w.WriteLine($"// Layer {i}: W{i} by {Describe(layer.Initializer, layer.InitializerScale)} (fan in {layer.Inputs}, fan out {layer.Units}); b{i} by {Describe(layer.BiasInitializer, layer.BiasValue)}.");
        w.WriteLine($"global::NetDsl.Kernels.Initializers.Fill(parameters.Slice(Layer{i}WeightOffset, {Literals.Int(layer.WeightCount)}), global::NetDsl.Initializer.{layer.Initializer}, fanIn: {layer.Inputs}, fanOut: {layer.Units}, random{weightScale});");
        switch (layer.BiasInitializer)
        {
            case InitializerKind.Zeros:
                w.WriteLine($"parameters.Slice(Layer{i}BiasOffset, {Literals.Int(layer.Units)}).Clear();");
                break;
            case InitializerKind.Constant:
                w.WriteLine($"parameters.Slice(Layer{i}BiasOffset, {Literals.Int(layer.Units)}).Fill({Literals.Float(layer.BiasValue)});");
                break;
            default:
                string biasScale = layer.BiasInitializer is InitializerKind.Uniform or InitializerKind.Normal ? $", scale: {Literals.Float(layer.InitializerScale)}" : "";
                w.WriteLine($"global::NetDsl.Kernels.Initializers.Fill(parameters.Slice(Layer{i}BiasOffset, {Literals.Int(layer.Units)}), global::NetDsl.Initializer.{layer.BiasInitializer}, fanIn: {layer.Inputs}, fanOut: {layer.Units}, random{biasScale});");
                break;
        }
    }

    private static string Describe(InitializerKind initializer, float scale) => initializer switch
    {
        InitializerKind.Zeros => "zeros",
        InitializerKind.Constant => $"the constant {Literals.Number(scale)}",
        InitializerKind.Uniform => $"U(±{Literals.Number(scale)})",
        InitializerKind.Normal => $"N(0, {Literals.Number(scale)}²)",
        _ => initializer.ToString(),
    };

    /// <summary>The L1/L2 penalty on the weights: adds to <c>loss</c> and to the weight gradient.</summary>
    public static void EmitPenalty(SourceWriter w, DenseLayerModel layer)
    {
        if (layer.HasPenalty)
            LayerOptions.EmitPenalty(w, layer.Index, layer.WeightCount, layer.L1, layer.L2);
    }

    /// <summary>Forward: reads <paramref name="x"/>, writes the layer's output <c>y{i}</c> (declared here).</summary>
    public static void EmitForward(SourceWriter w, DenseLayerModel layer, string x)
    {
        int i = layer.Index;
        w.WriteLine($"// Layer {i} · Dense {layer.Inputs} → {layer.Units} · {layer.Activation}");
        w.WriteLine($"// y{i}[B,{layer.Units}] = {Activations.Math(layer.Activation, layer.NegativeSlope, $"{x}[B,{layer.Inputs}] · W{i}[{layer.Units},{layer.Inputs}]ᵀ + b{i}[{layer.Units}]")}");
        w.WriteLine($"global::System.Span<float> y{i} = workspace.Layer{i}Output.AsSpan(0, batch * {layer.Units});");
        w.WriteLine($"global::NetDsl.Kernels.Gemm.MultiplyTransposedB({x}, parameters.Slice(Layer{i}WeightOffset, {Literals.Int(layer.WeightCount)}), parameters.Slice(Layer{i}BiasOffset, {layer.Units}), y{i},");
        w.WriteLine($"    m: batch, n: {layer.Units}, k: {layer.Inputs}, {Activations.Operator(layer.Activation, layer.NegativeSlope)}, packed: _packedWeights?[{i}]);");
    }

    /// <summary>
    /// A <c>Predictor</c>'s copy: packs W and b once (see <c>PackedWeights</c>), into <c>packed[i]</c>; for the product
    /// that skips zero inputs where they are often zero (<see cref="InputsOftenZero"/>).
    /// </summary>
    public static void EmitPack(SourceWriter w, NetworkModel network, DenseLayerModel layer)
    {
        int i = layer.Index;
        string sparse = InputsOftenZero(network, layer) ? ", inputsOftenZero: true" : "";
        w.WriteLine($"packed[{i}] = new(parameters.Slice(Layer{i}WeightOffset, {Literals.Int(layer.WeightCount)}), parameters.Slice(Layer{i}BiasOffset, {layer.Units}), outputs: {layer.Units}, inputs: {layer.Inputs}{sparse});");
    }

    /// <summary>
    /// Whether the layer reads a ReLU's (or a step's) outputs, directly or through layers that keep zeros (flatten,
    /// dropout, max pooling): about half its inputs are then zero, and a batch-1 product can skip their weights.
    /// </summary>
    public static bool InputsOftenZero(NetworkModel network, DenseLayerModel layer)
    {
        for (int input = layer.Input; input >= 0;)
        {
            switch (network.Layers[input])
            {
                case FlattenLayerModel or DropoutLayerModel or PoolingLayerModel { Kind: PoolKind.Max }:
                    input = network.Layers[input].Input;
                    break;
                case DenseLayerModel dense:
                    return dense.Activation is ActivationKind.ReLU or ActivationKind.Step;
                case ConvolutionLayerModel convolution:
                    return convolution.Activation is ActivationKind.ReLU or ActivationKind.Step;
                default:
                    return false;
            }
        }
        return false;
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
