using Xunit;

namespace NetDsl.Generators.Tests;

/// <summary>
/// Whole generated files of representative networks, compared with <c>Snapshots/SnapshotTests.*</c>. Each model must
/// also compile, together with its generated code, without a single warning.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void Perceptron() => VerifyModel("""
        using NetDsl;

        namespace Demo;

        /// <summary>Rosenblatt's perceptron on two inputs.</summary>
        [Network(Loss = Loss.Perceptron)]
        [Input(2)]
        [Dense(1, Activation.Step)]
        public partial class Perceptron;
        """);

    [Fact]
    public void RegressionMlp() => VerifyModel("""
        using NetDsl;

        namespace Demo.Regression;

        /// <summary>Ten features to one value.</summary>
        [Network(Loss = Loss.MeanSquaredError)]
        [Input(10)]
        [Dense(32, Activation.Tanh)]
        [Dense(1)]
        public partial class Regressor;
        """);

    [Fact]
    public void SoftmaxClassifier() => VerifyModel("""
        using NetDsl;

        namespace Demo;

        /// <summary>8×8 digits into ten classes.</summary>
        [Network(Loss = Loss.SoftmaxCrossEntropy)]
        [Input(64)]
        [Dense(32, Activation.ReLU)]
        [Dense(10)]
        public partial class DigitsClassifier;
        """);

    [Fact]
    public void DeepMixedActivations() => VerifyModel("""
        using NetDsl;

        namespace Demo;

        /// <summary>An MNIST-sized stack with every hidden activation, for inference only.</summary>
        [Network]
        [Input(784)]
        [Dense(256, Activation.ReLU)]
        [Dense(128, Activation.LeakyReLU, NegativeSlope = 0.2f)]
        [Dense(64, Activation.Sigmoid)]
        [Dense(32, Activation.Tanh)]
        [Dense(10, Activation.Softmax)]
        public partial class DeepNetwork;
        """);

    [Fact]
    public void NamedLayersInGlobalNamespace() => VerifyModel("""
        using NetDsl;

        /// <summary>PyTorch-style layer names and explicit initializers, declared in the global namespace.</summary>
        [Network(Loss = Loss.BinaryCrossEntropy)]
        [Input(4)]
        [Dense(8, Activation.ReLU, Name = "fc1", Initializer = Initializer.HeNormal)]
        [Dense(1, Name = "fc2", Initializer = Initializer.LeCunUniform)]
        internal partial class SpamFilter;
        """);

    [Fact]
    public void RegularizedClassifier() => VerifyModel("""
        using NetDsl;

        namespace Demo;

        /// <summary>Input dropout, dropout between layers, L2 and elastic-net penalties, initializers per layer.</summary>
        [Network(Loss = Loss.SoftmaxCrossEntropy)]
        [Input(64)]
        [Dropout(0.2f)]
        [Dense(32, Activation.ReLU, L2 = 1e-4f, BiasInitializer = Initializer.Constant, BiasValue = 0.01f)]
        [Dropout(0.5f)]
        [Dense(10, L1 = 1e-5f, L2 = 1e-4f, Initializer = Initializer.Normal, InitializerScale = 0.01f)]
        public partial class RegularizedClassifier;
        """);

    /// <summary>Every loss generates a training step that compiles cleanly (the snapshots above cover five of them in full).</summary>
    [Theory]
    [InlineData("MeanSquaredError", 3, "")]
    [InlineData("MeanAbsoluteError", 3, "")]
    [InlineData("Huber", 3, ", HuberDelta = 0.5f")]
    [InlineData("BinaryCrossEntropy", 3, "")]
    [InlineData("SoftmaxCrossEntropy", 3, ", LabelSmoothing = 0.1f")]
    [InlineData("Hinge", 1, "")]
    [InlineData("MultiClassHinge", 3, ", HingeMargin = 2f")]
    [InlineData("Poisson", 3, "")]
    [InlineData("KullbackLeibler", 3, "")]
    public void EveryLossCompiles(string loss, int outputs, string options)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using NetDsl;

            [Network(Loss = Loss.{{loss}}{{options}})]
            [Input(4)]
            [Dense(8, Activation.Tanh)]
            [Dense({{outputs}})]
            public partial class Net;
            """);

        Assert.True(run.GeneratorDiagnostics.IsEmpty, GeneratorHarness.Format(run.GeneratorDiagnostics));
        Assert.True(run.CompilationDiagnostics.IsEmpty, "The generated code does not compile cleanly:\n" + GeneratorHarness.Format(run.CompilationDiagnostics));
        Assert.Contains(run.GeneratedFiles, file => file.Source.Contains($"global::NetDsl.Kernels.LossFunctions.{loss}(", System.StringComparison.Ordinal));
    }

    private static void VerifyModel(string source, [System.Runtime.CompilerServices.CallerMemberName] string testMethod = "")
    {
        GeneratorRun run = GeneratorHarness.Run(source);

        Assert.True(run.GeneratorDiagnostics.IsEmpty, GeneratorHarness.Format(run.GeneratorDiagnostics));
        Assert.True(run.CompilationDiagnostics.IsEmpty, "The generated code does not compile cleanly:\n" + GeneratorHarness.Format(run.CompilationDiagnostics));
        Snapshot.Verify(run.GeneratedFiles, testMethod: testMethod);
    }
}
