namespace NetDsl;

/// <summary>An element-wise (or, for softmax, row-wise) activation function.</summary>
public enum Activation
{
    /// <summary><c>f(z) = z</c>.</summary>
    Identity = 0,
    /// <summary><c>f(z) = max(z, 0)</c>.</summary>
    ReLU = 1,
    /// <summary><c>f(z) = z</c> for <c>z ≥ 0</c>, else <c>slope · z</c>.</summary>
    LeakyReLU = 2,
    /// <summary><c>f(z) = 1 / (1 + e^-z)</c>.</summary>
    Sigmoid = 3,
    /// <summary><c>f(z) = tanh(z)</c>.</summary>
    Tanh = 4,
    /// <summary><c>f(z)_i = e^z_i / Σ_j e^z_j</c> over each sample's outputs; only allowed on the last layer.</summary>
    Softmax = 5,
    /// <summary>Heaviside step <c>f(z) = z ≥ 0 ? 1 : 0</c> of the classic perceptron; trained only with <see cref="Loss.Perceptron"/>.</summary>
    Step = 6,
}

/// <summary>The loss a network's training step minimizes, averaged over the batch.</summary>
public enum Loss
{
    /// <summary>No loss: the network is generated for inference (and manual backward passes) only.</summary>
    None = 0,
    /// <summary><c>mean((y - t)²)</c> over all outputs of all samples (PyTorch's <c>MSELoss</c>).</summary>
    MeanSquaredError = 1,
    /// <summary>
    /// Binary cross-entropy (log loss) on logits: <c>mean(max(z,0) - z·t + log(1 + e^-|z|))</c> over all outputs
    /// (PyTorch's <c>BCEWithLogitsLoss</c>). It applies its own sigmoid: the last layer must be linear.
    /// </summary>
    BinaryCrossEntropy = 2,
    /// <summary>
    /// Softmax cross-entropy on logits: <c>mean over samples of -Σ t_i · log softmax(z)_i</c> (PyTorch's <c>CrossEntropyLoss</c>
    /// with probability targets). It applies its own softmax: the last layer must be linear.
    /// </summary>
    SoftmaxCrossEntropy = 3,
    /// <summary>
    /// The perceptron learning rule: outputs pass through a step, the reported loss is the fraction of wrong outputs,
    /// and the update is <c>w += lr · (t - y) · x</c>. The last layer must use <see cref="Activation.Step"/>.
    /// </summary>
    Perceptron = 4,
    /// <summary><c>mean(|y - t|)</c> over all outputs (PyTorch's <c>L1Loss</c>).</summary>
    MeanAbsoluteError = 5,
    /// <summary>
    /// Huber loss over all outputs: <c>½d²</c> where <c>|d| ≤ δ</c>, <c>δ(|d| - ½δ)</c> elsewhere, <c>d = y - t</c>
    /// (PyTorch's <c>HuberLoss</c>; δ is <see cref="NetworkAttribute.HuberDelta"/>).
    /// </summary>
    Huber = 6,
    /// <summary>Binary hinge loss on raw scores with targets 0/1 (as ±1): <c>mean(max(0, 1 - s·y))</c>.</summary>
    Hinge = 7,
    /// <summary>
    /// Multi-class hinge loss on raw scores (PyTorch's <c>MultiMarginLoss</c>): per sample
    /// <c>Σ_{j≠y} max(0, margin - z_y + z_j) / C</c>; the margin is <see cref="NetworkAttribute.HingeMargin"/>.
    /// </summary>
    MultiClassHinge = 8,
    /// <summary>Poisson negative log-likelihood on log-rates <c>z</c> (PyTorch's <c>PoissonNLLLoss</c>): <c>mean(e^z - t·z)</c>.</summary>
    Poisson = 9,
    /// <summary>
    /// Kullback–Leibler divergence <c>Σ t·(log t - log softmax(z))</c> per sample from target distributions to the
    /// softmax of the logits, averaged over samples (PyTorch's <c>KLDivLoss</c>, <c>batchmean</c>). The last layer must be linear.
    /// </summary>
    KullbackLeibler = 10,
}

/// <summary>How a layer's weights are initialized. Biases start at zero.</summary>
public enum Initializer
{
    /// <summary>He (Kaiming) uniform for ReLU and leaky ReLU, zeros for step, Glorot (Xavier) uniform otherwise.</summary>
    Default = 0,
    /// <summary>All weights zero (the classic perceptron's start).</summary>
    Zeros = 1,
    /// <summary>Glorot/Xavier uniform: <c>U(-a, a)</c>, <c>a = √(6 / (fan_in + fan_out))</c>.</summary>
    XavierUniform = 2,
    /// <summary>Glorot/Xavier normal: <c>N(0, 2 / (fan_in + fan_out))</c>.</summary>
    XavierNormal = 3,
    /// <summary>He/Kaiming uniform: <c>U(-a, a)</c>, <c>a = √(6 / fan_in)</c>.</summary>
    HeUniform = 4,
    /// <summary>He/Kaiming normal: <c>N(0, 2 / fan_in)</c>.</summary>
    HeNormal = 5,
    /// <summary>PyTorch's <c>nn.Linear</c> default: <c>U(-1/√fan_in, 1/√fan_in)</c>.</summary>
    LeCunUniform = 6,
    /// <summary>Uniform <c>U(-s, s)</c> with the layer's <c>InitializerScale</c> <c>s</c> (Keras' <c>RandomUniform</c>).</summary>
    Uniform = 7,
    /// <summary>Normal <c>N(0, s²)</c> with the layer's <c>InitializerScale</c> <c>s</c> (Keras' <c>RandomNormal</c>).</summary>
    Normal = 8,
    /// <summary>Every value equal to the scale: for weights the layer's <c>InitializerScale</c>, for biases its <c>BiasValue</c>.</summary>
    Constant = 9,
}
