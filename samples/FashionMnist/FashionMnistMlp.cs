using NetDsl;

namespace FashionMnist;

/// <summary>
/// The classifier: 28×28 = 784 pixels → 512 ReLU → 256 ReLU → 10 class logits, trained with softmax
/// cross-entropy. NetDsl generates its forward, backward and training code at compile time.
/// </summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(512, Activation.ReLU)]
[Dense(256, Activation.ReLU)]
[Dense(10)]
public partial class FashionMnistMlp;
