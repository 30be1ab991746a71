using System.Globalization;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>
/// <c>[Dropout(rate)]</c>: inverted dropout, <c>y = x ⊙ m / (1 − p)</c> with <c>m ~ Bernoulli(1 − p)</c> while training,
/// <c>y = x</c> at inference. Its validation, forward and backward code are all here.
/// </summary>
internal static class DropoutLayer
{
    // ---- Validation ----------------------------------------------------------------------------------------

    public static DropoutLayerModel? Validate(LayerDeclaration declaration, int index, int input, int inputSize, bool isLast, int offset, ValidationContext context)
    {
        bool ok = true;
        float rate = declaration.GetFloat("Rate", 0f);
        if (!(rate >= 0 && rate < 1))
        {
            context.Report(DiagnosticDescriptors.InvalidDropoutRate, declaration.Location, index, rate.ToString("R", CultureInfo.InvariantCulture));
            ok = false;
        }
        if (isLast)
        {
            context.Report(DiagnosticDescriptors.DropoutLast, declaration.Location, index);
            ok = false;
        }
        if (!ok || inputSize <= 0)
            return null;
        return new DropoutLayerModel(index, index.ToString(CultureInfo.InvariantCulture), input, inputSize, rate, offset);
    }

    // ---- Emission --------------------------------------------------------------------------------------------

    private static string Rate(DropoutLayerModel layer) => layer.Rate.ToString("R", CultureInfo.InvariantCulture);

    public static void EmitWorkspaceFields(SourceWriter w, DropoutLayerModel layer)
    {
        w.WriteLine($"/// <summary>m{layer.Index}[B,{layer.Size}]: layer {layer.Index}'s last dropout mask, 0 or 1/(1 − {Rate(layer)}) per value.</summary>");
        w.WriteLine($"internal readonly float[] Layer{layer.Index}Mask;");
    }

    public static void EmitWorkspaceAllocation(SourceWriter w, DropoutLayerModel layer)
        => w.WriteLine($"Layer{layer.Index}Mask = new float[maxBatchSize * {layer.Size}];");

    /// <summary>Forward: the output <c>y{i}</c> is the input itself at inference, the masked copy while training.</summary>
    public static void EmitForward(SourceWriter w, DropoutLayerModel layer, string x)
    {
        int i = layer.Index;
        w.WriteLine($"// Layer {i} · Dropout p = {Rate(layer)} · training only");
        w.WriteLine($"// y{i}[B,{layer.Size}] = {x} ⊙ m{i} / (1 − {Rate(layer)}), m{i} ~ Bernoulli(1 − {Rate(layer)}) while training; y{i} = {x} at inference");
        w.WriteLine($"global::System.ReadOnlySpan<float> y{i} = {x};");
        w.WriteLine("if (training)");
        w.OpenBlock();
        w.WriteLine($"global::System.Span<float> dropped = workspace.Layer{i}Output.AsSpan(0, batch * {layer.Size});");
        w.WriteLine($"global::NetDsl.Kernels.Dropout.Forward({x}, dropped, workspace.Layer{i}Mask.AsSpan(0, batch * {layer.Size}), rate: {Literals.Float(layer.Rate)}, ref workspace.Random);");
        w.WriteLine($"y{i} = dropped;");
        w.CloseBlock();
    }

    /// <summary>In the backward pass, <c>y{i}</c> is the masked copy after a training forward pass and the input itself otherwise.</summary>
    public static string BackwardOutput(DropoutLayerModel layer, string x)
        => $"training ? workspace.Layer{layer.Index}Output.AsSpan(0, batch * {layer.Size}) : {x}";

    /// <summary>Backward: <c>dx = dy ⊙ m</c> after a training forward pass, <c>dx = dy</c> otherwise, written to <paramref name="dx"/>.</summary>
    public static void EmitBackward(SourceWriter w, DropoutLayerModel layer, string x, string? dx, string? dxCondition)
    {
        int i = layer.Index;
        w.WriteLine($"// Layer {i} · Dropout p = {Rate(layer)}");
        if (dx is null)
            return;
        string dy = $"workspace.Layer{i}Gradient.AsSpan(0, batch * {layer.Size})";
        w.WriteLine($"// d{x}[B,{layer.Size}] = dy{i} ⊙ m{i} after a training pass, dy{i} after an inference pass");
        if (dxCondition is not null)
        {
            w.WriteLine($"if ({dxCondition})");
            w.OpenBlock();
        }
        w.WriteLine("if (training)");
        w.WriteLine($"    global::NetDsl.Kernels.Dropout.Backward(workspace.Layer{i}Mask.AsSpan(0, batch * {layer.Size}), {dy}, {dx});");
        w.WriteLine("else");
        w.WriteLine($"    {dy}.CopyTo({dx});");
        if (dxCondition is not null)
            w.CloseBlock();
    }
}
