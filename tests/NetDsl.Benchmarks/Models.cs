using NetDsl;

namespace NetDsl.Benchmarks;

// The networks under benchmark, declared as users declare them; the generator builds them with this project.

/// <summary>The small Fashion-MNIST classifier: 784 pixels → 128 ReLU → 10 logits.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(128, Activation.ReLU)]
[Dense(10)]
public partial class Mlp784x128x10;

/// <summary>The Fashion-MNIST recipe of samples/FashionMnist: 784 → 512 ReLU → 256 ReLU → 10 logits.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(512, Activation.ReLU)]
[Dense(256, Activation.ReLU)]
[Dense(10)]
public partial class Mlp784x512x256x10;

/// <summary>A single linear layer 512 → 512, to measure the matrix kernels alone.</summary>
[Network]
[Input(512)]
[Dense(512)]
public partial class Dense512;
