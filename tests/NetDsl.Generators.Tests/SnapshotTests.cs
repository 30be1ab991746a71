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

    [Fact]
    public void FashionMnistCnn() => VerifyModel("""
        using NetDsl;

        namespace Demo;

        /// <summary>The Fashion-MNIST CNN of the convolution issue.</summary>
        [Network(Loss = Loss.SoftmaxCrossEntropy)]
        [Input(1, 28, 28)]
        [Conv2D(16, 5, Activation.ReLU, PaddingSize = 2)]
        [MaxPool2D(2)]
        [Conv2D(32, 5, Activation.ReLU, PaddingSize = 2)]
        [MaxPool2D(2)]
        [Flatten]
        [Dense(128, Activation.ReLU, InputSize = 1568)]
        [Dense(10)]
        public partial class FashionCnn;
        """);

    [Fact]
    public void CnnWithBatchNorm() => VerifyModel("""
        using NetDsl;

        namespace Demo;

        /// <summary>Convolution, batch normalization (BatchNorm2d), average and global pooling.</summary>
        [Network(Loss = Loss.SoftmaxCrossEntropy)]
        [Input(3, 16, 16)]
        [Conv2D(8, 3, Activation.ReLU, Padding = Padding.Same)]
        [BatchNorm]
        [AvgPool2D(2)]
        [Conv2D(16, 3, Activation.ReLU)]
        [GlobalAveragePool2D]
        [Dense(4)]
        public partial class SmallVision;
        """);

    [Fact]
    public void LstmTextClassifier() => VerifyModel("""
        using NetDsl;

        namespace Demo;

        /// <summary>Characters → embedding (padding 0) → bidirectional LSTM → 5 categories.</summary>
        [Network(Loss = Loss.SoftmaxCrossEntropy)]
        [Input(80)]
        [Embedding(96, 16, PaddingIndex = 0)]
        [Lstm(64, Bidirectional = true)]
        [Dense(5)]
        public partial class TextClassifier;
        """);

    [Fact]
    public void GruForecaster() => VerifyModel("""
        using NetDsl;

        namespace Demo;

        /// <summary>24 hourly readings → stacked GRUs (the first returns sequences, truncated BPTT) → next hour.</summary>
        [Network(Loss = Loss.MeanSquaredError)]
        [Input(24, 1)]
        [Gru(32, ReturnSequences = true, Truncation = 12)]
        [Gru(32)]
        [Dense(1)]
        public partial class Forecaster;
        """);

    [Fact]
    public void SignalCnn() => VerifyModel("""
        using NetDsl;

        namespace Demo;

        /// <summary>A 1-D convolution over 3 channels of 50 steps, strided and dilated, global pooling by flattening.</summary>
        [Network(Loss = Loss.MeanSquaredError)]
        [Input(3, 50)]
        [Conv1D(8, 5, Activation.Tanh, Stride = 2, Dilation = 2)]
        [Conv1D(4, 3, Padding = Padding.Same)]
        [Flatten]
        [Dense(1)]
        public partial class SignalRegressor;
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
