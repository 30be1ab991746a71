using NetDsl;

namespace NetDsl.Tests.Models;

// Networks declared the way users declare them; the generator builds them with the test project.

/// <summary>Digits: 64 pixels → 64 ReLU → 10 logits.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(64)]
[Dense(64, Activation.ReLU)]
[Dense(10)]
public partial class DigitsClassifier;

/// <summary>Iris: 4 measurements → 16 tanh → 3 logits.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(4)]
[Dense(16, Activation.Tanh)]
[Dense(3)]
public partial class IrisClassifier;

/// <summary>Diabetes progression: 10 standardized features → 16 ReLU → 1.</summary>
[Network(Loss = Loss.MeanSquaredError)]
[Input(10)]
[Dense(16, Activation.ReLU)]
[Dense(1)]
public partial class DiabetesRegressor;

/// <summary>The classic perceptron on two inputs.</summary>
[Network(Loss = Loss.Perceptron)]
[Input(2)]
[Dense(1, Activation.Step)]
public partial class Perceptron2;

/// <summary>A perceptron with several independent step outputs.</summary>
[Network(Loss = Loss.Perceptron)]
[Input(5)]
[Dense(3, Activation.Step)]
public partial class Perceptron5x3;

/// <summary>Every differentiable activation, odd sizes, softmax output under MSE (so softmax's own backward runs).</summary>
[Network(Loss = Loss.MeanSquaredError)]
[Input(7)]
[Dense(9, Activation.LeakyReLU, NegativeSlope = 0.1f)]
[Dense(5, Activation.Sigmoid)]
[Dense(6, Activation.Tanh)]
[Dense(4, Activation.Softmax)]
public partial class MixedActivations;

/// <summary>Binary cross-entropy on logits over three independent outputs.</summary>
[Network(Loss = Loss.BinaryCrossEntropy)]
[Input(5)]
[Dense(6, Activation.ReLU)]
[Dense(3)]
public partial class MultiLabel;

/// <summary>Sizes around the vector widths (16 floats per AVX-512 vector), so every remainder path runs.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(33)]
[Dense(65, Activation.ReLU)]
[Dense(17, Activation.LeakyReLU)]
[Dense(11)]
public partial class OddSizes;

/// <summary>The Fashion-MNIST recipe's shape, for the allocation and threading tests.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(128, Activation.ReLU)]
[Dense(10)]
public partial class Mlp784;

/// <summary>Dropout on the input and between layers, L2 on one layer and the elastic net on the other.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(6)]
[Dropout(0.2f)]
[Dense(12, Activation.ReLU, L2 = 0.01f)]
[Dropout(0.5f)]
[Dense(4, L1 = 0.001f, L2 = 0.002f)]
public partial class Regularized;

/// <summary>Initializers chosen per layer, for weights and biases.</summary>
[Network]
[Input(200)]
[Dense(300, Activation.Tanh, Initializer = Initializer.Normal, InitializerScale = 0.5f, BiasInitializer = Initializer.Constant, BiasValue = 0.1f)]
[Dense(100, Initializer = Initializer.Uniform, InitializerScale = 0.3f, BiasInitializer = Initializer.LeCunUniform)]
public partial class CustomInitialization;

/// <summary>Breast cancer (30 measurements, malignant 212 / benign 357): 30 → 16 ReLU → 2 logits.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(30)]
[Dense(16, Activation.ReLU)]
[Dense(2)]
public partial class BreastCancerClassifier;

/// <summary>Wine (13 chemical measurements on very different scales, 3 cultivars): 13 → 16 tanh → 3 logits.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(13)]
[Dense(16, Activation.Tanh)]
[Dense(3)]
public partial class WineClassifier;

/// <summary>Digits with dropout, for early stopping: 64 → 128 ReLU → dropout 0.2 → 10.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(64)]
[Dense(128, Activation.ReLU)]
[Dropout(0.2f)]
[Dense(10)]
public partial class DigitsWithDropout;

/// <summary>Iris with dropout, for the determinism test: the seed must fix the dropout masks too.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(4)]
[Dense(16, Activation.ReLU)]
[Dropout(0.3f)]
[Dense(3)]
public partial class DigitsWithDropoutIris;

/// <summary>Plain linear regression on 10 features.</summary>
[Network(Loss = Loss.MeanSquaredError)]
[Input(10)]
[Dense(1)]
public partial class LinearRegression10;

/// <summary>Batch normalization between dense layers (BatchNorm1d): 6 → 8 → BN → tanh-free → 3.</summary>
[Network(Loss = Loss.MeanSquaredError)]
[Input(6)]
[Dense(8)]
[BatchNorm(Momentum = 0.2f)]
[Dense(3, Activation.Tanh)]
public partial class NormalizedMlp;

/// <summary>A small CNN with odd sizes: conv 3x3 pad 1 (tanh), 2x2 max pool, conv 2x2 stride 2 (tanh), flatten, dense.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2, 9, 8)]
[Conv2D(3, 3, Activation.Tanh, PaddingSize = 1)]
[MaxPool2D(2)]
[Conv2D(4, 2, Activation.Tanh, Stride = 2)]
[Flatten]
[Dense(3)]
public partial class TinyCnn;

/// <summary>A 1-D convolution, average pooling over images after it is not possible, so: conv1d (same, dilation 2), global pool by flatten, dense.</summary>
[Network(Loss = Loss.MeanSquaredError)]
[Input(3, 11)]
[Conv1D(4, 3, Activation.Sigmoid, Padding = Padding.Same, Dilation = 2)]
[Flatten]
[Dense(2)]
public partial class TinyConv1D;

/// <summary>Indices → embedding (padding 0) → bidirectional LSTM, last states → dense: the text classifier's shape in small.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(5)]
[Embedding(7, 3, PaddingIndex = 0)]
[Lstm(4, Bidirectional = true)]
[Dense(2)]
public partial class TinyTextClassifier;

/// <summary>A stacked GRU over sequences, then a simple RNN's last state: the forecaster's shape in small.</summary>
[Network(Loss = Loss.MeanSquaredError)]
[Input(6, 2)]
[Gru(3, ReturnSequences = true)]
[SimpleRnn(4)]
[Dense(1)]
public partial class TinyForecaster;

/// <summary>Words (first 48 of an entry, padding 0, unknown 1) → embedding 32 → LSTM 32 → 5 categories.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(48)]
[Embedding(3000, 32, PaddingIndex = 0)]
[Lstm(32)]
[Dense(5)]
public partial class FortuneClassifier;

/// <summary>The previous 24 hourly temperatures → GRU 16 → the next hour's.</summary>
[Network(Loss = Loss.MeanSquaredError)]
[Input(24, 1)]
[Gru(16)]
[Dense(1)]
public partial class TemperatureForecaster;

/// <summary>PyTorch's <c>Sequential(Conv2d(1, 2, 3), BatchNorm2d(2))</c>, for loading a torch-written weight file.</summary>
[Network]
[Input(1, 5, 5)]
[Conv2D(2, 3, Name = "0")]
[BatchNorm(Name = "1")]
public partial class TorchConvBatchNorm;

/// <summary>PyTorch's <c>nn.RNN(3, 4, batch_first=True)</c> over 5 steps, every state returned.</summary>
[Network]
[Input(5, 3)]
[SimpleRnn(4, ReturnSequences = true, Name = "rnn")]
public partial class TorchRnn;

/// <summary>PyTorch's <c>nn.LSTM(3, 4, batch_first=True)</c> over 5 steps, every state returned.</summary>
[Network]
[Input(5, 3)]
[Lstm(4, ReturnSequences = true, Name = "lstm")]
public partial class TorchLstm;

/// <summary>PyTorch's <c>nn.GRU(3, 4, batch_first=True)</c> over 5 steps, every state returned.</summary>
[Network]
[Input(5, 3)]
[Gru(4, ReturnSequences = true, Name = "gru")]
public partial class TorchGru;

/// <summary>PyTorch's <c>nn.LSTM(3, 4, num_layers=2, batch_first=True)</c>: one module, two levels.</summary>
[Network]
[Input(5, 3)]
[Lstm(4, ReturnSequences = true, Name = "lstm")]
[Lstm(4, ReturnSequences = true, Name = "lstm", Level = 1)]
public partial class TorchStackedLstm;

/// <summary>A 5×5 convolution the runtime runs as Winograd F(2×2, 5×5) on AVX-512 (8 input channels, 16 output channels, 9×9 outputs).</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(8, 9, 9)]
[Conv2D(16, 5, Activation.ReLU, PaddingSize = 2)]
[Flatten]
[Dense(3)]
public partial class WinogradCnn;
