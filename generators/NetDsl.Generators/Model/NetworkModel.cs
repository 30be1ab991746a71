namespace NetDsl.Generators.Model;

// The validate stage's output and the emit stage's input: a checked network as a graph of typed layers with
// static shapes and resolved parameter offsets. No locations, so moving a declaration does not re-emit.

// Mirrors of the runtime's public enums (NetDsl.Activation, NetDsl.Loss, NetDsl.Initializer): the generator
// cannot reference the runtime, so the names and values are kept equal here (a test checks they agree).

internal enum ActivationKind { Identity = 0, ReLU = 1, LeakyReLU = 2, Sigmoid = 3, Tanh = 4, Softmax = 5, Step = 6 }

internal enum LossKind { None = 0, MeanSquaredError = 1, BinaryCrossEntropy = 2, SoftmaxCrossEntropy = 3, Perceptron = 4, MeanAbsoluteError = 5, Huber = 6, Hinge = 7, MultiClassHinge = 8, Poisson = 9, KullbackLeibler = 10 }

internal enum InitializerKind { Default = 0, Zeros = 1, XavierUniform = 2, XavierNormal = 3, HeUniform = 4, HeNormal = 5, LeCunUniform = 6, Uniform = 7, Normal = 8, Constant = 9 }

/// <summary>A checked network ready to emit.</summary>
/// <param name="InputShape">The shape of one input sample.</param>
/// <param name="Layers">The computing layers in evaluation order; each reads the output of <see cref="LayerModel.Input"/>.</param>
internal sealed record NetworkModel(
    string? Namespace,
    string ClassName,
    string FullName,
    LossKind Loss,
    LossOptions LossOptions,
    EquatableArray<int> InputShape,
    EquatableArray<LayerModel> Layers,
    int ParameterCount)
{
    public int InputSize => Shapes.Size(InputShape);

    public LayerModel OutputLayer => Layers[Layers.Count - 1];

    public int OutputSize => OutputLayer.OutputSize;

    public bool HasDropout
    {
        get
        {
            foreach (LayerModel layer in Layers)
            {
                if (layer is DropoutLayerModel)
                    return true;
            }
            return false;
        }
    }

    /// <summary>The size of one sample of the tensor layer <paramref name="index"/> reads (-1 is the network input).</summary>
    public int SizeOf(int index) => index < 0 ? InputSize : Layers[index].OutputSize;
}

/// <summary>The options of the loss: label smoothing (softmax cross-entropy), δ (Huber) and the margin (multi-class hinge).</summary>
internal sealed record LossOptions(float LabelSmoothing, float HuberDelta, float HingeMargin);

/// <summary>A layer of a checked network.</summary>
/// <param name="Index">The layer's position among the computing layers, from 0.</param>
/// <param name="Name">The prefix of its tensors in weight files (<c>{Name}.weight</c>).</param>
/// <param name="Input">The layer whose output it reads; -1 for the network input.</param>
/// <param name="OutputShape">The shape of one sample of its output.</param>
/// <param name="ParameterOffset">Where its parameters start in the flat parameter buffer.</param>
internal abstract record LayerModel(int Index, string Name, int Input, EquatableArray<int> OutputShape, int ParameterOffset)
{
    public int OutputSize => Shapes.Size(OutputShape);

    public abstract int ParameterCount { get; }
}

/// <summary>A fully connected layer: <c>y[B,Units] = f(x[B,Inputs] · W[Units,Inputs]ᵀ + b[Units])</c>.</summary>
internal sealed record DenseLayerModel(
    int Index,
    string Name,
    int Input,
    int Inputs,
    int Units,
    ActivationKind Activation,
    float NegativeSlope,
    InitializerKind Initializer,
    float InitializerScale,
    InitializerKind BiasInitializer,
    float BiasValue,
    float L1,
    float L2,
    int ParameterOffset)
    : LayerModel(Index, Name, Input, new EquatableArray<int>(new[] { Units }), ParameterOffset)
{
    public bool HasPenalty => L1 != 0 || L2 != 0;

    public int WeightCount => Units * Inputs;

    public int WeightOffset => ParameterOffset;

    public int BiasOffset => ParameterOffset + WeightCount;

    public override int ParameterCount => WeightCount + Units;
}

internal static class Shapes
{
    public static int Size(EquatableArray<int> shape)
    {
        int size = 1;
        foreach (int d in shape)
            size *= d;
        return size;
    }

    public static string Format(EquatableArray<int> shape) => "[" + string.Join(", ", shape) + "]";
}

/// <summary>Inverted dropout on a flat input of <paramref name="Size"/> values: training only, identity at inference.</summary>
internal sealed record DropoutLayerModel(int Index, string Name, int Input, int Size, float Rate, int ParameterOffset)
    : LayerModel(Index, Name, Input, new EquatableArray<int>(new[] { Size }), ParameterOffset)
{
    public override int ParameterCount => 0;
}
