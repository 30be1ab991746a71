using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>
/// <c>[MaxPool2D(size)]</c>, <c>[AvgPool2D(size)]</c> and <c>[GlobalAveragePool2D]</c> over <c>[C, H, W]</c> inputs
/// (PyTorch's <c>MaxPool2d</c>, <c>AvgPool2d</c>, <c>AdaptiveAvgPool2d(1)</c> + flatten). No parameters.
/// </summary>
internal static class PoolingLayer
{
    // ---- Validation ----------------------------------------------------------------------------------------

    public static PoolingLayerModel? Validate(LayerDeclaration declaration, LayerContext layer)
    {
        ValidationContext context = layer.Validation;
        PoolKind kind = declaration.Kind switch
        {
            LayerKind.MaxPool2D => PoolKind.Max,
            LayerKind.AvgPool2D => PoolKind.Average,
            _ => PoolKind.GlobalAverage,
        };
        bool ok = true;
        int window = 0, stride = 0, padding = 0;
        if (kind != PoolKind.GlobalAverage)
        {
            window = LayerOptions.ReadPositive(declaration, "PoolSize", 0, context, ref ok);
            stride = declaration.Find("Stride") is null ? window : LayerOptions.ReadPositive(declaration, "Stride", window, context, ref ok);
            padding = declaration.GetInt("PaddingSize");
            if (padding < 0 || (window > 0 && padding > window / 2))
            {
                // PyTorch: "pad should be at most half of effective kernel size".
                context.Report(DiagnosticDescriptors.InvalidOption, declaration.Location, "PaddingSize", $"layer {layer.Index}", padding, $"between 0 and half the pool size ({window / 2})");
                ok = false;
            }
        }
        if (layer.InputKnown && layer.InputShape.Count != 3)
        {
            context.Report(DiagnosticDescriptors.ShapeMismatch, declaration.Location, layer.Describe(declaration), "[channels, height, width]", Shapes.Format(layer.InputShape),
                "pool images after a [Conv2D] or an [Input(channels, height, width)]");
            ok = false;
        }
        if (!ok || !layer.InputKnown)
            return null;

        int channels = layer.InputShape[0], height = layer.InputShape[1], width = layer.InputShape[2];
        int outHeight = 1, outWidth = 1;
        if (kind != PoolKind.GlobalAverage)
        {
            if (height + 2 * padding < window || width + 2 * padding < window)
            {
                context.Report(DiagnosticDescriptors.EmptyOutput, declaration.Location, layer.Index, declaration.AttributeName, $"{window}×{window}",
                    Shapes.Format(layer.InputShape), padding > 0 ? $" padded by {padding}" : "");
                return null;
            }
            outHeight = (height + 2 * padding - window) / stride + 1;
            outWidth = (width + 2 * padding - window) / stride + 1;
        }
        return new PoolingLayerModel(layer.Index, layer.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), layer.Input, kind,
            channels, height, width, window, stride, padding, outHeight, outWidth, layer.ParameterOffset);
    }

    // ---- Emission --------------------------------------------------------------------------------------------

    public static string Kind(PoolingLayerModel p) => p.Kind switch { PoolKind.Max => "MaxPool2D", PoolKind.Average => "AvgPool2D", _ => "GlobalAveragePool2D" };

    public static string Describe(PoolingLayerModel p) => p.Kind == PoolKind.GlobalAverage
        ? "mean over H·W"
        : $"{p.Window}×{p.Window}, stride {p.Stride}" + (p.Padding > 0 ? $", padding {p.Padding}" : "");

    public static void EmitGeometry(SourceWriter w, PoolingLayerModel p)
    {
        if (p.Kind == PoolKind.GlobalAverage)
            return;
        w.WriteLine($"private static readonly global::NetDsl.Kernels.Pool2DGeometry s_layer{p.Index}Geometry = new(");
        w.WriteLine($"    Channels: {p.Channels}, InHeight: {p.InHeight}, InWidth: {p.InWidth}, KernelHeight: {p.Window}, KernelWidth: {p.Window}, StrideHeight: {p.Stride}, StrideWidth: {p.Stride},");
        w.WriteLine($"    PadTop: {p.Padding}, PadLeft: {p.Padding}, PadBottom: {p.Padding}, PadRight: {p.Padding});");
    }

    public static void EmitWorkspaceFields(SourceWriter w, PoolingLayerModel p)
    {
        if (p.Kind != PoolKind.Max)
            return;
        w.WriteLine($"/// <summary>Layer {p.Index}'s winning input index per output, for the backward pass.</summary>");
        w.WriteLine($"internal readonly int[] Layer{p.Index}Argmax;");
    }

    public static void EmitWorkspaceAllocation(SourceWriter w, PoolingLayerModel p)
    {
        if (p.Kind == PoolKind.Max)
            w.WriteLine($"Layer{p.Index}Argmax = new int[maxBatchSize * {Literals.Int(p.OutputSize)}];");
    }

    public static void EmitForward(SourceWriter w, PoolingLayerModel p, string x)
    {
        int i = p.Index;
        string output = p.Kind == PoolKind.GlobalAverage ? $"{p.Channels}" : $"{p.Channels},{p.OutHeight},{p.OutWidth}";
        w.WriteLine($"// Layer {i} · {Kind(p)} · {Describe(p)}");
        w.WriteLine(p.Kind switch
        {
            PoolKind.Max => $"// y{i}[B,{output}] = max of each {p.Window}×{p.Window} window of {x}[B,{p.Channels},{p.InHeight},{p.InWidth}]",
            PoolKind.Average => $"// y{i}[B,{output}] = mean of each {p.Window}×{p.Window} window of {x}[B,{p.Channels},{p.InHeight},{p.InWidth}]",
            _ => $"// y{i}[B,{p.Channels}] = mean over the {p.InHeight}×{p.InWidth} positions of {x}[B,{p.Channels},{p.InHeight},{p.InWidth}]",
        });
        w.WriteLine($"global::System.Span<float> y{i} = workspace.Layer{i}Output.AsSpan(0, batch * {Literals.Int(p.OutputSize)});");
        w.WriteLine(p.Kind switch
        {
            PoolKind.Max => $"global::NetDsl.Kernels.Pooling.MaxPool2DForward({x}, y{i}, workspace.Layer{i}Argmax.AsSpan(0, batch * {Literals.Int(p.OutputSize)}), s_layer{i}Geometry, batch);",
            PoolKind.Average => $"global::NetDsl.Kernels.Pooling.AvgPool2DForward({x}, y{i}, s_layer{i}Geometry, batch);",
            _ => $"global::NetDsl.Kernels.Pooling.GlobalAveragePoolForward({x}, y{i}, channels: {p.Channels}, spatial: {p.InHeight * p.InWidth}, batch);",
        });
    }

    public static void EmitBackward(SourceWriter w, PoolingLayerModel p, string x, string? dx, string? dxCondition)
    {
        int i = p.Index;
        w.WriteLine($"// Layer {i} · {Kind(p)}");
        if (dx is null)
            return;
        string dy = $"workspace.Layer{i}Gradient.AsSpan(0, batch * {Literals.Int(p.OutputSize)})";
        w.WriteLine(p.Kind switch
        {
            PoolKind.Max => $"// d{x} = dy{i} routed to each window's winning input, zero elsewhere",
            PoolKind.Average => $"// d{x} = dy{i} / {p.Window * p.Window} spread over each window",
            _ => $"// d{x} = dy{i} / {p.InHeight * p.InWidth} at every position",
        });
        string call = p.Kind switch
        {
            PoolKind.Max => $"global::NetDsl.Kernels.Pooling.MaxPool2DBackward({dy}, workspace.Layer{i}Argmax.AsSpan(0, batch * {Literals.Int(p.OutputSize)}), {dx}, s_layer{i}Geometry, batch);",
            PoolKind.Average => $"global::NetDsl.Kernels.Pooling.AvgPool2DBackward({dy}, {dx}, s_layer{i}Geometry, batch);",
            _ => $"global::NetDsl.Kernels.Pooling.GlobalAveragePoolBackward({dy}, {dx}, channels: {p.Channels}, spatial: {p.InHeight * p.InWidth}, batch);",
        };
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
