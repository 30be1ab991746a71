using System;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary><see cref="Embedding"/>: lookup, index checks that name sample, step and value, sparse gradient, padding, lengths.</summary>
public class EmbeddingTests
{
    private const int Vocabulary = 7, Dimension = 5;

    [Fact]
    public void ForwardCopiesTheRowOfEachIndex()
    {
        float[] table = TestData.Uniform(new Random(1), Vocabulary * Dimension);
        float[] indices = [3, 0, 6, 3, 1, 0]; // [B=2, T=3]
        var y = new float[indices.Length * Dimension];
        Embedding.Forward(indices, table, y, Vocabulary, Dimension, steps: 3);
        for (int p = 0; p < indices.Length; p++)
        {
            Assert.Equal(table.AsSpan((int)indices[p] * Dimension, Dimension).ToArray(), y.AsSpan(p * Dimension, Dimension).ToArray());
        }
    }

    [Theory]
    [InlineData(2.5f, "2.5")]
    [InlineData(-1f, "-1")]
    [InlineData(7f, "7")]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    public void BadIndexNamesSampleStepAndValue(float bad, string shown)
    {
        float[] table = new float[Vocabulary * Dimension];
        float[] indices = [1, 2, 3, 4, 5, bad]; // the bad one is sample 1, step 2 of [B=2, T=3]
        var y = new float[indices.Length * Dimension];
        var error = Assert.Throws<ArgumentException>(() => Embedding.Forward(indices, table, y, Vocabulary, Dimension, steps: 3));
        Assert.Contains($"sample 1, step 2 is {shown}", error.Message);
        Assert.Contains("[0, 7)", error.Message);
        var backward = Assert.Throws<ArgumentException>(() => Embedding.Backward(indices, y, table, Vocabulary, Dimension, steps: 3));
        Assert.Contains("sample 1, step 2", backward.Message);
        // Without the step count the flat position is named as a step of sample 0.
        var flat = Assert.Throws<ArgumentException>(() => Embedding.Forward(indices, table, y, Vocabulary, Dimension));
        Assert.Contains("sample 0, step 5", flat.Message);
    }

    [Fact]
    public void BackwardSumsOverUsesAndSkipsUnusedAndPaddingRows()
    {
        float[] indices = [3, 0, 3, 3, 1, 0]; // row 3 used three times, rows 2, 4, 5, 6 never, 0 is padding
        float[] dy = TestData.Uniform(new Random(2), indices.Length * Dimension);
        var gradient = new float[Vocabulary * Dimension];
        gradient.AsSpan().Fill(float.NaN); // overwritten
        Embedding.Backward(indices, dy, gradient, Vocabulary, Dimension, paddingIndex: 0, steps: 3);
        var expected = new double[Vocabulary * Dimension];
        for (int p = 0; p < indices.Length; p++)
        {
            int row = (int)indices[p];
            if (row == 0) continue;
            for (int d = 0; d < Dimension; d++) expected[row * Dimension + d] += dy[p * Dimension + d];
        }
        TestData.Near(expected, gradient, 1e-6, 1e-6, "table gradient");

        // Without a padding index row 0 gets its gradient too.
        Embedding.Backward(indices, dy, gradient, Vocabulary, Dimension);
        Assert.Equal(dy[Dimension] + dy[5 * Dimension], gradient[0], 6);
    }

    [Fact]
    public void LengthsCutOnlyTrailingPadding()
    {
        float[] indices = [4, 0, 2, 0, 0, /**/ 0, 0, 0, 0, 0, /**/ 1, 2, 3, 4, 5, /**/ 0, 3, 0, 0, 6];
        var lengths = new int[4];
        Embedding.Lengths(indices, lengths, steps: 5, paddingIndex: 0);
        Assert.Equal([3, 0, 5, 5], lengths);
        Embedding.Lengths(indices, lengths, steps: 5, paddingIndex: -1);
        Assert.Equal([5, 5, 5, 5], lengths);
    }

    [Fact]
    public void DoesNotAllocate()
    {
        using var kernelThreads = KernelThreads.Hold();
        float[] table = TestData.Uniform(new Random(3), Vocabulary * Dimension);
        float[] indices = [3, 0, 6, 3, 1, 0];
        float[] y = new float[indices.Length * Dimension], gradient = new float[table.Length];
        int[] lengths = new int[2];
        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void RunAll()
        {
            Embedding.Forward(indices, table, y, Vocabulary, Dimension, 3);
            Embedding.Backward(indices, y, gradient, Vocabulary, Dimension, 0, 3);
            Embedding.Lengths(indices, lengths, 3, 0);
        }
    }
}
