using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NetDsl.Generators.Tests;

/// <summary>One generated file: its hint name and its text (line endings normalized to <c>\n</c>).</summary>
public sealed record GeneratedFile(string HintName, string Source);

/// <summary>What one run of the generator produced.</summary>
/// <param name="Compilation">The compilation the generator ran on (the user's sources only).</param>
/// <param name="OutputCompilation">The compilation with the generated sources added.</param>
/// <param name="GeneratedFiles">The generated sources, in the order the generator added them.</param>
/// <param name="GeneratorDiagnostics">The diagnostics the generator reported.</param>
/// <param name="Driver">The driver after the run, to run again on an edited compilation.</param>
public sealed record GeneratorRun(
    CSharpCompilation Compilation,
    Compilation OutputCompilation,
    ImmutableArray<GeneratedFile> GeneratedFiles,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    GeneratorDriver Driver)
{
    /// <summary>
    /// The diagnostics of emitting the output compilation (user code plus generated code) with an XML documentation
    /// file, as a project with <c>GenerateDocumentationFile</c> does, so doc comment warnings count; hidden ones left out.
    /// </summary>
    public ImmutableArray<Diagnostic> CompilationDiagnostics
    {
        get
        {
            using var assembly = new MemoryStream();
            using var documentation = new MemoryStream();
            return OutputCompilation.Emit(assembly, xmlDocumentationStream: documentation).Diagnostics
                .Where(d => d.Severity != DiagnosticSeverity.Hidden)
                .ToImmutableArray();
        }
    }

    /// <summary>The source text a diagnostic points at, found in the user's syntax tree of the same path.</summary>
    /// <remarks>
    /// The generator reports locations as plain values (<c>Location.Create(path, span, lineSpan)</c>) so they can live
    /// in the cached pipeline; such a location has no syntax tree, so the tree is found by its path.
    /// </remarks>
    public string LocatedText(Diagnostic diagnostic)
    {
        FileLinePositionSpan lineSpan = diagnostic.Location.GetLineSpan();
        SyntaxTree tree = Compilation.SyntaxTrees.Single(t => t.FilePath == lineSpan.Path);
        return tree.GetText().ToString(diagnostic.Location.SourceSpan);
    }
}

/// <summary>Compiles C# source against the NetDsl runtime and runs <see cref="NetworkGenerator"/> on it.</summary>
public static class GeneratorHarness
{
    /// <summary>C# parse options of the tests: the latest language, and doc comments checked as a user with <c>GenerateDocumentationFile</c> gets.</summary>
    public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string path in ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            paths.Add(path);
        paths.Add(typeof(NetDsl.NetworkAttribute).Assembly.Location);
        // One reference per assembly name: the runtime may also be listed under the test's output folder.
        return paths
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => (MetadataReference)MetadataReference.CreateFromFile(g.First()))
            .ToImmutableArray();
    });

    /// <summary>Parses each source as <c>Source{i}.cs</c> and compiles them into a library with nullable enabled and every warning wave on.</summary>
    public static CSharpCompilation CreateCompilation(params string[] sources) => CSharpCompilation.Create(
        "TestAssembly",
        sources.Select((source, i) => ParseSource(source, i)),
        s_references.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

    public static SyntaxTree ParseSource(string source, int index) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Source{index}.cs");

    /// <summary>A driver for <see cref="NetworkGenerator"/> that tracks every pipeline step.</summary>
    public static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        new[] { new NetworkGenerator().AsSourceGenerator() },
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(params string[] sources) => Run(CreateDriver(), CreateCompilation(sources));

    /// <summary>Runs <paramref name="driver"/> (fresh, or from an earlier run) on <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(GeneratorDriver driver, CSharpCompilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> driverDiagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null)
            throw new InvalidOperationException("The generator threw.", result.Exception);
        ImmutableArray<GeneratedFile> files = result.GeneratedSources
            .Select(s => new GeneratedFile(s.HintName, NormalizeNewLines(s.SourceText.ToString())))
            .ToImmutableArray();
        return new GeneratorRun(compilation, output, files, driverDiagnostics, driver);
    }

    public static string NormalizeNewLines(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

    /// <summary>Formats diagnostics one a line with their located text, for assertion messages.</summary>
    public static string Format(IEnumerable<Diagnostic> diagnostics) =>
        string.Join(Environment.NewLine, diagnostics.Select(d => d.ToString()));
}
