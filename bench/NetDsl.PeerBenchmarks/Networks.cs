using NetDsl;

namespace NetDsl.PeerBenchmarks;

// The three workloads of issue 3, declared the way users declare networks. The peers get copies of these weights.

/// <summary>MLP-S: 784 → 128 ReLU → 10 logits.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(128, Activation.ReLU)]
[Dense(10)]
public partial class MlpS;

/// <summary>MLP-M: 784 → 512 ReLU → 256 ReLU → 10 logits.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(512, Activation.ReLU)]
[Dense(256, Activation.ReLU)]
[Dense(10)]
public partial class MlpM;

/// <summary>One fully connected layer 512 → 512 without activation: forward, and backward through <c>Backward</c>.</summary>
[Network(Loss = Loss.None)]
[Input(512)]
[Dense(512)]
public partial class Dense512;

/// <summary>The Fashion-MNIST CNN of issue 5: conv 5x5 1→16 pad 2 ReLU, max pool 2, conv 5x5 16→32 pad 2 ReLU, max pool 2, 1568 → 128 ReLU → 10.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 28, 28)]
[Conv2D(16, 5, Activation.ReLU, PaddingSize = 2)]
[MaxPool2D(2)]
[Conv2D(32, 5, Activation.ReLU, PaddingSize = 2)]
[MaxPool2D(2)]
[Flatten]
[Dense(128, Activation.ReLU)]
[Dense(10)]
public partial class FashionCnn;

/// <summary>The sequence workload of issue 6: LSTM input 32, hidden 128, 50 steps, then 128 → 10 on the last state.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(50, 32)]
[Lstm(128)]
[Dense(10)]
public partial class SeqLstm;
