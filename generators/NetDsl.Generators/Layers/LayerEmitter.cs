using System;
using NetDsl.Generators.Model;

namespace NetDsl.Generators.Layers;

/// <summary>
/// Sends each part of the generated code to the class of the layer's kind. Adding a layer kind means a class in
/// this folder and a case in each switch here.
/// </summary>
internal static class LayerEmitter
{
    public static string Kind(LayerModel layer) => layer switch
    {
        DenseLayerModel => "Dense",
        DropoutLayerModel => "Dropout",
        _ => throw Unknown(layer),
    };

    /// <summary>The activation (or other detail) column of the summary table.</summary>
    public static string Detail(LayerModel layer) => layer switch
    {
        DenseLayerModel dense => dense.Activation.ToString(),
        DropoutLayerModel dropout => "p = " + dropout.Rate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => throw Unknown(layer),
    };

    public static void EmitConstants(SourceWriter w, LayerModel layer)
    {
        if (layer is DenseLayerModel dense)
            DenseLayer.EmitConstants(w, dense);
    }

    public static void EmitTensors(SourceWriter w, LayerModel layer)
    {
        if (layer is DenseLayerModel dense)
            DenseLayer.EmitTensors(w, dense);
    }

    public static void EmitInitialize(SourceWriter w, LayerModel layer)
    {
        if (layer is DenseLayerModel dense)
            DenseLayer.EmitInitialize(w, dense);
    }

    public static void EmitWorkspaceFields(SourceWriter w, LayerModel layer)
    {
        if (layer is DropoutLayerModel dropout)
            DropoutLayer.EmitWorkspaceFields(w, dropout);
    }

    public static void EmitWorkspaceAllocation(SourceWriter w, LayerModel layer)
    {
        if (layer is DropoutLayerModel dropout)
            DropoutLayer.EmitWorkspaceAllocation(w, dropout);
    }

    public static void EmitForward(SourceWriter w, LayerModel layer, string x)
    {
        switch (layer)
        {
            case DenseLayerModel dense: DenseLayer.EmitForward(w, dense, x); break;
            case DropoutLayerModel dropout: DropoutLayer.EmitForward(w, dropout, x); break;
            default: throw Unknown(layer);
        }
    }

    /// <summary>What <c>y{i}</c> is in the backward pass: the layer's output buffer, unless the layer says otherwise.</summary>
    public static string BackwardOutput(LayerModel layer, string x) => layer switch
    {
        DropoutLayerModel dropout => DropoutLayer.BackwardOutput(dropout, x),
        _ => $"workspace.Layer{layer.Index}Output.AsSpan(0, batch * {layer.OutputSize})",
    };

    public static void EmitBackward(SourceWriter w, LayerModel layer, string x, string? dx, string? dxCondition)
    {
        switch (layer)
        {
            case DenseLayerModel dense: DenseLayer.EmitBackward(w, dense, x, dx, dxCondition); break;
            case DropoutLayerModel dropout: DropoutLayer.EmitBackward(w, dropout, x, dx, dxCondition); break;
            default: throw Unknown(layer);
        }
    }

    public static void EmitPenalty(SourceWriter w, LayerModel layer)
    {
        if (layer is DenseLayerModel dense)
            DenseLayer.EmitPenalty(w, dense);
    }

    private static Exception Unknown(LayerModel layer) => new InvalidOperationException($"No emitter for {layer.GetType().Name}.");
}
