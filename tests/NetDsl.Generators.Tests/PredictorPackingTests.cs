using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// A predictor packs a dense layer for the batch-1 product that skips zero inputs (<c>inputsOftenZero: true</c>) exactly
/// when the layer reads a ReLU's or a step's outputs, directly or through layers that keep zeros.
/// </summary>
public sealed class PredictorPackingTests
{
    [Fact]
    public void Dense_layers_fed_by_a_ReLU_through_zero_keeping_layers_are_packed_to_skip_zero_inputs()
    {
        // Layer indices: 0 conv (ReLU), 1 max pool, 2 flatten, 3 dense (ReLU), 4 dropout, 5 dense (sigmoid), 6 dense.
        string[] packed = PackedLayers("""
            using NetDsl;

            [Network(Loss = Loss.SoftmaxCrossEntropy)]
            [Input(1, 8, 8)]
            [Conv2D(4, 3, Activation.ReLU)]
            [MaxPool2D(2)]
            [Flatten]
            [Dense(16, Activation.ReLU)]
            [Dropout(0.5f)]
            [Dense(16, Activation.Sigmoid)]
            [Dense(3)]
            public partial class Zeros;
            """);
        Assert.Equal(["3: zeros", "5: zeros", "6: dense"], packed);
    }

    [Fact]
    public void Average_pooling_batch_norm_and_other_activations_do_not_count_as_zeros()
    {
        // 0 conv (ReLU), 1 average pool, 2 flatten, 3 dense (LeakyReLU), 4 dense (ReLU), 5 batch norm, 6 dense; the input layer's own inputs are unknown.
        string[] packed = PackedLayers("""
            using NetDsl;

            [Network(Loss = Loss.SoftmaxCrossEntropy)]
            [Input(1, 8, 8)]
            [Conv2D(4, 3, Activation.ReLU)]
            [AvgPool2D(2)]
            [Flatten]
            [Dense(16, Activation.LeakyReLU)]
            [Dense(16, Activation.ReLU)]
            [BatchNorm]
            [Dense(3)]
            public partial class Dense;
            """);
        Assert.Equal(["3: dense", "4: dense", "6: dense"], packed);
    }

    /// <summary>Each packed dense layer of the generated predictor: <c>"index: zeros"</c> when packed to skip zero inputs, else <c>"index: dense"</c>.</summary>
    private static string[] PackedLayers(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Assert.Empty(run.GeneratorDiagnostics);
        string forward = run.GeneratedFiles.Single(f => f.HintName.EndsWith(".Forward.g.cs", System.StringComparison.Ordinal)).Source;
        return Regex.Matches(forward, @"packed\[(\d+)\] = new\(.*\);")
            .Select(m => $"{m.Groups[1].Value}: {(m.Value.Contains("inputsOftenZero: true") ? "zeros" : "dense")}")
            .ToArray();
    }
}
