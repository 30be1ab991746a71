using System.Globalization;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>
/// <c>[Conv2D(filters, kernel)]</c> and <c>[Conv1D(filters, kernel)]</c>: PyTorch's <c>nn.Conv2d</c>/<c>nn.Conv1d</c> over
/// NCHW (NCL) inputs, weight <c>[O, C, KH, KW]</c> (<c>[O, C, K]</c>). A 1-D convolution runs as a 2-D one of height 1.
/// Its validation, forward and backward code are all here; the work is done by <c>NetDsl.Kernels.Convolution</c>,
/// which picks the algorithm from the static shape: a direct convolution with 8 or more output channels (on the
/// Fashion-MNIST CNN 1.5× im2col + GEMM for 1→16 on 28x28 and 1.4× for 16→32 on 14x14, measured), otherwise im2col
/// and the packed GEMM; the emitted comments say which and why, by the same rule
/// (<see cref="ConvolutionLayerModel.DirectForward"/>, <see cref="ConvolutionLayerModel.DirectInputGradient"/>).
/// </summary>
internal static class ConvolutionLayer
{
    // ---- Validation ----------------------------------------------------------------------------------------

    public static ConvolutionLayerModel? Validate(LayerDeclaration declaration, LayerContext layer)
    {
        ValidationContext context = layer.Validation;
        bool oneDimensional = declaration.Kind == LayerKind.Conv1D;
        bool ok = true;
        int filters = LayerOptions.ReadPositive(declaration, "Filters", 0, context, ref ok);
        int kernel = LayerOptions.ReadPositive(declaration, "KernelSize", 0, context, ref ok);
        int kernelHeight = oneDimensional ? 1 : LayerOptions.ReadPositive(declaration, "KernelHeight", kernel, context, ref ok);
        int kernelWidth = oneDimensional ? kernel : LayerOptions.ReadPositive(declaration, "KernelWidth", kernel, context, ref ok);
        int stride = LayerOptions.ReadPositive(declaration, "Stride", 1, context, ref ok);
        int dilation = LayerOptions.ReadPositive(declaration, "Dilation", 1, context, ref ok);
        bool same = declaration.GetInt("Padding") == 1;
        int explicitPadding = declaration.GetInt("PaddingSize");
        if (explicitPadding < 0)
        {
            context.Report(DiagnosticDescriptors.InvalidOption, declaration.Location, "PaddingSize", $"layer {layer.Index}", explicitPadding, "at least 0");
            ok = false;
        }
        if (same && stride > 1 && declaration.Find("PaddingSize") is null)
        {
            context.Report(DiagnosticDescriptors.InvalidOption, declaration.Location, "Padding", $"layer {layer.Index}", "Padding.Same",
                "Padding.Valid or an explicit PaddingSize when Stride is more than 1 (as in PyTorch, \"same\" is defined for stride 1 only)");
            ok = false;
        }
        (ActivationKind activation, float slope) = LayerOptions.ReadActivation(declaration, layer, allowRowWise: false, ref ok);
        InitializerKind initializer = LayerOptions.ReadInitializer(declaration, layer, "Initializer", InitializerKind.Default, ref ok);
        if (initializer is InitializerKind.Uniform or InitializerKind.Normal or InitializerKind.Constant)
        {
            context.Report(DiagnosticDescriptors.InvalidOption, declaration.Location, "Initializer", $"layer {layer.Index}", $"Initializer.{initializer}", "a fan-based initializer (Xavier, He, LeCun) or Zeros in a convolution");
            ok = false;
        }
        (float l1, float l2) = LayerOptions.ReadPenalties(declaration, layer, ref ok);
        string name = LayerOptions.ReadName(declaration, layer, ref ok);

        int rank = oneDimensional ? 2 : 3;
        if (layer.InputKnown && layer.InputShape.Count != rank)
        {
            context.Report(DiagnosticDescriptors.ShapeMismatch, declaration.Location, layer.Describe(declaration),
                oneDimensional ? "[channels, length]" : "[channels, height, width]", Shapes.Format(layer.InputShape),
                oneDimensional ? "declare [Input(channels, length)]" : "declare [Input(channels, height, width)], or use a [Dense] layer on flat inputs");
            ok = false;
        }
        if (!ok || !layer.InputKnown)
            return null;

        int channels = layer.InputShape[0];
        int height = oneDimensional ? 1 : layer.InputShape[1];
        int width = layer.InputShape[rank - 1];
        // "same": total padding dilation·(k − 1) per axis, the odd one extra at the bottom/right (PyTorch).
        int padTop, padBottom, padLeft, padRight;
        if (declaration.Find("PaddingSize") is not null || !same)
        {
            padTop = padBottom = oneDimensional ? 0 : explicitPadding;
            padLeft = padRight = explicitPadding;
        }
        else
        {
            int totalHeight = dilation * (kernelHeight - 1), totalWidth = dilation * (kernelWidth - 1);
            (padTop, padBottom) = (totalHeight / 2, totalHeight - totalHeight / 2);
            (padLeft, padRight) = (totalWidth / 2, totalWidth - totalWidth / 2);
        }
        int outHeight = (height + padTop + padBottom - dilation * (kernelHeight - 1) - 1) / stride + 1;
        int outWidth = (width + padLeft + padRight - dilation * (kernelWidth - 1) - 1) / stride + 1;
        if (height + padTop + padBottom < dilation * (kernelHeight - 1) + 1 || width + padLeft + padRight < dilation * (kernelWidth - 1) + 1)
        {
            string window = oneDimensional ? $"{kernelWidth}" : $"{kernelHeight}×{kernelWidth}";
            if (dilation > 1)
                window += $" (dilation {dilation})";
            string padding = padTop + padBottom + padLeft + padRight > 0 ? $" padded by {padLeft}" : "";
            context.Report(DiagnosticDescriptors.EmptyOutput, declaration.Location, layer.Index, declaration.AttributeName, window, Shapes.Format(layer.InputShape), padding);
            return null;
        }
        if ((long)filters * channels * kernelHeight * kernelWidth + filters > int.MaxValue || (long)filters * outHeight * outWidth > int.MaxValue)
        {
            context.Report(DiagnosticDescriptors.TooManyParameters, declaration.Location, context.Declaration.ClassName,
                Literals.Grouped((long)filters * channels * kernelHeight * kernelWidth + filters), "int-indexed");
            return null;
        }
        if (initializer == InitializerKind.Default)
            initializer = DenseLayer.DefaultInitializer(activation);
        return new ConvolutionLayerModel(layer.Index, name, layer.Input, oneDimensional, channels, height, width, filters, kernelHeight, kernelWidth,
            stride, padTop, padLeft, padBottom, padRight, dilation, outHeight, outWidth, activation, slope, initializer, l1, l2, layer.ParameterOffset);
    }

    // ---- Emission --------------------------------------------------------------------------------------------

    private static string Kernel(ConvolutionLayerModel c) => c.OneDimensional ? $"{c.KernelWidth}" : $"{c.KernelHeight}×{c.KernelWidth}";

    private static string WeightShape(ConvolutionLayerModel c) => c.OneDimensional
        ? $"[{c.OutChannels}, {c.InChannels}, {c.KernelWidth}]"
        : $"[{c.OutChannels}, {c.InChannels}, {c.KernelHeight}, {c.KernelWidth}]";

    private static string InShape(ConvolutionLayerModel c) => c.OneDimensional ? $"{c.InChannels},{c.InWidth}" : $"{c.InChannels},{c.InHeight},{c.InWidth}";

    private static string OutShape(ConvolutionLayerModel c) => c.OneDimensional ? $"{c.OutChannels},{c.OutWidth}" : $"{c.OutChannels},{c.OutHeight},{c.OutWidth}";

    /// <summary>Stride, padding and dilation in words, for the comments.</summary>
    private static string Details(ConvolutionLayerModel c)
    {
        string text = $"stride {c.Stride}";
        text += c.PadTop == c.PadBottom && c.PadLeft == c.PadRight && (c.OneDimensional || c.PadTop == c.PadLeft)
            ? $", padding {c.PadLeft}"
            : $", padding top {c.PadTop} left {c.PadLeft} bottom {c.PadBottom} right {c.PadRight}";
        if (c.Dilation > 1)
            text += $", dilation {c.Dilation}";
        return text;
    }

    public static string Describe(ConvolutionLayerModel c) => $"{c.Activation}, {Kernel(c)}, {Details(c)}";

    public static void EmitConstants(SourceWriter w, ConvolutionLayerModel c)
    {
        w.WriteLine($"/// <summary>Where layer {c.Index}'s weights <c>{c.Name}.weight</c> <c>{WeightShape(c)}</c> start in <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine($"public const int Layer{c.Index}WeightOffset = {Literals.Int(c.WeightOffset)};");
        w.WriteLine($"/// <summary>Where layer {c.Index}'s bias <c>{c.Name}.bias</c> <c>[{c.OutChannels}]</c> starts in <see cref=\"Parameters\"/>.</summary>");
        w.WriteLine($"public const int Layer{c.Index}BiasOffset = {Literals.Int(c.BiasOffset)};");
    }

    /// <summary>The layer's static geometry, a field the kernels read by reference.</summary>
    public static void EmitGeometry(SourceWriter w, ConvolutionLayerModel c)
    {
        w.WriteLine($"private static readonly global::NetDsl.Kernels.Conv2DGeometry s_layer{c.Index}Geometry = new(");
        w.WriteLine($"    InChannels: {c.InChannels}, InHeight: {c.InHeight}, InWidth: {c.InWidth}, OutChannels: {c.OutChannels}, KernelHeight: {c.KernelHeight}, KernelWidth: {c.KernelWidth},");
        w.WriteLine($"    StrideHeight: {(c.OneDimensional ? 1 : c.Stride)}, StrideWidth: {c.Stride}, PadTop: {c.PadTop}, PadLeft: {c.PadLeft}, PadBottom: {c.PadBottom}, PadRight: {c.PadRight}, DilationHeight: {(c.OneDimensional ? 1 : c.Dilation)}, DilationWidth: {c.Dilation});");
    }

    public static void EmitTensors(SourceWriter w, ConvolutionLayerModel c)
    {
        string shape = c.OneDimensional ? $"[{c.OutChannels}, {c.InChannels}, {c.KernelWidth}]" : $"[{c.OutChannels}, {c.InChannels}, {c.KernelHeight}, {c.KernelWidth}]";
        w.WriteLine($"new(\"{c.Name}.weight\", Layer{c.Index}WeightOffset, {shape}),");
        w.WriteLine($"new(\"{c.Name}.bias\", Layer{c.Index}BiasOffset, [{c.OutChannels}]),");
    }

    public static void EmitInitialize(SourceWriter w, ConvolutionLayerModel c)
    {
        w.WriteLine($"// Layer {c.Index}: W{c.Index} by {c.Initializer} (fan in {c.FanIn}, fan out {c.FanOut}); b{c.Index} = 0.");
        w.WriteLine($"global::NetDsl.Kernels.Initializers.Fill(parameters.Slice(Layer{c.Index}WeightOffset, {Literals.Int(c.WeightCount)}), global::NetDsl.Initializer.{c.Initializer}, fanIn: {c.FanIn}, fanOut: {c.FanOut}, random);");
        w.WriteLine($"parameters.Slice(Layer{c.Index}BiasOffset, {c.OutChannels}).Clear();");
    }

    public static void EmitForward(SourceWriter w, ConvolutionLayerModel c, string x)
    {
        int i = c.Index;
        w.WriteLine($"// Layer {i} · {(c.OneDimensional ? "Conv1D" : "Conv2D")} {c.InChannels} → {c.OutChannels} channels, {Kernel(c)} kernel, {Details(c)} · {c.Activation}");
        w.WriteLine($"// y{i}[B,{OutShape(c)}] = {Activations.Math(c.Activation, c.NegativeSlope, $"b{i} + Σ_c W{i}[o,c] ⋆ {x}[B,{InShape(c)}]")}");
        w.WriteLine(ForwardAlgorithm(c));
        w.WriteLine($"global::System.Span<float> y{i} = workspace.Layer{i}Output.AsSpan(0, batch * {Literals.Int(c.OutputSize)});");
        w.WriteLine($"global::NetDsl.Kernels.Convolution.Conv2DForward({x}, parameters.Slice(Layer{i}WeightOffset, {Literals.Int(c.WeightCount)}), parameters.Slice(Layer{i}BiasOffset, {c.OutChannels}), y{i},");
        w.WriteLine(c.Winograd
            ? $"    s_layer{i}Geometry, batch, workspace.Scratch, {Activations.Operator(c.Activation, c.NegativeSlope)}, packed: _packedConvolutions?[{i}]);"
            : $"    s_layer{i}Geometry, batch, workspace.Scratch, {Activations.Operator(c.Activation, c.NegativeSlope)});");
    }

    /// <summary>A <c>Predictor</c>'s copy of a Winograd layer: transforms its filters once (see <c>PackedConvolution</c>), into <c>packedConvolutions[i]</c>.</summary>
    public static void EmitPack(SourceWriter w, ConvolutionLayerModel c)
    {
        int i = c.Index;
        w.WriteLine($"packedConvolutions[{i}] = new(parameters.Slice(Layer{i}WeightOffset, {Literals.Int(c.WeightCount)}), parameters.Slice(Layer{i}BiasOffset, {c.OutChannels}), s_layer{i}Geometry);");
    }

    /// <summary>The comment that says how the runtime computes the layer's forward pass, and why (the runtime's rule and its measured figures).</summary>
    private static string ForwardAlgorithm(ConvolutionLayerModel c)
    {
        if (!c.Winograd)
        {
            return OtherForwardAlgorithm(c);
        }
        return $"// Winograd F(2×2, 5×5) where the CPU has AVX-512: {c.InChannels} input channels keep its error well inside the direct bound, {c.OutChannels} channels fill whole vectors;"
            + " 2.78× fewer multiplies (the CNN's 16→32 5x5 layer: 30 µs a sample at batch 64, against 47 direct). Otherwise:\n"
            + OtherForwardAlgorithm(c);
    }

    /// <summary>The comment for the direct or im2col forward pass (without AVX-512, or where Winograd does not apply).</summary>
    private static string OtherForwardAlgorithm(ConvolutionLayerModel c)
    {
        if (!c.DirectForward)
        {
            return $"// im2col + GEMM: {c.OutChannels} output channels (fewer than 8) would leave most of a direct kernel's vector of channels empty.";
        }
        if (c.DirectPositionLanes && c.DirectFlatLanes)
        {
            int plane = c.OutHeight * c.OutWidth;
            return $"// Direct convolution, no im2col: output positions in vector lanes, each {c.OutHeight}×{c.OutWidth} plane as one line of {plane} (rows of {c.OutWidth} alone would leave lanes idle) × 8 channels per tile, no transpose"
                + " (the CNN's 1→16 5x5 layer: 94 GFLOP/s, against 85 row by row and 48 for im2col + GEMM).";
        }
        if (c.DirectPositionLanes)
        {
            return $"// Direct convolution, no im2col: output positions in vector lanes (rows of {c.OutWidth} fill at least one vector of 16) × 8 channels per tile, no transpose"
                + " (the CNN's 1→16 5x5 layer: 87 GFLOP/s, against 48 for im2col + GEMM).";
        }
        string why = c.OutWidth < 16 ? $"rows of {c.OutWidth} are narrower than a vector" : $"{c.OutChannels} channels fill whole vectors and rows of {c.OutWidth} do not";
        return $"// Direct convolution, no im2col: output channels in vector lanes × 14 positions per tile, as {why}"
            + " (the CNN's 16→32 5x5 layer: 111 GFLOP/s, against 78 for im2col + GEMM).";
    }

    public static void EmitBackward(SourceWriter w, ConvolutionLayerModel c, string x, string? dx, string? dxCondition)
    {
        int i = c.Index;
        w.WriteLine($"// Layer {i} · {(c.OneDimensional ? "Conv1D" : "Conv2D")} {c.InChannels} → {c.OutChannels} channels · {c.Activation}");
        w.WriteLine($"global::System.Span<float> dz{i} = workspace.Layer{i}Gradient.AsSpan(0, batch * {Literals.Int(c.OutputSize)});");
        if (c.Activation == ActivationKind.Identity)
        {
            w.WriteLine($"// dz{i} = dy{i} (identity)");
        }
        else
        {
            w.WriteLine($"// dz{i} = dy{i} ⊙ {Activations.Derivative(c.Activation, c.NegativeSlope, $"y{i}")}");
            w.WriteLine($"{Activations.Operator(c.Activation, c.NegativeSlope)}.Backward(y{i}, dz{i}, dz{i}, {Literals.Int(c.OutputSize)});");
        }
        string dxArgument = dx ?? "default";
        string inputGradient = c.DirectInputGradient
            ? $"d{x} = dz{i} ⋆ flip(W{i})ᵀ (direct: stride 1, {c.InChannels} input channels)"
            : $"d{x} = col2im(W{i}ᵀ · dz{i})";
        string weightGradient = c.DirectForward
            ? $"dW{i}{WeightShape(c)} = Σ_batch Σ_p dz{i}[o,p] · {x}[c, p + (kh,kw)] (direct, no im2col)"
            : $"dW{i}{WeightShape(c)} = Σ_batch dz{i} · col({x})ᵀ";
        w.WriteLine($"// {weightGradient};  db{i}[{c.OutChannels}] = Σ dz{i};  {inputGradient}{(dxCondition is null ? "" : " when wanted")}");
        w.WriteLine($"global::NetDsl.Kernels.Convolution.Conv2DBackward({x}, parameters.Slice(Layer{i}WeightOffset, {Literals.Int(c.WeightCount)}), dz{i},");
        w.WriteLine($"    gradients.Slice(Layer{i}WeightOffset, {Literals.Int(c.WeightCount)}), gradients.Slice(Layer{i}BiasOffset, {c.OutChannels}), {dxArgument}, s_layer{i}Geometry, batch, workspace.Scratch);");
    }

    public static void EmitPenalty(SourceWriter w, ConvolutionLayerModel c)
    {
        if (c.HasPenalty)
            LayerOptions.EmitPenalty(w, c.Index, c.WeightCount, c.L1, c.L2);
    }
}
