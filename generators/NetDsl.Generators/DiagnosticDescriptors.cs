using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace NetDsl.Generators;

/// <summary>
/// Every diagnostic the generator reports. IDs are stable: never renumber or reuse one. Each has a page
/// <c>docs/diagnostics/{ID}.md</c> and a line in <c>AnalyzerReleases.Unshipped.md</c>.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "NetDsl";

    private static DiagnosticDescriptor Error(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Error);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity)
        => new(id, title, message, Category, severity, isEnabledByDefault: true, helpLinkUri: $"docs/diagnostics/{id}.md");

    public static readonly DiagnosticDescriptor NotPartial = Error(
        "NDSL0001", "Network class must be partial",
        "The network class '{0}' must be declared 'partial' so NetDsl can add its generated members: write 'partial class {0}'");

    public static readonly DiagnosticDescriptor NoLayers = Error(
        "NDSL0002", "Network has no layers",
        "The network '{0}' has no computing layers: add at least one layer attribute such as [Dense(10)] after its [Input]");

    public static readonly DiagnosticDescriptor MissingInput = Error(
        "NDSL0003", "Network input is missing or not first",
        "The network '{0}' must declare its input shape first: put [Input(size)] before the first layer attribute");

    public static readonly DiagnosticDescriptor DuplicateInput = Error(
        "NDSL0004", "More than one input",
        "The network '{0}' declares [Input] more than once: a sequential network has exactly one input, remove the extra [Input]");

    public static readonly DiagnosticDescriptor NonPositiveSize = Error(
        "NDSL0005", "Size must be positive",
        "{0} of [{1}] is {2}, but it must be a positive number");

    public static readonly DiagnosticDescriptor SoftmaxNotLast = Error(
        "NDSL0006", "Softmax is allowed only on the last layer",
        "Layer {0} uses Activation.Softmax, which normalizes a whole row into probabilities and is allowed only on the last layer: use ReLU, Tanh or Sigmoid for hidden layers");

    public static readonly DiagnosticDescriptor LossAppliesActivation = Error(
        "NDSL0007", "Loss applies its own activation",
        "Loss.{0} applies {1} itself and expects logits, but the last layer already applies Activation.{2}: declare the last layer without an activation (Activation.Identity)");

    public static readonly DiagnosticDescriptor LossDoesNotFitOutput = Error(
        "NDSL0008", "Loss does not fit the output",
        "Loss.{0} does not fit an output of {1} value(s): {2}");

    public static readonly DiagnosticDescriptor UnknownActivation = Error(
        "NDSL0009", "Unknown activation",
        "{0} is not a known activation: use one of the named values of NetDsl.Activation ({1})");

    public static readonly DiagnosticDescriptor UnknownOption = Error(
        "NDSL0010", "Unknown option value",
        "{0} is not a known {1}: use one of the named values of NetDsl.{1} ({2})");

    public static readonly DiagnosticDescriptor StepMisused = Error(
        "NDSL0011", "Step activation cannot be trained by gradients",
        "Layer {0} uses Activation.Step, whose derivative is zero almost everywhere: it is allowed only on the last layer, with Loss.Perceptron (or no loss)");

    public static readonly DiagnosticDescriptor PerceptronNeedsStep = Error(
        "NDSL0012", "Perceptron loss needs a step output",
        "Loss.Perceptron trains with the perceptron rule on step outputs, but the last layer uses Activation.{0}: declare it with Activation.Step");

    public static readonly DiagnosticDescriptor UnsupportedClass = Error(
        "NDSL0013", "Network class shape not supported",
        "The network class '{0}' is {1}: declare networks as non-generic top-level classes");

    public static readonly DiagnosticDescriptor TooManyParameters = Error(
        "NDSL0014", "Network is too large",
        "The network '{0}' has {1} parameters, more than the {2} one parameter buffer can hold: make the layers smaller");

    public static readonly DiagnosticDescriptor InvalidNegativeSlope = Error(
        "NDSL0015", "Invalid negative slope",
        "NegativeSlope of layer {0} is {1}, but leaky ReLU needs a finite slope greater than 0 and less than 1");

    public static readonly DiagnosticDescriptor OptionHasNoEffect = Create(
        "NDSL0016", "Option has no effect",
        "{0} of {1} has no effect with {2}: remove it, or use {3}", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor InvalidLayerName = Error(
        "NDSL0017", "Invalid or duplicate layer name",
        "Name \"{0}\" of layer {1} {2}: tensor names must be unique, non-empty, and use only letters, digits, '_', '-' and '.'");

    public static readonly DiagnosticDescriptor LayerOutsideNetwork = Create(
        "NDSL0018", "Layer attribute without [Network]",
        "'{0}' has layer attributes but no [Network] attribute, so no code is generated for it: add [Network] to the class", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor InvalidDropoutRate = Error(
        "NDSL0019", "Invalid dropout rate",
        "Dropout rate of layer {0} is {1}, but it must be at least 0 and less than 1 (the probability of zeroing a value while training)");

    public static readonly DiagnosticDescriptor DropoutLast = Error(
        "NDSL0020", "Dropout cannot be the last layer",
        "Layer {0} is a [Dropout], which would randomly zero the network's outputs while training: put it before the output layer");

    public static readonly DiagnosticDescriptor InvalidOption = Error(
        "NDSL0021", "Invalid option value",
        "{0} of {1} is {2}, but it must be {3}");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new()
    {
        [NotPartial.Id] = NotPartial,
        [NoLayers.Id] = NoLayers,
        [MissingInput.Id] = MissingInput,
        [DuplicateInput.Id] = DuplicateInput,
        [NonPositiveSize.Id] = NonPositiveSize,
        [SoftmaxNotLast.Id] = SoftmaxNotLast,
        [LossAppliesActivation.Id] = LossAppliesActivation,
        [LossDoesNotFitOutput.Id] = LossDoesNotFitOutput,
        [UnknownActivation.Id] = UnknownActivation,
        [UnknownOption.Id] = UnknownOption,
        [StepMisused.Id] = StepMisused,
        [PerceptronNeedsStep.Id] = PerceptronNeedsStep,
        [UnsupportedClass.Id] = UnsupportedClass,
        [TooManyParameters.Id] = TooManyParameters,
        [InvalidNegativeSlope.Id] = InvalidNegativeSlope,
        [OptionHasNoEffect.Id] = OptionHasNoEffect,
        [InvalidLayerName.Id] = InvalidLayerName,
        [LayerOutsideNetwork.Id] = LayerOutsideNetwork,
        [InvalidDropoutRate.Id] = InvalidDropoutRate,
        [DropoutLast.Id] = DropoutLast,
        [InvalidOption.Id] = InvalidOption,
    };

    public static IEnumerable<DiagnosticDescriptor> All => s_byId.Values;

    public static DiagnosticDescriptor ById(string id) => s_byId[id];
}
