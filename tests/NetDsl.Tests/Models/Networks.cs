using NetDsl;

namespace NetDsl.Tests.Models;

/// <summary>The digits classifier of the README: 64 pixels → 32 ReLU → 10 logits.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(64)]
[Dense(32, Activation.ReLU)]
[Dense(10)]
public partial class DigitsClassifier;
