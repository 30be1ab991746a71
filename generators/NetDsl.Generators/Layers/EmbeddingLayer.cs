using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>
/// <c>[Embedding(vocabulary, dimension)]</c>: PyTorch's <c>nn.Embedding</c>, <c>y[b,t] = E[x[b,t]]</c> with table
/// <c>E [V, D]</c>. The inputs are indices held as floats; they get no gradient.
/// </summary>
internal static class EmbeddingLayer
{
    // ---- Validation ----------------------------------------------------------------------------------------

    public static EmbeddingLayerModel? Validate(LayerDeclaration declaration, LayerContext layer)
    {
        ValidationContext context = layer.Validation;
        bool ok = true;
        int vocabulary = LayerOptions.ReadPositive(declaration, "Vocabulary", 0, context, ref ok);
        int dimension = LayerOptions.ReadPositive(declaration, "Dimension", 0, context, ref ok);
        int padding = declaration.GetInt("PaddingIndex", -1);
        if (padding < -1 || (vocabulary > 0 && padding >= vocabulary))
        {
            context.Report(DiagnosticDescriptors.InvalidOption, declaration.Location, "PaddingIndex", $"layer {layer.Index}", padding, $"-1 (none) or an index below the vocabulary size {vocabulary}");
            ok = false;
        }
        if (layer.Index != 0)
        {
            context.Report(DiagnosticDescriptors.ShapeMismatch, declaration.Location, layer.Describe(declaration), "the network's input indices", layer.InputKnown ? Shapes.Format(layer.InputShape) : "another layer's output",
                "an embedding reads the network's input, so it must be the first layer");
            ok = false;
        }
        else if (layer.InputKnown && layer.InputShape.Count != 1)
        {
            context.Report(DiagnosticDescriptors.ShapeMismatch, declaration.Location, layer.Describe(declaration), "a sequence of indices [steps]", Shapes.Format(layer.InputShape),
                "declare [Input(steps)]: one index per step");
            ok = false;
        }
        string name = LayerOptions.ReadName(declaration, layer, ref ok);
        if (!ok || !layer.InputKnown)
            return null;
        if ((long)vocabulary * dimension > int.MaxValue)
        {
            context.Report(DiagnosticDescriptors.TooManyParameters, declaration.Location, context.Declaration.ClassName, Literals.Grouped((long)vocabulary * dimension), "int-indexed");
            return null;
        }
        return new EmbeddingLayerModel(layer.Index, name, layer.Input, layer.InputShape[0], vocabulary, dimension, padding, layer.ParameterOffset);
    }

    // ---- Emission --------------------------------------------------------------------------------------------

    public static string Describe(EmbeddingLayerModel e) => $"{e.Vocabulary} × {e.Dimension}" + (e.PaddingIndex >= 0 ? $", padding {e.PaddingIndex}" : "");

    public static void EmitConstants(SourceWriter w, EmbeddingLayerModel e)
    {
        w.WriteLine($"/// <summary>Where layer {e.Index}'s table <c>{e.Name}.weight</c> <c>[{e.Vocabulary}, {e.Dimension}]</c> starts in <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine($"public const int Layer{e.Index}WeightOffset = {Literals.Int(e.ParameterOffset)};");
    }

    public static void EmitTensors(SourceWriter w, EmbeddingLayerModel e)
        => w.WriteLine($"new(\"{e.Name}.weight\", Layer{e.Index}WeightOffset, [{e.Vocabulary}, {e.Dimension}]),");

    public static void EmitInitialize(SourceWriter w, EmbeddingLayerModel e)
    {
        w.WriteLine($"// Layer {e.Index}: E{e.Index} ~ N(0, 1) (PyTorch's default){(e.PaddingIndex >= 0 ? $", its padding row {e.PaddingIndex} zero" : "")}.");
        w.WriteLine($"global::NetDsl.Kernels.Initializers.Fill(parameters.Slice(Layer{e.Index}WeightOffset, {Literals.Int(e.ParameterCount)}), global::NetDsl.Initializer.Normal, fanIn: {e.Vocabulary}, fanOut: {e.Dimension}, random, scale: 1f);");
        if (e.PaddingIndex >= 0)
            w.WriteLine($"parameters.Slice(Layer{e.Index}WeightOffset + {Literals.Int(e.PaddingIndex * e.Dimension)}, {e.Dimension}).Clear();");
    }

    public static void EmitForward(SourceWriter w, EmbeddingLayerModel e, string x)
    {
        int i = e.Index;
        w.WriteLine($"// Layer {i} · Embedding {Describe(e)}");
        w.WriteLine($"// y{i}[B,{e.Steps},{e.Dimension}] = E{i}[{x}[B,{e.Steps}]]: each index picks a row of the table");
        w.WriteLine($"global::System.Span<float> y{i} = workspace.Layer{i}Output.AsSpan(0, batch * {Literals.Int(e.OutputSize)});");
        w.WriteLine($"global::NetDsl.Kernels.Embedding.Forward({x}, parameters.Slice(Layer{i}WeightOffset, {Literals.Int(e.ParameterCount)}), y{i}, vocabulary: {e.Vocabulary}, dimension: {e.Dimension}, steps: {e.Steps});");
    }

    public static void EmitBackward(SourceWriter w, EmbeddingLayerModel e, string x, string? dx, string? dxCondition)
    {
        int i = e.Index;
        w.WriteLine($"// Layer {i} · Embedding: dE{i}[row] = Σ of dy{i} over the steps that used the row{(e.PaddingIndex >= 0 ? $" (none for padding {e.PaddingIndex})" : "")}; the indices get no gradient");
        w.WriteLine($"global::NetDsl.Kernels.Embedding.Backward({x}, workspace.Layer{i}Gradient.AsSpan(0, batch * {Literals.Int(e.OutputSize)}), gradients.Slice(Layer{i}WeightOffset, {Literals.Int(e.ParameterCount)}), vocabulary: {e.Vocabulary}, dimension: {e.Dimension}, paddingIndex: {e.PaddingIndex}, steps: {e.Steps});");
        if (dx is not null)
            w.WriteLine(dxCondition is null ? $"{dx}.Clear();" : $"{dx}.Clear(); // indices are not differentiable");
    }
}
