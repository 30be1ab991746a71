using System;

namespace NetDsl;

/// <summary>
/// Marks a <c>partial</c> class as a neural network whose code NetDsl generates at compile time.
/// The layers are the <see cref="InputAttribute"/> and layer attributes (such as <see cref="DenseAttribute"/>)
/// on the same class, in the order they are written.
/// </summary>
/// <example>
/// <code>
/// [Network(Loss = Loss.SoftmaxCrossEntropy)]
/// [Input(64)]
/// [Dense(32, Activation.ReLU)]
/// [Dense(10)]
/// public partial class DigitsClassifier;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>
    /// The loss the generated <c>TrainStep</c> minimizes. With <see cref="NetDsl.Loss.None"/> (the default)
    /// the network is generated for inference and manual backward passes only.
    /// </summary>
    public Loss Loss { get; set; }

    /// <summary>
    /// For <see cref="Loss.SoftmaxCrossEntropy"/>: mixes the targets with the uniform distribution,
    /// <c>t' = (1 - ε)·t + ε/C</c> (PyTorch's <c>label_smoothing</c>). At least 0 and less than 1; default 0.
    /// </summary>
    public float LabelSmoothing { get; set; }

    /// <summary>For <see cref="Loss.Huber"/>: where the loss turns from quadratic to linear. Positive; default 1.</summary>
    public float HuberDelta { get; set; } = 1f;

    /// <summary>For <see cref="Loss.MultiClassHinge"/>: the margin the right class's score must win by. Positive; default 1.</summary>
    public float HingeMargin { get; set; } = 1f;
}

/// <summary>
/// Declares the shape of one input sample; it must be the first layer attribute. One number is a flat vector of
/// features; two are <c>[channels, length]</c> for <see cref="Conv1DAttribute"/> or <c>[steps, features]</c> for
/// recurrent layers; three are an image <c>[channels, height, width]</c> (NCHW, as PyTorch).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares the input shape.</summary>
    /// <param name="shape">The sizes of one sample, each positive: <c>(features)</c>, <c>(channels, length)</c> or <c>(channels, height, width)</c>.</param>
    public InputAttribute(params int[] shape) => Shape = shape;

    /// <summary>The sizes of one sample.</summary>
    public int[] Shape { get; }
}

/// <summary>
/// A fully connected layer: <c>y = activation(x · Wᵀ + b)</c> with <c>W</c> of shape <c>[units, inputs]</c>
/// (PyTorch's <c>nn.Linear</c> layout) and <c>b</c> of shape <c>[units]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Declares a fully connected layer.</summary>
    /// <param name="units">The number of outputs; must be positive.</param>
    /// <param name="activation">The activation applied to the outputs.</param>
    public DenseAttribute(int units, Activation activation = Activation.Identity)
    {
        Units = units;
        Activation = activation;
    }

    /// <summary>The number of outputs.</summary>
    public int Units { get; }

    /// <summary>The activation applied to the outputs.</summary>
    public Activation Activation { get; }

    /// <summary>How the weights are initialized; <see cref="Initializer.Default"/> picks one that suits the activation.</summary>
    public Initializer Initializer { get; set; }

    /// <summary>The slope for negative inputs of <see cref="Activation.LeakyReLU"/> (PyTorch's <c>negative_slope</c>).</summary>
    public float NegativeSlope { get; set; } = 0.01f;

    /// <summary>
    /// The scale of <see cref="Initializer.Uniform"/> (bound), <see cref="Initializer.Normal"/> (standard deviation)
    /// and <see cref="Initializer.Constant"/> (value) weights. Defaults to 0.05, as Keras' random initializers.
    /// </summary>
    public float InitializerScale { get; set; } = 0.05f;

    /// <summary>How the bias is initialized: <see cref="Initializer.Zeros"/> (the default), <see cref="Initializer.Constant"/> with <see cref="BiasValue"/>, or any other initializer.</summary>
    public Initializer BiasInitializer { get; set; } = Initializer.Zeros;

    /// <summary>The value of every bias when <see cref="BiasInitializer"/> is <see cref="Initializer.Constant"/>.</summary>
    public float BiasValue { get; set; }

    /// <summary>
    /// L1 penalty on the weights (not the bias): the training loss gains <c>L1 · Σ|W|</c>. Set both <see cref="L1"/>
    /// and <see cref="L2"/> for the elastic net.
    /// </summary>
    public float L1 { get; set; }

    /// <summary>L2 penalty on the weights (not the bias): the training loss gains <c>L2 · ΣW²</c> (Keras' <c>l2</c>).</summary>
    public float L2 { get; set; }

    /// <summary>
    /// The prefix of this layer's tensors in weight files (<c>{Name}.weight</c>, <c>{Name}.bias</c>).
    /// Defaults to the layer's position among the layer attributes (<c>"0"</c>, <c>"1"</c>, ...);
    /// set it to match a PyTorch module name such as <c>"fc1"</c> or <c>"2"</c>.
    /// </summary>
    public string? Name { get; set; }
    /// <summary>Optional check: the number of inputs this layer expects. When set, a different inferred input size is a compile error.</summary>
    public int InputSize { get; set; }
}

/// <summary>
/// Inverted dropout: while training, each value of the previous layer's output is zeroed with probability
/// <see cref="Rate"/> and the others scaled by <c>1 / (1 - rate)</c>; at inference it passes values through unchanged.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : Attribute
{
    /// <summary>Declares a dropout layer.</summary>
    /// <param name="rate">The probability of zeroing each value while training, at least 0 and less than 1.</param>
    public DropoutAttribute(float rate) => Rate = rate;

    /// <summary>The probability of zeroing each value while training.</summary>
    public float Rate { get; }
}

/// <summary>How a convolution or pooling window treats the border.</summary>
public enum Padding
{
    /// <summary>No padding: windows lie wholly inside the input.</summary>
    Valid = 0,
    /// <summary>
    /// Zero padding so that, with stride 1, the output has the input's size (PyTorch's <c>padding="same"</c>: any odd
    /// remainder goes to the bottom and right).
    /// </summary>
    Same = 1,
}

/// <summary>
/// A 2-D convolution over <c>[channels, height, width]</c> inputs, PyTorch's <c>nn.Conv2d</c>:
/// <c>y[o] = f(b[o] + Σ_c W[o,c] ⋆ x[c])</c> with weight <c>[filters, channels, kh, kw]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute : Attribute
{
    /// <summary>Declares a 2-D convolution with a square kernel.</summary>
    /// <param name="filters">The output channels.</param>
    /// <param name="kernelSize">The kernel's height and width.</param>
    /// <param name="activation">The activation applied to the outputs.</param>
    public Conv2DAttribute(int filters, int kernelSize, Activation activation = Activation.Identity)
    {
        Filters = filters;
        KernelSize = kernelSize;
        Activation = activation;
    }

    /// <summary>The output channels.</summary>
    public int Filters { get; }

    /// <summary>The kernel's height and width (unless <see cref="KernelHeight"/> or <see cref="KernelWidth"/> is set).</summary>
    public int KernelSize { get; }

    /// <summary>The activation applied to the outputs.</summary>
    public Activation Activation { get; }

    /// <summary>The kernel's height, when it differs from its width.</summary>
    public int KernelHeight { get; set; }

    /// <summary>The kernel's width, when it differs from its height.</summary>
    public int KernelWidth { get; set; }

    /// <summary>The step between windows, in both directions. Default 1.</summary>
    public int Stride { get; set; } = 1;

    /// <summary><see cref="NetDsl.Padding.Valid"/> (default) or <see cref="NetDsl.Padding.Same"/>; see <see cref="PaddingSize"/> for an explicit amount.</summary>
    public Padding Padding { get; set; }

    /// <summary>Explicit zero padding on every side (PyTorch's <c>padding=n</c>); overrides <see cref="Padding"/>.</summary>
    public int PaddingSize { get; set; }

    /// <summary>The spacing between kernel taps. Default 1.</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>How the weights are initialized; <see cref="Initializer.Default"/> picks one that suits the activation.</summary>
    public Initializer Initializer { get; set; }

    /// <summary>The slope for negative inputs of <see cref="Activation.LeakyReLU"/>.</summary>
    public float NegativeSlope { get; set; } = 0.01f;

    /// <summary>L1 penalty on the weights.</summary>
    public float L1 { get; set; }

    /// <summary>L2 penalty on the weights.</summary>
    public float L2 { get; set; }

    /// <summary>The prefix of this layer's tensors in weight files; defaults to the layer's position.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// A 1-D convolution over <c>[channels, length]</c> inputs, PyTorch's <c>nn.Conv1d</c>, with weight
/// <c>[filters, channels, kernel]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv1DAttribute : Attribute
{
    /// <summary>Declares a 1-D convolution.</summary>
    /// <param name="filters">The output channels.</param>
    /// <param name="kernelSize">The kernel's length.</param>
    /// <param name="activation">The activation applied to the outputs.</param>
    public Conv1DAttribute(int filters, int kernelSize, Activation activation = Activation.Identity)
    {
        Filters = filters;
        KernelSize = kernelSize;
        Activation = activation;
    }

    /// <summary>The output channels.</summary>
    public int Filters { get; }

    /// <summary>The kernel's length.</summary>
    public int KernelSize { get; }

    /// <summary>The activation applied to the outputs.</summary>
    public Activation Activation { get; }

    /// <summary>The step between windows. Default 1.</summary>
    public int Stride { get; set; } = 1;

    /// <summary><see cref="NetDsl.Padding.Valid"/> (default) or <see cref="NetDsl.Padding.Same"/>.</summary>
    public Padding Padding { get; set; }

    /// <summary>Explicit zero padding on both ends; overrides <see cref="Padding"/>.</summary>
    public int PaddingSize { get; set; }

    /// <summary>The spacing between kernel taps. Default 1.</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>How the weights are initialized.</summary>
    public Initializer Initializer { get; set; }

    /// <summary>The slope for negative inputs of <see cref="Activation.LeakyReLU"/>.</summary>
    public float NegativeSlope { get; set; } = 0.01f;

    /// <summary>L1 penalty on the weights.</summary>
    public float L1 { get; set; }

    /// <summary>L2 penalty on the weights.</summary>
    public float L2 { get; set; }

    /// <summary>The prefix of this layer's tensors in weight files; defaults to the layer's position.</summary>
    public string? Name { get; set; }
}

/// <summary>Max pooling over <c>[channels, height, width]</c> inputs (PyTorch's <c>nn.MaxPool2d</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2DAttribute : Attribute
{
    /// <summary>Declares max pooling with a square window.</summary>
    /// <param name="poolSize">The window's height and width.</param>
    public MaxPool2DAttribute(int poolSize) => PoolSize = poolSize;

    /// <summary>The window's height and width.</summary>
    public int PoolSize { get; }

    /// <summary>The step between windows; defaults to the pool size.</summary>
    public int Stride { get; set; }

    /// <summary>Implicit padding on every side (never chosen as a maximum). Default 0.</summary>
    public int PaddingSize { get; set; }
}

/// <summary>Average pooling over <c>[channels, height, width]</c> inputs (PyTorch's <c>nn.AvgPool2d</c>, padding counted as zeros).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool2DAttribute : Attribute
{
    /// <summary>Declares average pooling with a square window.</summary>
    /// <param name="poolSize">The window's height and width.</param>
    public AvgPool2DAttribute(int poolSize) => PoolSize = poolSize;

    /// <summary>The window's height and width.</summary>
    public int PoolSize { get; }

    /// <summary>The step between windows; defaults to the pool size.</summary>
    public int Stride { get; set; }

    /// <summary>Zero padding on every side. Default 0.</summary>
    public int PaddingSize { get; set; }
}

/// <summary>The mean of each channel over all positions: <c>[channels, height, width] → [channels]</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalAveragePool2DAttribute : Attribute;

/// <summary>Reshapes any input into a flat vector (PyTorch's <c>nn.Flatten</c>); needed before a <see cref="DenseAttribute"/> after images.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : Attribute;

/// <summary>
/// Batch normalization (PyTorch's <c>nn.BatchNorm1d</c> on <c>[features]</c>, <c>nn.BatchNorm2d</c> on
/// <c>[channels, height, width]</c>): normalizes each channel with the batch's statistics while training and with
/// running averages at inference, then scales by γ (<c>weight</c>) and shifts by β (<c>bias</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <summary>The weight of the batch in the running averages: <c>running = (1 − m)·running + m·batch</c>. Default 0.1.</summary>
    public float Momentum { get; set; } = 0.1f;

    /// <summary>Added to the variance before the square root. Default 1e-5.</summary>
    public float Epsilon { get; set; } = 1e-5f;

    /// <summary>The prefix of this layer's tensors in weight files; defaults to the layer's position.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// An embedding table, PyTorch's <c>nn.Embedding</c>: maps each of the <c>T</c> input values (whole numbers, indices
/// into a vocabulary) to a learned vector, <c>[T] → [T, dimension]</c>. It must be the first layer.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class EmbeddingAttribute : Attribute
{
    /// <summary>Declares an embedding table.</summary>
    /// <param name="vocabulary">The number of distinct indices.</param>
    /// <param name="dimension">The length of each vector.</param>
    public EmbeddingAttribute(int vocabulary, int dimension)
    {
        Vocabulary = vocabulary;
        Dimension = dimension;
    }

    /// <summary>The number of distinct indices.</summary>
    public int Vocabulary { get; }

    /// <summary>The length of each vector.</summary>
    public int Dimension { get; }

    /// <summary>
    /// The index that pads short sequences (PyTorch's <c>padding_idx</c>): its vector stays zero, and trailing padding
    /// sets each sequence's length for the recurrent layers after it. -1 (default): no padding.
    /// </summary>
    public int PaddingIndex { get; set; } = -1;

    /// <summary>The prefix of this layer's tensors in weight files; defaults to the layer's position.</summary>
    public string? Name { get; set; }
}

/// <summary>The options of the recurrent layers (<see cref="SimpleRnnAttribute"/>, <see cref="LstmAttribute"/>, <see cref="GruAttribute"/>).</summary>
public abstract class RecurrentAttribute : Attribute
{
    /// <summary>Sets the hidden size.</summary>
    protected RecurrentAttribute(int hiddenSize) => HiddenSize = hiddenSize;

    /// <summary>The size of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>
    /// True: the output is every step's state <c>[T, H]</c> (to stack another recurrent layer); false (default): the
    /// last state <c>[H]</c> of each sequence.
    /// </summary>
    public bool ReturnSequences { get; set; }

    /// <summary>Also runs the sequence backwards and concatenates both directions' states (<c>2H</c> per step).</summary>
    public bool Bidirectional { get; set; }

    /// <summary>
    /// Truncated backpropagation through time: the gradient flows back through the recurrent state at most this many
    /// steps. 0 (default): through the whole sequence.
    /// </summary>
    public int Truncation { get; set; }

    /// <summary>The prefix of this layer's tensors in weight files; defaults to the layer's position.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// The layer's index inside a multi-layer PyTorch module, the <c>k</c> of <c>weight_ih_l{k}</c>: declare
    /// <c>nn.LSTM(..., num_layers=2)</c> as two attributes with the same <see cref="Name"/> and levels 0 and 1. Default 0.
    /// </summary>
    public int Level { get; set; }
}

/// <summary>An Elman recurrent layer, PyTorch's <c>nn.RNN</c>: <c>h_t = tanh(W_ih x_t + b_ih + W_hh h_(t−1) + b_hh)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SimpleRnnAttribute(int hiddenSize) : RecurrentAttribute(hiddenSize);

/// <summary>A long short-term memory layer, PyTorch's <c>nn.LSTM</c> (input, forget, cell and output gates).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LstmAttribute(int hiddenSize) : RecurrentAttribute(hiddenSize);

/// <summary>A gated recurrent unit layer, PyTorch's <c>nn.GRU</c> (reset and update gates).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GruAttribute(int hiddenSize) : RecurrentAttribute(hiddenSize);
