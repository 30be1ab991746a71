using System;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>
/// Sends each part of the generated code to the class of the layer's kind. Adding a layer kind means a class in
/// this folder and a case in the switches here that concern it.
/// </summary>
internal static class LayerEmitter
{
    public static string Kind(LayerModel layer) => layer switch
    {
        DenseLayerModel => "Dense",
        DropoutLayerModel => "Dropout",
        ConvolutionLayerModel c => c.OneDimensional ? "Conv1D" : "Conv2D",
        PoolingLayerModel p => PoolingLayer.Kind(p),
        FlattenLayerModel => "Flatten",
        BatchNormLayerModel => "BatchNorm",
        EmbeddingLayerModel => "Embedding",
        RecurrentLayerModel r => RecurrentLayer.Kind(r),
        _ => throw Unknown(layer),
    };

    /// <summary>The activation (or other detail) column of the summary table.</summary>
    public static string Detail(LayerModel layer) => layer switch
    {
        DenseLayerModel dense => dense.Activation.ToString(),
        DropoutLayerModel dropout => "p = " + Literals.Number(dropout.Rate),
        ConvolutionLayerModel c => ConvolutionLayer.Describe(c),
        PoolingLayerModel p => PoolingLayer.Describe(p),
        FlattenLayerModel => "",
        BatchNormLayerModel b => BatchNormLayer.Describe(b),
        EmbeddingLayerModel e => EmbeddingLayer.Describe(e),
        RecurrentLayerModel r => RecurrentLayer.Describe(r),
        _ => throw Unknown(layer),
    };

    public static void EmitConstants(SourceWriter w, LayerModel layer)
    {
        switch (layer)
        {
            case DenseLayerModel dense: DenseLayer.EmitConstants(w, dense); break;
            case ConvolutionLayerModel c: ConvolutionLayer.EmitConstants(w, c); break;
            case BatchNormLayerModel b: BatchNormLayer.EmitConstants(w, b); break;
            case EmbeddingLayerModel e: EmbeddingLayer.EmitConstants(w, e); break;
            case RecurrentLayerModel r: RecurrentLayer.EmitConstants(w, r); break;
        }
    }

    /// <summary>Static fields the kernels read: the geometry of convolutions and pooling windows.</summary>
    public static void EmitStatics(SourceWriter w, LayerModel layer)
    {
        switch (layer)
        {
            case ConvolutionLayerModel c: ConvolutionLayer.EmitGeometry(w, c); break;
            case PoolingLayerModel p: PoolingLayer.EmitGeometry(w, p); break;
            case RecurrentLayerModel r: RecurrentLayer.EmitStatics(w, r); break;
        }
    }

    public static void EmitTensors(SourceWriter w, LayerModel layer)
    {
        switch (layer)
        {
            case DenseLayerModel dense: DenseLayer.EmitTensors(w, dense); break;
            case ConvolutionLayerModel c: ConvolutionLayer.EmitTensors(w, c); break;
            case BatchNormLayerModel b: BatchNormLayer.EmitTensors(w, b); break;
            case EmbeddingLayerModel e: EmbeddingLayer.EmitTensors(w, e); break;
            case RecurrentLayerModel r: RecurrentLayer.EmitTensors(w, r); break;
        }
    }

    public static void EmitStateTensors(SourceWriter w, LayerModel layer)
    {
        if (layer is BatchNormLayerModel b)
            BatchNormLayer.EmitStateTensors(w, b);
    }

    public static void EmitInitialize(SourceWriter w, LayerModel layer)
    {
        switch (layer)
        {
            case DenseLayerModel dense: DenseLayer.EmitInitialize(w, dense); break;
            case ConvolutionLayerModel c: ConvolutionLayer.EmitInitialize(w, c); break;
            case BatchNormLayerModel b: BatchNormLayer.EmitInitialize(w, b); break;
            case EmbeddingLayerModel e: EmbeddingLayer.EmitInitialize(w, e); break;
            case RecurrentLayerModel r: RecurrentLayer.EmitInitialize(w, r); break;
        }
    }

    public static void EmitWorkspaceFields(SourceWriter w, LayerModel layer)
    {
        switch (layer)
        {
            case DropoutLayerModel dropout: DropoutLayer.EmitWorkspaceFields(w, dropout); break;
            case PoolingLayerModel p: PoolingLayer.EmitWorkspaceFields(w, p); break;
            case BatchNormLayerModel b: BatchNormLayer.EmitWorkspaceFields(w, b); break;
            case RecurrentLayerModel r: RecurrentLayer.EmitWorkspaceFields(w, r); break;
        }
    }

    public static void EmitWorkspaceAllocation(SourceWriter w, LayerModel layer)
    {
        switch (layer)
        {
            case DropoutLayerModel dropout: DropoutLayer.EmitWorkspaceAllocation(w, dropout); break;
            case PoolingLayerModel p: PoolingLayer.EmitWorkspaceAllocation(w, p); break;
            case RecurrentLayerModel r: RecurrentLayer.EmitWorkspaceAllocation(w, r); break;
        }
    }

    public static void EmitForward(SourceWriter w, LayerModel layer, string x, bool isLast)
    {
        switch (layer)
        {
            case DenseLayerModel dense: DenseLayer.EmitForward(w, dense, x); break;
            case DropoutLayerModel dropout: DropoutLayer.EmitForward(w, dropout, x); break;
            case ConvolutionLayerModel c: ConvolutionLayer.EmitForward(w, c, x); break;
            case PoolingLayerModel p: PoolingLayer.EmitForward(w, p, x); break;
            case FlattenLayerModel f: FlattenLayer.EmitForward(w, f, x, isLast); break;
            case BatchNormLayerModel b: BatchNormLayer.EmitForward(w, b, x); break;
            case EmbeddingLayerModel e: EmbeddingLayer.EmitForward(w, e, x); break;
            case RecurrentLayerModel r: RecurrentLayer.EmitForward(w, r, x); break;
            default: throw Unknown(layer);
        }
    }

    /// <summary>What <c>y{i}</c> is in the backward pass: the layer's output buffer, unless the layer says otherwise.</summary>
    public static string BackwardOutput(LayerModel layer, string x, bool isLast) => layer switch
    {
        DropoutLayerModel dropout => DropoutLayer.BackwardOutput(dropout, x),
        FlattenLayerModel when !isLast => FlattenLayer.BackwardOutput(x),
        _ => $"workspace.Layer{layer.Index}Output.AsSpan(0, batch * {layer.OutputSize})",
    };

    public static void EmitBackward(SourceWriter w, LayerModel layer, string x, string? dx, string? dxCondition)
    {
        switch (layer)
        {
            case DenseLayerModel dense: DenseLayer.EmitBackward(w, dense, x, dx, dxCondition); break;
            case DropoutLayerModel dropout: DropoutLayer.EmitBackward(w, dropout, x, dx, dxCondition); break;
            case ConvolutionLayerModel c: ConvolutionLayer.EmitBackward(w, c, x, dx, dxCondition); break;
            case PoolingLayerModel p: PoolingLayer.EmitBackward(w, p, x, dx, dxCondition); break;
            case FlattenLayerModel f: FlattenLayer.EmitBackward(w, f, x, dx, dxCondition); break;
            case BatchNormLayerModel b: BatchNormLayer.EmitBackward(w, b, x, dx, dxCondition); break;
            case EmbeddingLayerModel e: EmbeddingLayer.EmitBackward(w, e, x, dx, dxCondition); break;
            case RecurrentLayerModel r: RecurrentLayer.EmitBackward(w, r, x, dx, dxCondition); break;
            default: throw Unknown(layer);
        }
    }

    public static void EmitPenalty(SourceWriter w, LayerModel layer)
    {
        switch (layer)
        {
            case DenseLayerModel dense: DenseLayer.EmitPenalty(w, dense); break;
            case ConvolutionLayerModel c: ConvolutionLayer.EmitPenalty(w, c); break;
        }
    }

    public static bool HasPenalty(LayerModel layer) => layer is DenseLayerModel { HasPenalty: true } or ConvolutionLayerModel { HasPenalty: true };

    private static Exception Unknown(LayerModel layer) => new InvalidOperationException($"No emitter for {layer.GetType().Name}.");
}
