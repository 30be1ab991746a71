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
    int ParameterCount,
    int StateCount)
{
    public int InputSize => Shapes.Size(InputShape);

    public LayerModel OutputLayer => Layers[Layers.Count - 1];

    public int OutputSize => OutputLayer.OutputSize;

    /// <summary>The first layer when it is an embedding whose padding index gives each sequence's length.</summary>
    public EmbeddingLayerModel? LengthSource => Layers[0] is EmbeddingLayerModel { PaddingIndex: >= 0 } embedding ? embedding : null;

    /// <summary>Whether some layer acts differently while training (dropout, batch norm).</summary>
    public bool HasTrainingMode
    {
        get
        {
            foreach (LayerModel layer in Layers)
            {
                if (layer is DropoutLayerModel or BatchNormLayerModel)
                    return true;
            }
            return false;
        }
    }

    /// <summary>The largest scratch any convolution needs is sized at run time from these.</summary>
    public System.Collections.Generic.IEnumerable<ConvolutionLayerModel> Convolutions
    {
        get
        {
            foreach (LayerModel layer in Layers)
            {
                if (layer is ConvolutionLayerModel convolution)
                    yield return convolution;
            }
        }
    }

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

    /// <summary>What must be unique among the layers for their tensor names to be: the name, unless a layer says more.</summary>
    public virtual string NameKey => Name;

    /// <summary>Values the layer keeps in the network's non-trainable state buffer (batch norm's running statistics).</summary>
    public virtual int StateCount => 0;

    /// <summary>Where the layer's state starts in the state buffer.</summary>
    public int StateOffset { get; init; }
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
internal sealed record DropoutLayerModel(int Index, string Name, int Input, EquatableArray<int> Shape, float Rate, int ParameterOffset)
    : LayerModel(Index, Name, Input, Shape, ParameterOffset)
{
    public int Size => OutputSize;

    public override int ParameterCount => 0;
}

/// <summary>
/// A 2-D convolution (a 1-D one is the case <c>InHeight = KernelHeight = 1</c>, marked by <see cref="OneDimensional"/>):
/// <c>y[B,O,OH,OW] = f(conv(x[B,C,H,W], W[O,C,KH,KW]) + b[O])</c>.
/// </summary>
internal sealed record ConvolutionLayerModel(
    int Index, string Name, int Input, bool OneDimensional,
    int InChannels, int InHeight, int InWidth, int OutChannels, int KernelHeight, int KernelWidth,
    int Stride, int PadTop, int PadLeft, int PadBottom, int PadRight, int Dilation,
    int OutHeight, int OutWidth,
    ActivationKind Activation, float NegativeSlope, InitializerKind Initializer, float L1, float L2, int ParameterOffset)
    : LayerModel(Index, Name, Input,
        new EquatableArray<int>(OneDimensional ? new[] { OutChannels, OutWidth } : new[] { OutChannels, OutHeight, OutWidth }), ParameterOffset)
{
    public int InputSize => InChannels * InHeight * InWidth;

    public int WeightCount => OutChannels * InChannels * KernelHeight * KernelWidth;

    public int WeightOffset => ParameterOffset;

    public int BiasOffset => ParameterOffset + WeightCount;

    public int FanIn => InChannels * KernelHeight * KernelWidth;

    public int FanOut => OutChannels * KernelHeight * KernelWidth;

    public bool HasPenalty => L1 != 0 || L2 != 0;

    public override int ParameterCount => WeightCount + OutChannels;

    /// <summary>
    /// Whether the runtime runs the forward pass as Winograd F(2×2, 5×5) on CPUs with AVX-512 (mirrors
    /// <c>Convolution.Winograd</c>: a 5x5 kernel, stride 1, dilation 1, 8 or more input channels, output channels a
    /// multiple of 16, at least 49 output positions).
    /// </summary>
    public bool Winograd => KernelHeight == 5 && KernelWidth == 5 && Stride == 1 && Dilation == 1 && InChannels >= 8 && OutChannels % 16 == 0
        && OutHeight * OutWidth >= 49;

    /// <summary>Whether the runtime runs the forward pass as a direct convolution (mirrors <c>Convolution.DirectForward</c>: 8 or more output channels).</summary>
    public bool DirectForward => OutChannels >= 8;

    /// <summary>
    /// Whether a direct forward pass puts output positions in vector lanes (mirrors <c>Convolution.DirectPositionLanes</c>:
    /// rows of 16 or more positions, unless the channels fill blocks of 32 and the rows do not fill vectors of 16).
    /// </summary>
    public bool DirectPositionLanes => OutWidth >= 16 && !(OutChannels % 32 == 0 && OutWidth % 16 != 0);

    /// <summary>
    /// Whether positions in lanes run over each output plane as one flat line (mirrors <c>Convolution.DirectFlatLanes</c>:
    /// stride 1, rows that do not fill whole vectors of 16, a plane of at least 16 positions).
    /// </summary>
    public bool DirectFlatLanes => Stride == 1 && OutWidth % 16 != 0 && OutHeight * OutWidth >= 16;

    /// <summary>
    /// Whether the runtime computes the input gradient as a direct convolution (mirrors <c>Convolution.DirectInputGradient</c>
    /// and <c>DirectInputGradientPossible</c>: stride 1, 16 or more input channels, no padding wider than the dilated kernel).
    /// </summary>
    public bool DirectInputGradient => Stride == 1 && InChannels >= 16
        && System.Math.Max(PadTop, PadBottom) <= (KernelHeight - 1) * Dilation && System.Math.Max(PadLeft, PadRight) <= (KernelWidth - 1) * Dilation;
}

internal enum PoolKind { Max, Average, GlobalAverage }

/// <summary>A pooling layer over <c>[C, H, W]</c>: a window (max or average) or the global average.</summary>
internal sealed record PoolingLayerModel(
    int Index, string Name, int Input, PoolKind Kind,
    int Channels, int InHeight, int InWidth, int Window, int Stride, int Padding, int OutHeight, int OutWidth, int ParameterOffset)
    : LayerModel(Index, Name, Input,
        new EquatableArray<int>(Kind == PoolKind.GlobalAverage ? new[] { Channels } : new[] { Channels, OutHeight, OutWidth }), ParameterOffset)
{
    public int InputSize => Channels * InHeight * InWidth;

    public override int ParameterCount => 0;
}

/// <summary>Flattens its input: no computation, the output is the input seen as a vector.</summary>
internal sealed record FlattenLayerModel(int Index, string Name, int Input, int Size, EquatableArray<int> InputShape, int ParameterOffset)
    : LayerModel(Index, Name, Input, new EquatableArray<int>(new[] { Size }), ParameterOffset)
{
    public override int ParameterCount => 0;
}

/// <summary>
/// Batch normalization over <c>[C]</c> or <c>[C, ...]</c>: parameters γ[C] then β[C]; state running mean[C], running
/// variance[C], then the count of batches seen.
/// </summary>
internal sealed record BatchNormLayerModel(int Index, string Name, int Input, EquatableArray<int> Shape, float Momentum, float Epsilon, int ParameterOffset)
    : LayerModel(Index, Name, Input, Shape, ParameterOffset)
{
    public int Channels => Shape[0];

    public int Spatial => Shapes.Size(Shape) / Shape[0];

    public int GammaOffset => ParameterOffset;

    public int BetaOffset => ParameterOffset + Channels;

    public int RunningMeanOffset => StateOffset;

    public int RunningVarianceOffset => StateOffset + Channels;

    public int BatchesTrackedOffset => StateOffset + 2 * Channels;

    public override int ParameterCount => 2 * Channels;

    public override int StateCount => 2 * Channels + 1;
}

internal enum CellKind { SimpleRnn = 0, Lstm = 1, Gru = 2 }

/// <summary>
/// A recurrent layer over <c>[T, I]</c> (one direction, or two when bidirectional): per direction the PyTorch tensors
/// <c>weight_ih [G·H, I]</c>, <c>weight_hh [G·H, H]</c>, <c>bias_ih [G·H]</c>, <c>bias_hh [G·H]</c>, in that order.
/// </summary>
internal sealed record RecurrentLayerModel(
    int Index, string Name, int Input, CellKind Cell, int Steps, int Inputs, int Hidden,
    bool ReturnSequences, bool Bidirectional, int Truncation, bool UsesLengths, int Level, int ParameterOffset)
    : LayerModel(Index, Name, Input,
        new EquatableArray<int>(ReturnSequences ? new[] { Steps, (Bidirectional ? 2 : 1) * Hidden } : new[] { (Bidirectional ? 2 : 1) * Hidden }), ParameterOffset)
{
    public int Gates => Cell switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 };

    /// <summary>Layers of one multi-layer PyTorch module share a name and differ by level.</summary>
    public override string NameKey => $"{Name} (level {Level})";

    public int Directions => Bidirectional ? 2 : 1;

    public int WeightIhCount => Gates * Hidden * Inputs;

    public int WeightHhCount => Gates * Hidden * Hidden;

    public int BiasCount => Gates * Hidden;

    public int DirectionCount => WeightIhCount + WeightHhCount + 2 * BiasCount;

    public int WeightIhOffset(int direction) => ParameterOffset + direction * DirectionCount;

    public int WeightHhOffset(int direction) => WeightIhOffset(direction) + WeightIhCount;

    public int BiasIhOffset(int direction) => WeightHhOffset(direction) + WeightHhCount;

    public int BiasHhOffset(int direction) => BiasIhOffset(direction) + BiasCount;

    public override int ParameterCount => Directions * DirectionCount;
}

/// <summary>An embedding table <c>[V, D]</c>: <c>[T]</c> indices → <c>[T, D]</c> vectors.</summary>
internal sealed record EmbeddingLayerModel(int Index, string Name, int Input, int Steps, int Vocabulary, int Dimension, int PaddingIndex, int ParameterOffset)
    : LayerModel(Index, Name, Input, new EquatableArray<int>(new[] { Steps, Dimension }), ParameterOffset)
{
    public override int ParameterCount => Vocabulary * Dimension;
}
