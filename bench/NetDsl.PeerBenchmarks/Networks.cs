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
