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

/// <summary>Declares the shape of one input sample. It must be the first layer attribute.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares a flat input of <paramref name="size"/> features.</summary>
    /// <param name="size">The number of features of one sample; must be positive.</param>
    public InputAttribute(int size) => Size = size;

    /// <summary>The number of features of one sample.</summary>
    public int Size { get; }
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
