using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>The snapshot helper's diff, which is what a reader sees when a snapshot test fails.</summary>
public sealed class SnapshotHelperTests
{
    [Fact]
    public void UnifiedDiff_NumbersLinesAndKeepsThreeLinesOfContext()
    {
        string verified = "a\nb\nc\nd\ne\nf\ng\nh\ni\n";
        string received = "a\nb\nc\nd\nE\nf\ng\nh\ni\n";

        string diff = Snapshot.UnifiedDiff(verified, received);

        Assert.Equal(
            "--- verified\n+++ received\n" +
            "@@ -2,7 +2,7 @@\n" +
            "      2 | b\n      3 | c\n      4 | d\n" +
            "-     5 | e\n" +
            "+     5 | E\n" +
            "      6 | f\n      7 | g\n      8 | h\n",
            diff);
    }

    [Fact]
    public void UnifiedDiff_SplitsDistantChangesIntoHunks()
    {
        string verified = string.Join("\n", System.Linq.Enumerable.Range(1, 30)) + "\n";
        string received = verified.Replace("\n3\n", "\nthree\n").Replace("\n27\n", "\n");

        string diff = Snapshot.UnifiedDiff(verified, received);

        Assert.Contains("@@ -1,6 +1,6 @@\n", diff);
        Assert.Contains("-     3 | 3\n+     3 | three\n", diff);
        Assert.Contains("@@ -24,7 +24,6 @@\n", diff);
        Assert.Contains("-    27 | 27\n", diff);
    }
}
