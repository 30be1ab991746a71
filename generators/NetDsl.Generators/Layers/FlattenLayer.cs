using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary><c>[Flatten]</c>: the input seen as one vector. Row-major NCHW data is already flat, so nothing moves.</summary>
internal static class FlattenLayer
{
    public static FlattenLayerModel? Validate(LayerDeclaration declaration, LayerContext layer)
        => layer.InputKnown
            ? new FlattenLayerModel(layer.Index, layer.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), layer.Input, Shapes.Size(layer.InputShape), layer.InputShape, layer.ParameterOffset)
            : null;

    public static void EmitForward(SourceWriter w, FlattenLayerModel f, string x, bool isLast)
    {
        w.WriteLine($"// Layer {f.Index} · Flatten {Shapes.Format(f.InputShape)} → [{f.Size}]: the same values, seen as a vector");
        if (isLast)
        {
            // The network's outputs are read from the last layer's buffer.
            w.WriteLine($"global::System.Span<float> y{f.Index} = workspace.Layer{f.Index}Output.AsSpan(0, batch * {Literals.Int(f.Size)});");
            w.WriteLine($"{x}.CopyTo(y{f.Index});");
        }
        else
        {
            w.WriteLine($"global::System.ReadOnlySpan<float> y{f.Index} = {x};");
        }
    }

    /// <summary>In the backward pass, the output is the input.</summary>
    public static string BackwardOutput(string x) => x;

    public static void EmitBackward(SourceWriter w, FlattenLayerModel f, string x, string? dx, string? dxCondition)
    {
        w.WriteLine($"// Layer {f.Index} · Flatten: d{x} = dy{f.Index}, reshaped");
        if (dx is null)
            return;
        string call = $"workspace.Layer{f.Index}Gradient.AsSpan(0, batch * {Literals.Int(f.Size)}).CopyTo({dx});";
        if (dxCondition is not null)
        {
            w.WriteLine($"if ({dxCondition})");
            w.WriteLine("    " + call);
        }
        else
        {
            w.WriteLine(call);
        }
    }
}
