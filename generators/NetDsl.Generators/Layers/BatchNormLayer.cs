using System.Globalization;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>
/// <c>[BatchNorm]</c>: PyTorch's <c>BatchNorm1d</c> on <c>[C]</c> (or <c>[C, L]</c>) and <c>BatchNorm2d</c> on
/// <c>[C, H, W]</c>. γ (<c>weight</c>) and β (<c>bias</c>) are parameters; the running mean and variance and the count
/// of batches seen (<c>num_batches_tracked</c>) live in the network's state buffer and are saved with the weights.
/// </summary>
internal static class BatchNormLayer
{
    // ---- Validation ----------------------------------------------------------------------------------------

    public static BatchNormLayerModel? Validate(LayerDeclaration declaration, LayerContext layer)
    {
        bool ok = true;
        float momentum = declaration.GetFloat("Momentum", 0.1f), epsilon = declaration.GetFloat("Epsilon", 1e-5f);
        if (!(momentum >= 0 && momentum <= 1))
        {
            layer.Validation.Report(DiagnosticDescriptors.InvalidOption, declaration.Location, "Momentum", $"layer {layer.Index}", momentum.ToString("R", CultureInfo.InvariantCulture), "between 0 and 1");
            ok = false;
        }
        ok &= LayerOptions.Check(layer, declaration, "Epsilon", epsilon, 0, "a finite number greater than 0", strict: true);
        string name = LayerOptions.ReadName(declaration, layer, ref ok);
        if (!ok || !layer.InputKnown)
            return null;
        return new BatchNormLayerModel(layer.Index, name, layer.Input, layer.InputShape, momentum, epsilon, layer.ParameterOffset);
    }

    // ---- Emission --------------------------------------------------------------------------------------------

    private static string Float(float value) => Literals.Number(value);

    public static string Describe(BatchNormLayerModel b) => $"momentum {Float(b.Momentum)}, ε {Float(b.Epsilon)}";

    public static void EmitConstants(SourceWriter w, BatchNormLayerModel b)
    {
        w.WriteLine($"/// <summary>Where layer {b.Index}'s scale γ <c>{b.Name}.weight</c> <c>[{b.Channels}]</c> starts in <see cref=\"Parameters\"/>; its shift β <c>{b.Name}.bias</c> follows.</summary>");
        w.WriteLine($"public const int Layer{b.Index}GammaOffset = {Literals.Int(b.GammaOffset)};");
        w.WriteLine($"/// <summary>Where layer {b.Index}'s shift β <c>{b.Name}.bias</c> <c>[{b.Channels}]</c> starts in <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine($"public const int Layer{b.Index}BetaOffset = {Literals.Int(b.BetaOffset)};");
        w.WriteLine($"/// <summary>Where layer {b.Index}'s <c>{b.Name}.running_mean</c>, <c>running_var</c> (each <c>[{b.Channels}]</c>) and <c>num_batches_tracked</c> start in <see cref=\"State\"/>.</summary>");
        w.WriteLine($"public const int Layer{b.Index}StateOffset = {Literals.Int(b.StateOffset)};");
    }

    public static void EmitTensors(SourceWriter w, BatchNormLayerModel b)
    {
        w.WriteLine($"new(\"{b.Name}.weight\", Layer{b.Index}GammaOffset, [{b.Channels}]),");
        w.WriteLine($"new(\"{b.Name}.bias\", Layer{b.Index}BetaOffset, [{b.Channels}]),");
    }

    public static void EmitStateTensors(SourceWriter w, BatchNormLayerModel b)
    {
        w.WriteLine($"new(\"{b.Name}.running_mean\", Layer{b.Index}StateOffset, [{b.Channels}]),");
        w.WriteLine($"new(\"{b.Name}.running_var\", Layer{b.Index}StateOffset + {b.Channels}, [{b.Channels}]),");
        w.WriteLine($"new(\"{b.Name}.num_batches_tracked\", Layer{b.Index}StateOffset + {2 * b.Channels}, [], global::NetDsl.Serialization.TensorDType.I64),");
    }

    public static void EmitInitialize(SourceWriter w, BatchNormLayerModel b)
    {
        w.WriteLine($"// Layer {b.Index}: γ{b.Index} = 1, β{b.Index} = 0; running mean 0, running variance 1, no batches seen.");
        w.WriteLine($"parameters.Slice(Layer{b.Index}GammaOffset, {b.Channels}).Fill(1f);");
        w.WriteLine($"parameters.Slice(Layer{b.Index}BetaOffset, {b.Channels}).Clear();");
        w.WriteLine($"state.Slice(Layer{b.Index}StateOffset, {b.Channels}).Clear();");
        w.WriteLine($"state.Slice(Layer{b.Index}StateOffset + {b.Channels}, {b.Channels}).Fill(1f);");
        w.WriteLine($"state[Layer{b.Index}StateOffset + {2 * b.Channels}] = 0f;");
    }

    public static void EmitWorkspaceFields(SourceWriter w, BatchNormLayerModel b)
    {
        w.WriteLine($"/// <summary>Layer {b.Index}'s batch mean and 1/√(σ²+ε) per channel from the last training pass.</summary>");
        w.WriteLine($"internal readonly float[] Layer{b.Index}SavedMean = new float[{b.Channels}], Layer{b.Index}SavedInverseStd = new float[{b.Channels}];");
    }

    public static void EmitForward(SourceWriter w, BatchNormLayerModel b, string x)
    {
        int i = b.Index;
        string shape = string.Join(",", b.Shape);
        w.WriteLine($"// Layer {i} · BatchNorm over {b.Channels} channels × {b.Spatial} positions · {Describe(b)}");
        w.WriteLine($"// y{i}[B,{shape}] = γ{i}·({x} − μ)/√(σ² + ε) + β{i}: μ, σ² of the batch while training (and the running averages updated), running averages at inference");
        w.WriteLine($"global::System.Span<float> y{i} = workspace.Layer{i}Output.AsSpan(0, batch * {Literals.Int(b.OutputSize)});");
        w.WriteLine($"global::System.Span<float> runningMean{i} = _state.AsSpan(Layer{i}StateOffset, {b.Channels}), runningVariance{i} = _state.AsSpan(Layer{i}StateOffset + {b.Channels}, {b.Channels});");
        w.WriteLine("if (training)");
        w.OpenBlock();
        w.WriteLine($"global::NetDsl.Kernels.BatchNormalization.ForwardTraining({x}, parameters.Slice(Layer{i}GammaOffset, {b.Channels}), parameters.Slice(Layer{i}BetaOffset, {b.Channels}),");
        w.WriteLine($"    runningMean{i}, runningVariance{i}, y{i}, workspace.Layer{i}SavedMean, workspace.Layer{i}SavedInverseStd, channels: {b.Channels}, spatial: {b.Spatial}, batch, momentum: {Literals.Float(b.Momentum)}, epsilon: {Literals.Float(b.Epsilon)});");
        w.WriteLine($"ref float batchesTracked{i} = ref _state[Layer{i}StateOffset + {2 * b.Channels}];");
        w.WriteLine($"if (batchesTracked{i} < global::NetDsl.Serialization.SafeTensors.MaxExactCounter)");
        w.WriteLine($"    batchesTracked{i} += 1f; // num_batches_tracked, held exactly up to 2^24");
        w.CloseBlock();
        w.WriteLine("else");
        w.OpenBlock();
        w.WriteLine($"global::NetDsl.Kernels.BatchNormalization.ForwardInference({x}, parameters.Slice(Layer{i}GammaOffset, {b.Channels}), parameters.Slice(Layer{i}BetaOffset, {b.Channels}),");
        w.WriteLine($"    runningMean{i}, runningVariance{i}, y{i}, channels: {b.Channels}, spatial: {b.Spatial}, batch, epsilon: {Literals.Float(b.Epsilon)});");
        w.CloseBlock();
    }

    public static void EmitBackward(SourceWriter w, BatchNormLayerModel b, string x, string? dx, string? dxCondition)
    {
        int i = b.Index;
        string dy = $"workspace.Layer{i}Gradient.AsSpan(0, batch * {Literals.Int(b.OutputSize)})";
        string target = dx ?? "default";
        w.WriteLine($"// Layer {i} · BatchNorm · dγ{i} = Σ dy{i}·x̂, dβ{i} = Σ dy{i}, d{x} through the batch statistics (training) or the running ones (inference)");
        w.WriteLine("if (training)");
        w.WriteLine($"    global::NetDsl.Kernels.BatchNormalization.Backward({x}, {dy}, parameters.Slice(Layer{i}GammaOffset, {b.Channels}), workspace.Layer{i}SavedMean, workspace.Layer{i}SavedInverseStd,");
        w.WriteLine($"        gradients.Slice(Layer{i}GammaOffset, {b.Channels}), gradients.Slice(Layer{i}BetaOffset, {b.Channels}), {target}, channels: {b.Channels}, spatial: {b.Spatial}, batch);");
        w.WriteLine("else");
        w.WriteLine($"    global::NetDsl.Kernels.BatchNormalizationInference.Backward({x}, {dy}, parameters.Slice(Layer{i}GammaOffset, {b.Channels}), _state.AsSpan(Layer{i}StateOffset, {b.Channels}), _state.AsSpan(Layer{i}StateOffset + {b.Channels}, {b.Channels}),");
        w.WriteLine($"        gradients.Slice(Layer{i}GammaOffset, {b.Channels}), gradients.Slice(Layer{i}BetaOffset, {b.Channels}), {target}, channels: {b.Channels}, spatial: {b.Spatial}, batch, epsilon: {Literals.Float(b.Epsilon)});");
    }
}
