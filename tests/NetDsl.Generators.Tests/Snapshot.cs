using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex;
using DiffPlex.Chunkers;
using DiffPlex.Model;
using Xunit.Sdk;

namespace NetDsl.Generators.Tests;

/// <summary>
/// Compares generated files with checked-in snapshots, after Verify's conventions: each file lives in
/// <c>Snapshots/{TestClass}.{TestMethod}#{HintName without .cs}.verified.cs</c> beside the test source. On a
/// mismatch the new text is written to <c>...received.cs</c> and the test fails with a unified diff. Setting
/// <c>NETDSL_ACCEPT_SNAPSHOTS=1</c> accepts instead: verified files are overwritten, stale ones and received ones
/// deleted. The test class is taken from the test's file name, so keep one test class per file.
/// </summary>
public static class Snapshot
{
    public const string AcceptVariable = "NETDSL_ACCEPT_SNAPSHOTS";

    private const string VerifiedSuffix = ".verified.cs";
    private const string ReceivedSuffix = ".received.cs";
    private const int ContextLines = 3;

    private static bool Accepting => Environment.GetEnvironmentVariable(AcceptVariable) == "1";

    /// <summary>Checks the set of files and each file's text against the snapshots of the calling test.</summary>
    public static void Verify(IReadOnlyList<GeneratedFile> files, [CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
        string prefix = $"{Path.GetFileNameWithoutExtension(testFile)}.{testMethod}#";
        Directory.CreateDirectory(directory);

        var expected = Directory.EnumerateFiles(directory, prefix + "*" + VerifiedSuffix)
            .ToDictionary(path => Path.GetFileName(path), StringComparer.Ordinal);
        var failures = new List<string>();

        foreach (GeneratedFile file in files)
        {
            string baseName = prefix + (file.HintName.EndsWith(".cs", StringComparison.Ordinal) ? file.HintName[..^3] : file.HintName);
            string verifiedPath = Path.Combine(directory, baseName + VerifiedSuffix);
            string receivedPath = Path.Combine(directory, baseName + ReceivedSuffix);
            string received = GeneratorHarness.NormalizeNewLines(file.Source);
            expected.Remove(Path.GetFileName(verifiedPath));

            string? verified = File.Exists(verifiedPath) ? GeneratorHarness.NormalizeNewLines(File.ReadAllText(verifiedPath)) : null;
            if (verified == received)
            {
                File.Delete(receivedPath);
                continue;
            }
            if (Accepting)
            {
                File.WriteAllText(verifiedPath, received, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                File.Delete(receivedPath);
                continue;
            }
            File.WriteAllText(receivedPath, received, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            failures.Add(verified is null
                ? $"New file {file.HintName}: no snapshot yet; the output is in {receivedPath}"
                : $"{file.HintName} differs from {verifiedPath}:\n{UnifiedDiff(verified, received)}");
        }

        // What is left was expected but not generated.
        foreach ((string name, string path) in expected.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (Accepting)
                File.Delete(path);
            else
                failures.Add($"Missing file: {name[prefix.Length..^VerifiedSuffix.Length]}.cs has a snapshot ({path}) but was not generated");
        }

        if (failures.Count > 0)
        {
            string filter = $"{Path.GetFileNameWithoutExtension(testFile)}.{testMethod}";
            throw new XunitException(
                string.Join("\n\n", failures) +
                $"\n\nIf the new output is right, accept it with:\n  {AcceptVariable}=1 dotnet test tests/NetDsl.Generators.Tests --filter \"FullyQualifiedName~{filter}\"");
        }
    }

    /// <summary>
    /// A unified diff of <paramref name="verified"/> (-) and <paramref name="received"/> (+) with a few lines of
    /// context, each line numbered in its own file (the old number for context and removed lines, the new for added).
    /// </summary>
    public static string UnifiedDiff(string verified, string received)
    {
        DiffResult diff = Differ.Instance.CreateDiffs(verified, received, ignoreWhiteSpace: false, ignoreCase: false, new LineChunker());
        IReadOnlyList<string> a = diff.PiecesOld, b = diff.PiecesNew;
        var output = new StringBuilder();
        output.Append("--- verified\n+++ received\n");

        // Blocks closer than twice the context share a hunk.
        var hunks = new List<List<DiffBlock>>();
        foreach (DiffBlock block in diff.DiffBlocks)
        {
            if (hunks.Count > 0)
            {
                DiffBlock previous = hunks[^1][^1];
                if (block.DeleteStartA - (previous.DeleteStartA + previous.DeleteCountA) <= 2 * ContextLines)
                {
                    hunks[^1].Add(block);
                    continue;
                }
            }
            hunks.Add(new List<DiffBlock> { block });
        }

        foreach (List<DiffBlock> hunk in hunks)
        {
            DiffBlock first = hunk[0], last = hunk[^1];
            int startA = Math.Max(0, first.DeleteStartA - ContextLines);
            int endA = Math.Min(a.Count, last.DeleteStartA + last.DeleteCountA + ContextLines);
            int startB = first.InsertStartB - (first.DeleteStartA - startA);
            int endB = last.InsertStartB + last.InsertCountB + (endA - (last.DeleteStartA + last.DeleteCountA));
            output.Append($"@@ -{startA + 1},{endA - startA} +{startB + 1},{endB - startB} @@\n");

            int i = startA;
            foreach (DiffBlock block in hunk)
            {
                for (; i < block.DeleteStartA; i++)
                    output.Append($"  {i + 1,5} | {a[i]}\n");
                for (int d = 0; d < block.DeleteCountA; d++)
                    output.Append($"- {block.DeleteStartA + d + 1,5} | {a[block.DeleteStartA + d]}\n");
                for (int n = 0; n < block.InsertCountB; n++)
                    output.Append($"+ {block.InsertStartB + n + 1,5} | {b[block.InsertStartB + n]}\n");
                i = block.DeleteStartA + block.DeleteCountA;
            }
            for (; i < endA; i++)
                output.Append($"  {i + 1,5} | {a[i]}\n");
        }
        return output.ToString();
    }
}
