using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NetDsl.Generators.Model;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// The pipeline skips work it can: each test runs the generator, edits the compilation, runs the same driver again
/// and checks the run reason of each named step (as Mapperly's and the Regex generator's incrementality tests do).
/// </summary>
public sealed class IncrementalityTests
{
    private const string Source = """
        using NetDsl;

        namespace Demo;

        [Network(Loss = Loss.MeanSquaredError)]
        [Input(10)]
        [Dense(32, Activation.Tanh)]
        [Dense(1)]
        public partial class Regressor;

        public static class Helpers
        {
            public static int Answer() => 42;
        }
        """;

    private static readonly IncrementalStepRunReason[] s_skipped = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [Fact]
    public void NewUnrelatedFile_ReusesEveryStep()
    {
        GeneratorRun first = GeneratorHarness.Run(Source);
        CSharpCompilation edited = first.Compilation.AddSyntaxTrees(GeneratorHarness.ParseSource("namespace Demo; public class Unrelated { }", 1));

        GeneratorRun second = GeneratorHarness.Run(first.Driver, edited);

        AssertAll(second, StepNames.Parse, s_skipped);
        AssertAll(second, StepNames.Validate, s_skipped);
        AssertAll(second, StepNames.Model, s_skipped);
        AssertSourceOutputs(second, s_skipped);
        Assert.Equal(first.GeneratedFiles.ToArray(), second.GeneratedFiles.ToArray());
    }

    [Fact]
    public void UnrelatedMethodBodyEdit_ReusesEveryStep()
    {
        GeneratorRun first = GeneratorHarness.Run(Source);

        GeneratorRun second = GeneratorHarness.Run(first.Driver, Edit(first.Compilation, "=> 42;", "=> 43;"));

        AssertAll(second, StepNames.Parse, s_skipped);
        AssertAll(second, StepNames.Validate, s_skipped);
        AssertAll(second, StepNames.Model, s_skipped);
        AssertSourceOutputs(second, s_skipped);
        Assert.Equal(first.GeneratedFiles.ToArray(), second.GeneratedFiles.ToArray());
    }

    [Fact]
    public void ChangedUnits_ModifiesTheModelAndRegenerates()
    {
        GeneratorRun first = GeneratorHarness.Run(Source);

        GeneratorRun second = GeneratorHarness.Run(first.Driver, Edit(first.Compilation, "[Dense(32, Activation.Tanh)]", "[Dense(64, Activation.Tanh)]"));

        AssertAll(second, StepNames.Parse, [IncrementalStepRunReason.Modified]);
        AssertAll(second, StepNames.Model, [IncrementalStepRunReason.Modified]);
        Assert.Contains(IncrementalStepRunReason.Modified, SourceOutputReasons(second));
        Assert.NotEqual(first.GeneratedFiles.ToArray(), second.GeneratedFiles.ToArray());
        Assert.Contains("public const int ParameterCount = 769;", second.GeneratedFiles.Single(f => f.HintName.EndsWith(".Network.g.cs")).Source);
    }

    [Fact]
    public void LinesAddedAboveTheClass_MoveLocationsButDoNotReEmit()
    {
        GeneratorRun first = GeneratorHarness.Run(Source);

        GeneratorRun second = GeneratorHarness.Run(first.Driver, Edit(first.Compilation, "namespace Demo;\n", "namespace Demo;\n\n\n\n"));

        // The declaration holds locations for diagnostics, so it changes; the model holds none, so emitting is skipped.
        AssertAll(second, StepNames.Parse, [IncrementalStepRunReason.Modified]);
        AssertAll(second, StepNames.Model, s_skipped);
        AssertSourceOutputs(second, s_skipped);
        Assert.Equal(first.GeneratedFiles.ToArray(), second.GeneratedFiles.ToArray());
    }

    [Fact]
    public void SameSourceParsedTwice_GivesEqualModels()
    {
        GeneratorRun first = GeneratorHarness.Run(Source);
        GeneratorRun second = GeneratorHarness.Run(Source);

        foreach (string step in new[] { StepNames.Parse, StepNames.Validate, StepNames.Model })
        {
            object a = Assert.Single(OutputValues(first, step)), b = Assert.Single(OutputValues(second, step));
            Assert.NotSame(a, b);
            Assert.Equal(a, b);
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
        }
        Assert.IsType<NetworkDeclaration>(Assert.Single(OutputValues(first, StepNames.Parse)));
        Assert.IsType<NetworkModel>(Assert.Single(OutputValues(first, StepNames.Model)));
    }

    private static CSharpCompilation Edit(CSharpCompilation compilation, string oldText, string newText)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        string text = tree.GetText().ToString();
        Assert.Contains(oldText, text);
        return compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text.Replace(oldText, newText))));
    }

    private static IEnumerable<IncrementalGeneratorRunStep> Steps(GeneratorRun run, string step) =>
        run.Driver.GetRunResult().Results[0].TrackedSteps.TryGetValue(step, out var steps) ? steps : [];

    private static List<object> OutputValues(GeneratorRun run, string step) =>
        Steps(run, step).SelectMany(s => s.Outputs).Select(o => o.Value).ToList();

    private static void AssertAll(GeneratorRun run, string step, IncrementalStepRunReason[] allowed)
    {
        var reasons = Steps(run, step).SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.True(reasons.Count > 0, $"Step {step} did not run.");
        Assert.True(reasons.All(allowed.Contains), $"Step {step}: expected only {string.Join(" or ", allowed)}, got {string.Join(", ", reasons)}.");
    }

    private static List<IncrementalStepRunReason> SourceOutputReasons(GeneratorRun run) =>
        run.Driver.GetRunResult().Results[0].TrackedOutputSteps[WellKnownGeneratorOutputs.SourceOutput]
            .SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();

    private static void AssertSourceOutputs(GeneratorRun run, IncrementalStepRunReason[] allowed)
    {
        List<IncrementalStepRunReason> reasons = SourceOutputReasons(run);
        Assert.True(reasons.All(allowed.Contains), $"Source outputs: expected only {string.Join(" or ", allowed)}, got {string.Join(", ", reasons)}.");
    }
}
