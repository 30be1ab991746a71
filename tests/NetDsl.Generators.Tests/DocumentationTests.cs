using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>Every diagnostic has its docs page and its release-tracking row.</summary>
public sealed class DocumentationTests
{
    public static TheoryData<string> DiagnosticIds() => new(DiagnosticDescriptors.All.Select(d => d.Id).OrderBy(id => id, System.StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(DiagnosticIds))]
    public void Diagnostic_HasADocsPage(string id)
    {
        DiagnosticDescriptor descriptor = DiagnosticDescriptors.ById(id);
        string page = Path.Combine(RepositoryRoot(), "docs", "diagnostics", id + ".md");

        Assert.True(File.Exists(page), $"Missing docs page {page} for {id}.");
        string firstLine = File.ReadLines(page).First();
        Assert.Equal($"# {id}: {descriptor.Title}", firstLine);
        Assert.Equal($"docs/diagnostics/{id}.md", descriptor.HelpLinkUri);
    }

    [Theory]
    [MemberData(nameof(DiagnosticIds))]
    public void Diagnostic_HasAReleaseTrackingRow(string id)
    {
        DiagnosticDescriptor descriptor = DiagnosticDescriptors.ById(id);
        string releases = Path.Combine(RepositoryRoot(), "generators", "NetDsl.Generators", "AnalyzerReleases.Unshipped.md");

        string? row = File.ReadLines(releases).SingleOrDefault(line => line.StartsWith(id + " ", System.StringComparison.Ordinal));
        Assert.True(row is not null, $"{releases} has no row for {id}.");
        string[] cells = row!.Split('|').Select(c => c.Trim()).ToArray();
        Assert.Equal([id, descriptor.Category, descriptor.DefaultSeverity.ToString(), descriptor.Title.ToString()], cells);
    }

    /// <summary>The page's example reports the diagnostic with the message it quotes, and its fix reports nothing.</summary>
    [Theory]
    [MemberData(nameof(DiagnosticIds))]
    public void DocsPage_ExamplesDoWhatTheySay(string id)
    {
        string page = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "diagnostics", id + ".md")).Replace("\r\n", "\n");
        string[] examples = Regex.Matches(page, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(2, examples.Length);
        string quoted = Regex.Match(page, "^> " + id + ": (.*)$", RegexOptions.Multiline).Groups[1].Value;

        GeneratorRun wrong = GeneratorHarness.Run(examples[0]);
        Diagnostic diagnostic = Assert.Single(wrong.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(quoted, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));

        GeneratorRun fixedRun = GeneratorHarness.Run(examples[1]);
        Assert.Empty(fixedRun.GeneratorDiagnostics);
        Assert.NotEmpty(fixedRun.GeneratedFiles);
    }

    [Fact]
    public void DiagnosticIds_AreNumberedWithoutGaps()
    {
        string[] ids = DiagnosticDescriptors.All.Select(d => d.Id).OrderBy(id => id, System.StringComparer.Ordinal).ToArray();

        Assert.Equal(Enumerable.Range(1, ids.Length).Select(i => $"NDSL{i:0000}"), ids);
    }

    /// <summary>The folder holding <c>NetDsl.sln</c>, found by walking up from this source file.</summary>
    private static string RepositoryRoot([CallerFilePath] string thisFile = "")
    {
        for (DirectoryInfo? directory = new FileInfo(thisFile).Directory; directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "NetDsl.sln")))
                return directory.FullName;
        }
        throw new DirectoryNotFoundException($"No NetDsl.sln above {thisFile}.");
    }
}
