using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>
/// <c>[SimpleRnn(h)]</c>, <c>[Lstm(h)]</c> and <c>[Gru(h)]</c>: PyTorch's <c>nn.RNN</c>, <c>nn.LSTM</c> and <c>nn.GRU</c>
/// (batch first, one layer), optionally bidirectional, returning the last state or the whole sequence, trained by
/// backpropagation through time (optionally truncated). The work is done by <c>NetDsl.Kernels.Recurrent</c>.
/// </summary>
internal static class RecurrentLayer
{
    // ---- Validation ----------------------------------------------------------------------------------------

    public static RecurrentLayerModel? Validate(LayerDeclaration declaration, LayerContext layer, EmbeddingLayerModel? lengthSource)
    {
        ValidationContext context = layer.Validation;
        bool ok = true;
        int hidden = LayerOptions.ReadPositive(declaration, "HiddenSize", 0, context, ref ok);
        int truncation = declaration.GetInt("Truncation");
        if (truncation < 0)
        {
            context.Report(DiagnosticDescriptors.InvalidOption, declaration.Location, "Truncation", $"layer {layer.Index}", truncation, "0 (full backpropagation through time) or a positive number of steps");
            ok = false;
        }
        if (layer.InputKnown && layer.InputShape.Count != 2)
        {
            context.Report(DiagnosticDescriptors.ShapeMismatch, declaration.Location, layer.Describe(declaration), "a sequence [steps, features]", Shapes.Format(layer.InputShape),
                "declare [Input(steps, features)], or put an [Embedding] before it, or return sequences from the recurrent layer before it");
            ok = false;
        }
        string name = LayerOptions.ReadName(declaration, layer, ref ok);
        int level = declaration.GetInt("Level");
        if (level < 0)
        {
            context.Report(DiagnosticDescriptors.InvalidOption, declaration.Location, "Level", $"layer {layer.Index}", level, "0 or more (the k of PyTorch's weight_ih_lk)");
            ok = false;
        }
        if (!ok || !layer.InputKnown)
            return null;

        var cell = declaration.Kind switch { LayerKind.Lstm => CellKind.Lstm, LayerKind.Gru => CellKind.Gru, _ => CellKind.SimpleRnn };
        int steps = layer.InputShape[0], inputs = layer.InputShape[1];
        bool usesLengths = lengthSource is not null && lengthSource.PaddingIndex >= 0 && lengthSource.Steps == steps;
        var model = new RecurrentLayerModel(layer.Index, name, layer.Input, cell, steps, inputs, hidden,
            declaration.GetInt("ReturnSequences") != 0, declaration.GetInt("Bidirectional") != 0, truncation, usesLengths, level, layer.ParameterOffset);
        if ((long)model.Directions * ((long)model.Gates * hidden * (inputs + hidden + 2)) > int.MaxValue)
        {
            context.Report(DiagnosticDescriptors.TooManyParameters, declaration.Location, context.Declaration.ClassName, "more than 2,147,483,647", "int-indexed");
            return null;
        }
        return model;
    }

    // ---- Emission --------------------------------------------------------------------------------------------

    private static string Cell(RecurrentLayerModel r) => $"global::NetDsl.Kernels.RecurrentCell.{r.Cell}";

    /// <summary>PyTorch's tensor suffix: <c>_l{level}</c>, and <c>_reverse</c> for the backward direction.</summary>
    private static string Suffix(RecurrentLayerModel r, int direction) => $"_l{r.Level}" + (direction == 0 ? "" : "_reverse");

    private static string Lengths(RecurrentLayerModel r) => r.UsesLengths ? "workspace.Lengths.AsSpan(0, batch)" : "default";

    public static string Kind(RecurrentLayerModel r) => r.Cell switch { CellKind.Lstm => "LSTM", CellKind.Gru => "GRU", _ => "SimpleRNN" };

    public static string Describe(RecurrentLayerModel r)
        => $"{(r.Bidirectional ? "bidirectional, " : "")}{(r.ReturnSequences ? "sequence" : "last state")}{(r.Truncation > 0 ? $", BPTT {r.Truncation}" : "")}";

    private static string Math(RecurrentLayerModel r, string x) => r.Cell switch
    {
        CellKind.Lstm => $"i,f,g,o = σ,σ,tanh,σ(W_ih·{x}_t + b_ih + W_hh·h_(t−1) + b_hh);  c_t = f⊙c_(t−1) + i⊙g;  h_t = o⊙tanh(c_t)",
        CellKind.Gru => $"r,z = σ(W_i(r,z)·{x}_t + b_i + W_h(r,z)·h_(t−1) + b_h);  n = tanh(W_in·{x}_t + b_in + r⊙(W_hn·h_(t−1) + b_hn));  h_t = (1 − z)⊙n + z⊙h_(t−1)",
        _ => $"h_t = tanh(W_ih·{x}_t + b_ih + W_hh·h_(t−1) + b_hh)",
    };

    public static void EmitConstants(SourceWriter w, RecurrentLayerModel r)
    {
        for (int d = 0; d < r.Directions; d++)
        {
            string direction = d == 0 ? "" : "Reverse";
            w.WriteLine($"/// <summary>Where layer {r.Index}'s <c>{r.Name}.weight_ih{Suffix(r, d)}</c> <c>[{r.Gates * r.Hidden}, {r.Inputs}]</c> starts; <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c> follow.</summary>");
            w.WriteLine($"public const int Layer{r.Index}{direction}WeightIhOffset = {Literals.Int(r.WeightIhOffset(d))};");
        }
    }

    public static void EmitStatics(SourceWriter w, RecurrentLayerModel r)
        => w.WriteLine($"private static readonly global::NetDsl.Kernels.RecurrentGeometry s_layer{r.Index}Geometry = new(Steps: {r.Steps}, InputSize: {r.Inputs}, HiddenSize: {r.Hidden});");

    public static void EmitTensors(SourceWriter w, RecurrentLayerModel r)
    {
        for (int d = 0; d < r.Directions; d++)
        {
            w.WriteLine($"new(\"{r.Name}.weight_ih{Suffix(r, d)}\", {Offset(r, d, r.WeightIhOffset(d))}, [{r.Gates * r.Hidden}, {r.Inputs}]),");
            w.WriteLine($"new(\"{r.Name}.weight_hh{Suffix(r, d)}\", {Offset(r, d, r.WeightHhOffset(d))}, [{r.Gates * r.Hidden}, {r.Hidden}]),");
            w.WriteLine($"new(\"{r.Name}.bias_ih{Suffix(r, d)}\", {Offset(r, d, r.BiasIhOffset(d))}, [{r.Gates * r.Hidden}]),");
            w.WriteLine($"new(\"{r.Name}.bias_hh{Suffix(r, d)}\", {Offset(r, d, r.BiasHhOffset(d))}, [{r.Gates * r.Hidden}]),");
        }
    }

    public static void EmitInitialize(SourceWriter w, RecurrentLayerModel r)
    {
        string bound = Literals.Float((float)(1 / System.Math.Sqrt(r.Hidden)));
        w.WriteLine($"// Layer {r.Index}: every weight and bias ~ U(±1/√{r.Hidden}), PyTorch's default for recurrent layers.");
        w.WriteLine($"global::NetDsl.Kernels.Initializers.Fill(parameters.Slice(Layer{r.Index}WeightIhOffset, {Literals.Int(r.ParameterCount)}), global::NetDsl.Initializer.Uniform, fanIn: {r.Inputs}, fanOut: {r.Hidden}, random, scale: {bound});");
    }

    public static void EmitWorkspaceFields(SourceWriter w, RecurrentLayerModel r)
    {
        for (int d = 0; d < r.Directions; d++)
        {
            string direction = d == 0 ? "" : "Reverse";
            w.WriteLine($"/// <summary>Layer {r.Index}'s{(d == 0 ? "" : " reverse")} states h[B,{r.Steps},{r.Hidden}] and what its backward pass needs.</summary>");
            w.WriteLine($"internal readonly float[] Layer{r.Index}{direction}Hidden, Layer{r.Index}{direction}Cache;");
        }
        w.WriteLine($"/// <summary>Layer {r.Index}'s dL/dh[B,{r.Steps},{r.Hidden}] of one direction{(r.Bidirectional ? ", and the input gradient of the reverse direction" : "")}.</summary>");
        w.WriteLine(r.Bidirectional
            ? $"internal readonly float[] Layer{r.Index}HiddenGradient, Layer{r.Index}ReverseInputGradient;"
            : $"internal readonly float[] Layer{r.Index}HiddenGradient;");
    }

    public static void EmitWorkspaceAllocation(SourceWriter w, RecurrentLayerModel r)
    {
        for (int d = 0; d < r.Directions; d++)
        {
            string direction = d == 0 ? "" : "Reverse";
            w.WriteLine($"Layer{r.Index}{direction}Hidden = new float[maxBatchSize * {Literals.Int(r.Steps * r.Hidden)}];");
            w.WriteLine($"Layer{r.Index}{direction}Cache = new float[global::NetDsl.Kernels.Recurrent.CacheSize({Cell(r)}, s_layer{r.Index}Geometry, maxBatchSize)];");
        }
        w.WriteLine($"Layer{r.Index}HiddenGradient = new float[maxBatchSize * {Literals.Int(r.Steps * r.Hidden)}];");
        if (r.Bidirectional)
            w.WriteLine($"Layer{r.Index}ReverseInputGradient = new float[maxBatchSize * {Literals.Int(r.Steps * r.Inputs)}];");
    }

    /// <summary>A tensor's offset written from the direction's named constant: <c>Layer1WeightIhOffset + 4096</c>.</summary>
    private static string Offset(RecurrentLayerModel r, int d, int offset)
    {
        string constant = $"Layer{r.Index}{(d == 0 ? "" : "Reverse")}WeightIhOffset";
        int delta = offset - r.WeightIhOffset(d);
        return delta == 0 ? constant : $"{constant} + {Literals.Int(delta)}";
    }

    private static string Slice(string buffer, RecurrentLayerModel r, int d, int offset, int count) => $"{buffer}.Slice({Offset(r, d, offset)}, {Literals.Int(count)})";

    private static string Weights(RecurrentLayerModel r, int d)
        => $"{Slice("parameters", r, d, r.WeightIhOffset(d), r.WeightIhCount)}, {Slice("parameters", r, d, r.WeightHhOffset(d), r.WeightHhCount)}";

    private static string Biases(RecurrentLayerModel r, int d)
        => $"{Slice("parameters", r, d, r.BiasIhOffset(d), r.BiasCount)}, {Slice("parameters", r, d, r.BiasHhOffset(d), r.BiasCount)}";

    public static void EmitForward(SourceWriter w, RecurrentLayerModel r, string x)
    {
        int i = r.Index, width = r.Directions * r.Hidden;
        string output = r.ReturnSequences ? $"[B,{r.Steps},{width}]" : $"[B,{width}]";
        w.WriteLine($"// Layer {i} · {Kind(r)} {r.Inputs} → {r.Hidden} over {r.Steps} steps · {Describe(r)}");
        w.WriteLine($"// {Math(r, x)}");
        w.WriteLine($"// y{i}{output} = {(r.ReturnSequences ? "h_t of every step" : "each sequence's last h")}{(r.Bidirectional ? ", forward and backward directions side by side" : "")}");
        w.WriteLine($"global::System.Span<float> y{i} = workspace.Layer{i}Output.AsSpan(0, batch * {Literals.Int(r.OutputSize)});");
        for (int d = 0; d < r.Directions; d++)
        {
            string direction = d == 0 ? "" : "Reverse";
            string reverse = d == 0 ? "" : ", reverse: true";
            w.WriteLine($"global::NetDsl.Kernels.Recurrent.Forward({Cell(r)}, {x}, {Lengths(r)}, {Weights(r, d)},");
            w.WriteLine($"    {Biases(r, d)}, workspace.Layer{i}{direction}Hidden.AsSpan(0, batch * {Literals.Int(r.Steps * r.Hidden)}), workspace.Layer{i}{direction}Cache, s_layer{i}Geometry, batch{reverse});");
            string hidden = $"workspace.Layer{i}{direction}Hidden";
            w.WriteLine(r.ReturnSequences
                ? (r.Bidirectional
                    ? $"global::NetDsl.Kernels.Sequences.Interleave({hidden}, y{i}, steps: {r.Steps}, hiddenSize: {r.Hidden}, offset: {d * r.Hidden}, rowWidth: {width}, batch);"
                    : $"{hidden}.AsSpan(0, batch * {Literals.Int(r.Steps * r.Hidden)}).CopyTo(y{i});")
                : $"global::NetDsl.Kernels.Sequences.GatherLast({hidden}, {Lengths(r)}, y{i}, steps: {r.Steps}, hiddenSize: {r.Hidden}, offset: {d * r.Hidden}, rowWidth: {width}, batch, reverse: {(d == 1 ? "true" : "false")});");
        }
    }

    public static void EmitBackward(SourceWriter w, RecurrentLayerModel r, string x, string? dx, string? dxCondition)
    {
        int i = r.Index, width = r.Directions * r.Hidden;
        string dy = $"workspace.Layer{i}Gradient.AsSpan(0, batch * {Literals.Int(r.OutputSize)})";
        string dHidden = $"workspace.Layer{i}HiddenGradient.AsSpan(0, batch * {Literals.Int(r.Steps * r.Hidden)})";
        w.WriteLine($"// Layer {i} · {Kind(r)} · backpropagation through time{(r.Truncation > 0 ? $", truncated to {r.Truncation} steps" : "")}");
        for (int d = 0; d < r.Directions; d++)
        {
            string direction = d == 0 ? "" : "Reverse";
            w.WriteLine(r.ReturnSequences
                ? (r.Bidirectional
                    ? $"global::NetDsl.Kernels.Sequences.Deinterleave({dy}, {dHidden}, steps: {r.Steps}, hiddenSize: {r.Hidden}, offset: {d * r.Hidden}, rowWidth: {width}, batch);"
                    : $"{dy}.CopyTo({dHidden});")
                : $"global::NetDsl.Kernels.Sequences.ScatterLast({dy}, {Lengths(r)}, {dHidden}, steps: {r.Steps}, hiddenSize: {r.Hidden}, offset: {d * r.Hidden}, rowWidth: {width}, batch, reverse: {(d == 1 ? "true" : "false")});");
            string target = d == 0
                ? dx ?? "default"
                : (dx is null ? "default" : $"workspace.Layer{i}ReverseInputGradient.AsSpan(0, batch * {Literals.Int(r.Steps * r.Inputs)})");
            if (d == 1 && dx is not null && dxCondition is not null)
                target = $"{dxCondition} ? {target} : default";
            w.WriteLine($"global::NetDsl.Kernels.Recurrent.Backward({Cell(r)}, {x}, {Lengths(r)}, {Weights(r, d)}, workspace.Layer{i}{direction}Hidden.AsSpan(0, batch * {Literals.Int(r.Steps * r.Hidden)}), workspace.Layer{i}{direction}Cache, {dHidden},");
            w.WriteLine($"    {Slice("gradients", r, d, r.WeightIhOffset(d), r.WeightIhCount)}, {Slice("gradients", r, d, r.WeightHhOffset(d), r.WeightHhCount)}, {Slice("gradients", r, d, r.BiasIhOffset(d), r.BiasCount)}, {Slice("gradients", r, d, r.BiasHhOffset(d), r.BiasCount)},");
            w.WriteLine($"    {target}, workspace.RecurrentScratch, s_layer{i}Geometry, batch, truncation: {r.Truncation}{(d == 1 ? ", reverse: true" : "")});");
        }
        if (r.Bidirectional && dx is not null)
        {
            string add = $"global::System.Numerics.Tensors.TensorPrimitives.Add({dx}, workspace.Layer{i}ReverseInputGradient.AsSpan(0, batch * {Literals.Int(r.Steps * r.Inputs)}), {dx});";
            w.WriteLine($"// d{x} = both directions' input gradients");
            w.WriteLine(dxCondition is null ? add : $"if ({dxCondition})\n    {add}");
        }
    }
}
