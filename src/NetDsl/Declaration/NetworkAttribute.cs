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
    /// The prefix of this layer's tensors in weight files (<c>{Name}.weight</c>, <c>{Name}.bias</c>).
    /// Defaults to the layer's position among the layer attributes (<c>"0"</c>, <c>"1"</c>, ...);
    /// set it to match a PyTorch module name such as <c>"fc1"</c> or <c>"2"</c>.
    /// </summary>
    public string? Name { get; set; }
}
