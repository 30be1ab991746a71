using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// One minimal declaration per diagnostic: the ID, the severity, where it points (checked by the source text it
/// covers), and that an error stops generation while a warning does not.
/// </summary>
public sealed class DiagnosticTests
{
    [Fact]
    public void ValidModel_ReportsNothing()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using NetDsl;
            [Network(Loss = Loss.MeanSquaredError)]
            [Input(3)]
            [Dense(4, Activation.LeakyReLU, NegativeSlope = 0.1f, Name = "hidden")]
            [Dense(2)]
            partial class Valid;
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(4, run.GeneratedFiles.Length);
    }

    [Fact]
    public void NDSL0001_NotPartial() => AssertReported("NDSL0001", DiagnosticSeverity.Error, "Whole", """
        [Network]
        [Input(2)]
        [Dense(1)]
        class Whole { }
        """);

    [Fact]
    public void NDSL0002_NoLayers() => AssertReported("NDSL0002", DiagnosticSeverity.Error, "Network(Loss = Loss.MeanSquaredError)", """
        [Network(Loss = Loss.MeanSquaredError)]
        [Input(2)]
        partial class Empty;
        """);

    [Fact]
    public void NDSL0003_MissingInput() => AssertReported("NDSL0003", DiagnosticSeverity.Error, "Dense(4)", """
        [Network]
        [Dense(4)]
        [Dense(1)]
        partial class NoInput;
        """);

    [Fact]
    public void NDSL0003_InputNotFirst_IsNotAlsoReportedAsDuplicate() => AssertReported("NDSL0003", DiagnosticSeverity.Error, "Dense(4)", """
        [Network]
        [Dense(4)]
        [Input(2)]
        [Dense(1)]
        partial class LateInput;
        """);

    [Fact]
    public void NDSL0004_DuplicateInput() => AssertReported("NDSL0004", DiagnosticSeverity.Error, "Input(3)", """
        [Network]
        [Input(2)]
        [Input(3)]
        [Dense(1)]
        partial class TwoInputs;
        """);

    [Fact]
    public void NDSL0005_NonPositiveSize() => AssertReported("NDSL0005", DiagnosticSeverity.Error, "Dense(0)", """
        [Network]
        [Input(2)]
        [Dense(0)]
        partial class ZeroUnits;
        """);

    [Fact]
    public void NDSL0006_SoftmaxNotLast() => AssertReported("NDSL0006", DiagnosticSeverity.Error, "Dense(4, Activation.Softmax)", """
        [Network]
        [Input(2)]
        [Dense(4, Activation.Softmax)]
        [Dense(1)]
        partial class HiddenSoftmax;
        """);

    [Fact]
    public void NDSL0007_LossAppliesActivation() => AssertReported("NDSL0007", DiagnosticSeverity.Error, "Dense(10, Activation.Softmax)", """
        [Network(Loss = Loss.SoftmaxCrossEntropy)]
        [Input(64)]
        [Dense(10, Activation.Softmax)]
        partial class DoubleSoftmax;
        """);

    [Fact]
    public void NDSL0008_LossDoesNotFitOutput() => AssertReported("NDSL0008", DiagnosticSeverity.Error, "Dense(1)", """
        [Network(Loss = Loss.SoftmaxCrossEntropy)]
        [Input(4)]
        [Dense(1)]
        partial class OneClass;
        """);

    [Fact]
    public void NDSL0009_UnknownActivation() => AssertReported("NDSL0009", DiagnosticSeverity.Error, "Dense(1, (Activation)42)", """
        [Network]
        [Input(2)]
        [Dense(1, (Activation)42)]
        partial class CastActivation;
        """);

    [Fact]
    public void NDSL0010_UnknownOption() => AssertReported("NDSL0010", DiagnosticSeverity.Error, "Network(Loss = (Loss)42)", """
        [Network(Loss = (Loss)42)]
        [Input(2)]
        [Dense(1)]
        partial class CastLoss;
        """);

    [Fact]
    public void NDSL0010_UnknownOption_Initializer() => AssertReported("NDSL0010", DiagnosticSeverity.Error, "Dense(1, Initializer = (Initializer)42)", """
        [Network]
        [Input(2)]
        [Dense(1, Initializer = (Initializer)42)]
        partial class CastInitializer;
        """);

    [Fact]
    public void NDSL0011_StepMisused() => AssertReported("NDSL0011", DiagnosticSeverity.Error, "Dense(4, Activation.Step)", """
        [Network]
        [Input(2)]
        [Dense(4, Activation.Step)]
        [Dense(1)]
        partial class HiddenStep;
        """);

    [Fact]
    public void NDSL0012_PerceptronNeedsStep() => AssertReported("NDSL0012", DiagnosticSeverity.Error, "Dense(1, Activation.Sigmoid)", """
        [Network(Loss = Loss.Perceptron)]
        [Input(2)]
        [Dense(1, Activation.Sigmoid)]
        partial class SoftPerceptron;
        """);

    [Fact]
    public void NDSL0013_UnsupportedClass() => AssertReported("NDSL0013", DiagnosticSeverity.Error, "Inner", """
        partial class Outer
        {
            [Network]
            [Input(2)]
            [Dense(1)]
            partial class Inner;
        }
        """);

    [Fact]
    public void NDSL0014_TooManyParameters_InOneLayer() => AssertReported("NDSL0014", DiagnosticSeverity.Error, "Dense(50_000)", """
        [Network]
        [Input(50_000)]
        [Dense(50_000)]
        partial class Huge;
        """);

    [Fact]
    public void NDSL0014_TooManyParameters_InTheWholeNetwork() => AssertReported("NDSL0014", DiagnosticSeverity.Error, "Network", """
        [Network]
        [Input(40_000)]
        [Dense(40_000)]
        [Dense(40_000)]
        partial class HugeInTotal;
        """);

    [Fact]
    public void NDSL0015_InvalidNegativeSlope() => AssertReported("NDSL0015", DiagnosticSeverity.Error, "Dense(4, Activation.LeakyReLU, NegativeSlope = 1.5f)", """
        [Network]
        [Input(2)]
        [Dense(4, Activation.LeakyReLU, NegativeSlope = 1.5f)]
        [Dense(1)]
        partial class SteepSlope;
        """);

    [Fact]
    public void NDSL0016_OptionHasNoEffect() => AssertReported("NDSL0016", DiagnosticSeverity.Warning, "Dense(4, Activation.ReLU, NegativeSlope = 0.2f)", """
        [Network]
        [Input(2)]
        [Dense(4, Activation.ReLU, NegativeSlope = 0.2f)]
        [Dense(1)]
        partial class UselessSlope;
        """);

    [Fact]
    public void NDSL0016_OptionHasNoEffect_LossOptionOfAnotherLoss() => AssertReported("NDSL0016", DiagnosticSeverity.Warning, "Network(Loss = Loss.MeanSquaredError, LabelSmoothing = 0.1f)", """
        [Network(Loss = Loss.MeanSquaredError, LabelSmoothing = 0.1f)]
        [Input(2)]
        [Dense(3)]
        partial class SmoothedRegression;
        """);

    [Fact]
    public void NDSL0021_InvalidOption_LabelSmoothingOfOne() => AssertReported("NDSL0021", DiagnosticSeverity.Error, "Network(Loss = Loss.SoftmaxCrossEntropy, LabelSmoothing = 1f)", """
        [Network(Loss = Loss.SoftmaxCrossEntropy, LabelSmoothing = 1f)]
        [Input(2)]
        [Dense(3)]
        partial class FullySmoothed;
        """);

    [Fact]
    public void NDSL0007_LossAppliesActivation_KullbackLeiblerAfterSoftmax() => AssertReported("NDSL0007", DiagnosticSeverity.Error, "Dense(3, Activation.Softmax)", """
        [Network(Loss = Loss.KullbackLeibler)]
        [Input(2)]
        [Dense(3, Activation.Softmax)]
        partial class DoubleSoftmax;
        """);

    [Fact]
    public void NDSL0008_LossDoesNotFitOutput_MultiClassHingeOnOneOutput() => AssertReported("NDSL0008", DiagnosticSeverity.Error, "Dense(1)", """
        [Network(Loss = Loss.MultiClassHinge)]
        [Input(2)]
        [Dense(1)]
        partial class OneClassHinge;
        """);

    [Fact]
    public void NDSL0019_InvalidDropoutRate() => AssertReported("NDSL0019", DiagnosticSeverity.Error, "Dropout(1f)", """
        [Network]
        [Input(2)]
        [Dropout(1f)]
        [Dense(1)]
        partial class DropEverything;
        """);

    [Fact]
    public void NDSL0020_DropoutLast() => AssertReported("NDSL0020", DiagnosticSeverity.Error, "Dropout(0.5f)", """
        [Network]
        [Input(2)]
        [Dense(4)]
        [Dropout(0.5f)]
        partial class DroppedOutputs;
        """);

    [Fact]
    public void NDSL0021_InvalidOption() => AssertReported("NDSL0021", DiagnosticSeverity.Error, "Dense(4, L2 = -0.1f)", """
        [Network]
        [Input(2)]
        [Dense(4, L2 = -0.1f)]
        [Dense(1)]
        partial class NegativePenalty;
        """);

    [Fact]
    public void NDSL0017_InvalidLayerName() => AssertReported("NDSL0017", DiagnosticSeverity.Error, "Dense(1, Name = \"fc 2\")", """
        [Network]
        [Input(2)]
        [Dense(4, Name = "fc1")]
        [Dense(1, Name = "fc 2")]
        partial class SpacedName;
        """);

    [Fact]
    public void NDSL0017_DuplicateLayerName() => AssertReported("NDSL0017", DiagnosticSeverity.Error, "Dense(1, Name = \"fc\")", """
        [Network]
        [Input(2)]
        [Dense(4, Name = "fc")]
        [Dense(1, Name = "fc")]
        partial class SameNames;
        """);

    [Fact]
    public void NDSL0018_LayerOutsideNetwork() => AssertReported("NDSL0018", DiagnosticSeverity.Warning, "Orphan", """
        [Input(2)]
        [Dense(4)]
        [Dense(1)]
        partial class Orphan;
        """, expectGeneratedFiles: 0);

    /// <summary>
    /// Runs the generator on <paramref name="declaration"/> (after <c>using NetDsl;</c>) and asserts it reports exactly one
    /// diagnostic, <paramref name="id"/>, at <paramref name="locatedText"/>. An error must stop generation; a warning
    /// must not, and the generated code must still compile cleanly.
    /// </summary>
    private static void AssertReported(string id, DiagnosticSeverity severity, string locatedText, string declaration, int? expectGeneratedFiles = null)
    {
        GeneratorRun run = GeneratorHarness.Run("using NetDsl;\n\n" + declaration);

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Equal(severity, DiagnosticDescriptors.ById(id).DefaultSeverity);
        Assert.Equal(locatedText, run.LocatedText(diagnostic));
        Assert.DoesNotContain("{", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)); // every placeholder filled

        if (severity == DiagnosticSeverity.Error)
        {
            Assert.Empty(run.GeneratedFiles);
        }
        else
        {
            Assert.Equal(expectGeneratedFiles ?? 4, run.GeneratedFiles.Length);
            Assert.True(run.CompilationDiagnostics.All(d => d.Id == id), GeneratorHarness.Format(run.CompilationDiagnostics));
        }
    }
}
