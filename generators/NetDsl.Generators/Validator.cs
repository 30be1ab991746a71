using System;
using System.Collections.Generic;
using NetDsl.Generators.Layers;
using NetDsl.Generators.Model;

namespace NetDsl.Generators;

/// <summary>The validate stage's output: a network to emit (null when any error was found) and the diagnostics.</summary>
internal sealed record ValidationResult(NetworkModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// Stage 2: checks a <see cref="NetworkDeclaration"/>, infers every layer's shape and parameter offset, and turns
/// what is wrong into diagnostics at the offending attribute. Checks that concern one layer kind live in its
/// class under <c>Layers/</c>; checks that concern the network as a whole live here.
/// </summary>
internal static class Validator
{
    public static ValidationResult Validate(NetworkDeclaration declaration)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var context = new ValidationContext(declaration, diagnostics);

        if (!declaration.IsPartial)
            context.Report(DiagnosticDescriptors.NotPartial, declaration.ClassLocation, declaration.ClassName);
        if (declaration.IsNested || declaration.IsGeneric)
            context.Report(DiagnosticDescriptors.UnsupportedClass, declaration.ClassLocation, declaration.FullName,
                declaration.IsNested ? "nested in another type" : "generic");

        if (!Enum.IsDefined(typeof(LossKind), declaration.Loss))
        {
            context.Report(DiagnosticDescriptors.UnknownOption, declaration.NetworkAttributeLocation,
                $"(Loss){declaration.Loss}", "Loss", string.Join(", ", Enum.GetNames(typeof(LossKind))));
        }
        var loss = (LossKind)declaration.Loss;
        LossOptions lossOptions = ValidateLossOptions(declaration, loss, context);

        // The input comes first and once; everything after it is a computing layer.
        EquatableArray<int> inputShape = default;
        if (declaration.Layers.Count > 0 && declaration.Layers[0].Kind == LayerKind.Input)
        {
            inputShape = InputLayer.Validate(declaration.Layers[0], context);
        }
        else
        {
            context.Report(DiagnosticDescriptors.MissingInput, declaration.Layers.Count > 0 ? declaration.Layers[0].Location : declaration.NetworkAttributeLocation, declaration.ClassName);
        }

        // An [Input] after a layer was already reported as missing-or-not-first above: only a second one is a duplicate.
        bool seenInput = false;
        var computing = new List<LayerDeclaration>();
        for (int i = 0; i < declaration.Layers.Count; i++)
        {
            LayerDeclaration layer = declaration.Layers[i];
            if (layer.Kind != LayerKind.Input)
                computing.Add(layer);
            else if (seenInput)
                context.Report(DiagnosticDescriptors.DuplicateInput, layer.Location, declaration.ClassName);
            else
                seenInput = true;
        }
        if (computing.Count == 0)
            context.Report(DiagnosticDescriptors.NoLayers, declaration.NetworkAttributeLocation, declaration.ClassName);

        // Shape inference: each layer reads the previous one's output (the network input for the first).
        var layers = new List<LayerModel>();
        long offset = 0, stateOffset = 0;
        EquatableArray<int> previousShape = inputShape; // empty when unknown: later layers skip the checks that need it
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < computing.Count; i++)
        {
            var layer = new LayerContext(i, i - 1, previousShape, i == computing.Count - 1, loss, (int)Math.Min(offset, int.MaxValue), context);
            LayerModel? model = computing[i].Kind switch
            {
                LayerKind.Dense => DenseLayer.Validate(computing[i], layer),
                LayerKind.Dropout => DropoutLayer.Validate(computing[i], layer),
                LayerKind.Conv2D or LayerKind.Conv1D => ConvolutionLayer.Validate(computing[i], layer),
                LayerKind.MaxPool2D or LayerKind.AvgPool2D or LayerKind.GlobalAveragePool2D => PoolingLayer.Validate(computing[i], layer),
                LayerKind.Flatten => FlattenLayer.Validate(computing[i], layer),
                LayerKind.BatchNorm => BatchNormLayer.Validate(computing[i], layer),
                LayerKind.Embedding => EmbeddingLayer.Validate(computing[i], layer),
                LayerKind.SimpleRnn or LayerKind.Lstm or LayerKind.Gru => RecurrentLayer.Validate(computing[i], layer, lengthSource: layers.Count > 0 ? layers[0] as EmbeddingLayerModel : null),
                _ => throw new InvalidOperationException($"No validation for layer kind {computing[i].Kind}."),
            };
            if (model is null)
            {
                previousShape = default;
                continue;
            }
            model = model with { StateOffset = (int)Math.Min(stateOffset, int.MaxValue) };
            if (!names.Add(model.NameKey))
                context.Report(DiagnosticDescriptors.InvalidLayerName, computing[i].Location, model.Name, i, "is used by an earlier layer");
            offset += model.ParameterCount;
            stateOffset += model.StateCount;
            layers.Add(model);
            previousShape = model.OutputShape;
        }

        if (offset > int.MaxValue)
            context.Report(DiagnosticDescriptors.TooManyParameters, declaration.NetworkAttributeLocation, declaration.ClassName, offset.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), "int-indexed");

        if (layers.Count == computing.Count && layers.Count > 0)
            ValidateLoss(declaration, loss, layers[layers.Count - 1], computing[computing.Count - 1], context);

        NetworkModel? network = context.HasErrors || layers.Count == 0
            ? null
            : new NetworkModel(declaration.Namespace, declaration.ClassName, declaration.FullName, loss, lossOptions, inputShape, layers.ToEquatableArray(), (int)offset, (int)stateOffset);
        return new ValidationResult(network, diagnostics.ToEquatableArray());
    }

    /// <summary>Reads the loss options of <c>[Network]</c>: each must be in range, and should belong to the declared loss.</summary>
    private static LossOptions ValidateLossOptions(NetworkDeclaration declaration, LossKind loss, ValidationContext context)
    {
        float Read(string name, float fallback, LossKind owner, bool valid, string requirement)
        {
            Argument? argument = null;
            foreach (Argument a in declaration.NetworkArguments)
            {
                if (a.Name == name)
                    argument = a;
            }
            if (argument is null)
                return fallback;
            float value = (float)argument.Real;
            if (loss != owner)
                context.Report(DiagnosticDescriptors.OptionHasNoEffect, declaration.NetworkAttributeLocation, name, "the network", $"Loss.{loss}", $"Loss.{owner}");
            if (!valid || float.IsNaN(value) || float.IsInfinity(value))
                context.Report(DiagnosticDescriptors.InvalidOption, declaration.NetworkAttributeLocation, name, "the network", value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), requirement);
            return value;
        }

        float smoothing = Read("LabelSmoothing", 0f, LossKind.SoftmaxCrossEntropy, Valid("LabelSmoothing", v => v >= 0 && v < 1), "at least 0 and less than 1");
        float delta = Read("HuberDelta", 1f, LossKind.Huber, Valid("HuberDelta", v => v > 0), "a finite number greater than 0");
        float margin = Read("HingeMargin", 1f, LossKind.MultiClassHinge, Valid("HingeMargin", v => v > 0), "a finite number greater than 0");
        return new LossOptions(smoothing, delta, margin);

        bool Valid(string name, Func<double, bool> test)
        {
            foreach (Argument a in declaration.NetworkArguments)
            {
                if (a.Name == name)
                    return test(a.Real);
            }
            return true;
        }
    }

    /// <summary>Checks that the loss fits the last layer: its activation and its output size.</summary>
    private static void ValidateLoss(NetworkDeclaration declaration, LossKind loss, LayerModel last, LayerDeclaration lastDeclaration, ValidationContext context)
    {
        ActivationKind activation = last is DenseLayerModel dense ? dense.Activation : ActivationKind.Identity;
        switch (loss)
        {
            case LossKind.SoftmaxCrossEntropy or LossKind.KullbackLeibler when activation is ActivationKind.Softmax or ActivationKind.Sigmoid:
                context.Report(DiagnosticDescriptors.LossAppliesActivation, lastDeclaration.Location, loss, "softmax", activation);
                break;
            case LossKind.Poisson when activation is ActivationKind.Softmax or ActivationKind.Sigmoid:
                context.Report(DiagnosticDescriptors.LossAppliesActivation, lastDeclaration.Location, loss, "exp to its log-rates", activation);
                break;
            case LossKind.BinaryCrossEntropy when activation is ActivationKind.Softmax or ActivationKind.Sigmoid:
                context.Report(DiagnosticDescriptors.LossAppliesActivation, lastDeclaration.Location, loss, "sigmoid", activation);
                break;
            case LossKind.SoftmaxCrossEntropy or LossKind.KullbackLeibler or LossKind.MultiClassHinge when last.OutputSize < 2:
                context.Report(DiagnosticDescriptors.LossDoesNotFitOutput, lastDeclaration.Location, loss, last.OutputSize,
                    "it compares classes, and one output is one class; for two classes use one output with Loss.BinaryCrossEntropy (or Loss.Hinge), or two outputs");
                break;
            case LossKind.Perceptron when activation != ActivationKind.Step:
                context.Report(DiagnosticDescriptors.PerceptronNeedsStep, lastDeclaration.Location, activation);
                break;
        }
        if (activation == ActivationKind.Softmax && last.OutputSize < 2)
        {
            context.Report(DiagnosticDescriptors.LossDoesNotFitOutput, lastDeclaration.Location, loss, last.OutputSize,
                "softmax over a single value is always 1; use Activation.Sigmoid for one output");
        }
        if (activation == ActivationKind.Step && loss is not (LossKind.Perceptron or LossKind.None))
            context.Report(DiagnosticDescriptors.StepMisused, lastDeclaration.Location, last.Index);
    }
}

/// <summary>Where a layer sits: its index, the layer it reads (-1: the network input) and that layer's output shape.</summary>
/// <param name="InputShape">The shape the layer reads; empty when an earlier error left it unknown.</param>
internal readonly record struct LayerContext(int Index, int Input, EquatableArray<int> InputShape, bool IsLast, LossKind Loss, int ParameterOffset, ValidationContext Validation)
{
    public bool InputKnown => InputShape.Count > 0;

    public string Describe(LayerDeclaration declaration) => $"{Index} ({declaration.AttributeName})";
}

/// <summary>What a validation pass is collecting: the diagnostics, and whether any is an error.</summary>
internal sealed class ValidationContext(NetworkDeclaration declaration, List<DiagnosticInfo> diagnostics)
{
    public NetworkDeclaration Declaration { get; } = declaration;

    public bool HasErrors { get; private set; }

    public void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo? location, params object[] args)
    {
        if (descriptor.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
            HasErrors = true;
        diagnostics.Add(DiagnosticInfo.Create(descriptor, location ?? Declaration.NetworkAttributeLocation, args));
    }
}
