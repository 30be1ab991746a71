using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using NetDsl.Serialization;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.PeerBenchmarks;

// The workloads of issues 5 (Fashion-MNIST CNN) and 6 (LSTM 32→128, 50 steps, Dense 128→10): the peers' versions,
// built from NetDsl's parameters by their PyTorch state_dict names.

/// <summary>NetDsl's parameters by name: the peer-neutral view of a network's weights.</summary>
internal sealed class NamedWeights
{
    public NamedWeights(ReadOnlySpan<float> parameters, ReadOnlySpan<ParameterTensor> tensors)
    {
        foreach (var t in tensors)
        {
            int count = t.Shape.Aggregate(1, (a, b) => a * b);
            Names.Add(t.Name);
            Shapes[t.Name] = t.Shape.Select(d => (long)d).ToArray();
            Values[t.Name] = parameters.Slice(t.Offset, count).ToArray();
        }
    }

    public readonly List<string> Names = [];
    public readonly Dictionary<string, long[]> Shapes = [];
    public readonly Dictionary<string, float[]> Values = [];

    /// <summary>Gives every bias (names containing "bias") a small random value, so the bias paths are compared too.</summary>
    public static void RandomizeBiases(Span<float> parameters, ReadOnlySpan<ParameterTensor> tensors, int seed)
    {
        var random = new Random(seed);
        foreach (var tensor in tensors)
            if (tensor.Name.Contains("bias", StringComparison.Ordinal))
                foreach (ref float b in parameters.Slice(tensor.Offset, tensor.Shape[0]))
                    b = 0.1f * (2 * random.NextSingle() - 1);
    }
}

/// <summary>
/// libtorch's global switches for mkldnn (oneDNN) and NNPACK, which TorchSharp does not expose: a call into the exported
/// C++ members of <c>at::Context</c> (what Python's <c>torch.backends.mkldnn.enabled = False</c> does). PEERS.md: with
/// mkldnn on, conv gradients are wrong on this machine; NNPACK cannot start here and warns on every conv call.
/// </summary>
internal static unsafe class TorchBackends
{
    private static nint s_context;
    private static delegate* unmanaged<nint, byte, void> s_setMkldnn, s_setNnpack;
    private static delegate* unmanaged<nint, byte> s_getMkldnn, s_getNnpack;

    /// <summary>Binds the symbols in the loaded <c>libtorch_cpu.so</c>; returns a description, or throws.</summary>
    public static string Bind()
    {
        string path = NativeSetup.LoadedFrom("libtorch_cpu.so") ?? throw new InvalidOperationException("libtorch_cpu.so is not loaded yet.");
        nint lib = NativeLibrary.Load(path);
        var globalContext = (delegate* unmanaged<nint>)NativeLibrary.GetExport(lib, "_ZN2at13globalContextEv");
        s_setMkldnn = (delegate* unmanaged<nint, byte, void>)NativeLibrary.GetExport(lib, "_ZN2at7Context20setUserEnabledMkldnnEb");
        s_setNnpack = (delegate* unmanaged<nint, byte, void>)NativeLibrary.GetExport(lib, "_ZN2at7Context20setUserEnabledNNPACKEb");
        s_getMkldnn = (delegate* unmanaged<nint, byte>)NativeLibrary.GetExport(lib, "_ZNK2at7Context17userEnabledMkldnnEv");
        s_getNnpack = (delegate* unmanaged<nint, byte>)NativeLibrary.GetExport(lib, "_ZNK2at7Context17userEnabledNNPACKEv");
        s_context = globalContext();
        return $"at::globalContext() bound in {path}";
    }

    public static bool Mkldnn
    {
        get => s_getMkldnn(s_context) != 0;
        set => s_setMkldnn(s_context, value ? (byte)1 : (byte)0);
    }

    public static bool Nnpack
    {
        get => s_getNnpack(s_context) != 0;
        set => s_setNnpack(s_context, value ? (byte)1 : (byte)0);
    }

    /// <summary>Turns mkldnn off until disposed (the MLP rows keep libtorch's default).</summary>
    public static IDisposable MkldnnOff()
    {
        bool before = Mkldnn;
        Mkldnn = false;
        if (Mkldnn)
            throw new InvalidOperationException("libtorch ignored setUserEnabledMkldnn(false).");
        return new Restore(() => Mkldnn = before);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}

/// <summary>The LSTM classifier as a TorchSharp user writes it: <c>nn.LSTM(batch_first)</c>, then <c>nn.Linear</c> on the last step.</summary>
internal sealed class LstmClassifier : nn.Module<Tensor, Tensor>
{
    private readonly LSTM _lstm;
    private readonly Linear _linear;

    public LstmClassifier(int input, int hidden, int classes) : base("LstmClassifier")
    {
        _lstm = nn.LSTM(input, hidden, batchFirst: true);
        _linear = nn.Linear(hidden, classes);
        register_module("0", _lstm);
        register_module("1", _linear);
    }

    public override Tensor forward(Tensor x)
    {
        var (output, _, _) = _lstm.forward(x);
        return _linear.forward(output[.., -1, ..]);
    }
}

/// <summary>A TorchSharp model holding NetDsl's weights (copied by state_dict name), with inference and an SGD trainer.</summary>
internal sealed class TorchModel : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly NamedWeights _weights;
    private optim.Optimizer? _sgd;

    public TorchModel(nn.Module<Tensor, Tensor> model, NamedWeights weights)
    {
        _model = model;
        _weights = weights;
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        if (parameters.Count != weights.Names.Count)
            throw new InvalidOperationException($"TorchSharp has {parameters.Count} tensors, NetDsl {weights.Names.Count}: {string.Join(", ", parameters.Keys)}");
        using var noGrad = no_grad();
        foreach (string name in weights.Names)
            parameters[name].copy_(tensor(weights.Values[name], weights.Shapes[name]));
    }

    /// <summary>conv 5x5 1→16 pad 2, ReLU, pool 2, conv 5x5 16→32 pad 2, ReLU, pool 2, flatten, 1568→128 ReLU, 128→10, named like NetDsl's layers.</summary>
    public static TorchModel Cnn(NamedWeights w) => new(nn.Sequential(
        ("0", nn.Conv2d(1, 16, 5, padding: 2)), ("0r", nn.ReLU()), ("1", nn.MaxPool2d(2)),
        ("2", nn.Conv2d(16, 32, 5, padding: 2)), ("2r", nn.ReLU()), ("3", nn.MaxPool2d(2)),
        ("4", nn.Flatten()), ("5", nn.Linear(1568, 128)), ("5r", nn.ReLU()), ("6", nn.Linear(128, 10))), w);

    public static TorchModel Lstm(NamedWeights w) => new(new LstmClassifier(32, 128, 10), w);

    public void Infer(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _model.forward(inputs);
    }

    public float[] InferToArray(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return _model.forward(inputs).data<float>().ToArray();
    }

    /// <summary>zero_grad, forward, cross-entropy, backward, <c>optim.SGD.step</c>.</summary>
    public float Step(Tensor inputs, Tensor labels, double learningRate)
    {
        _sgd ??= optim.SGD(_model.parameters(), learningRate);
        using var scope = NewDisposeScope();
        _sgd.zero_grad();
        var loss = nn.functional.cross_entropy(_model.forward(inputs), labels);
        loss.backward();
        _sgd.step();
        return loss.item<float>();
    }

    public void StepOnly(Tensor inputs, Tensor labels, double learningRate)
    {
        _sgd ??= optim.SGD(_model.parameters(), learningRate);
        using var scope = NewDisposeScope();
        _sgd.zero_grad();
        nn.functional.cross_entropy(_model.forward(inputs), labels).backward();
        _sgd.step();
    }

    /// <summary>Every parameter flattened in NetDsl's order.</summary>
    public float[] FlatParameters()
    {
        var parameters = _model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return _weights.Names.SelectMany(n => parameters[n].data<float>().ToArray()).ToArray();
    }

    public void Dispose()
    {
        _sgd?.Dispose();
        _model.Dispose();
    }
}

/// <summary>An ONNX model built in code, run by ONNX Runtime over preallocated, pinned <see cref="OrtValue"/>s (as <see cref="OnnxMlp"/>).</summary>
internal sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames = ["x"], _outputNames = ["y"];
    private readonly Dictionary<int, (OrtValue[] Inputs, OrtValue[] Outputs, float[] Output)> _bound = [];
    private readonly long[] _sampleShape;
    private readonly int _outputSize;

    public OnnxModel(ModelProto model, long[] sampleShape, int outputSize, int threads)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model.ToByteArray(), options);
        _sampleShape = sampleShape;
        _outputSize = outputSize;
    }

    public void Bind(float[] inputs)
    {
        int sample = (int)_sampleShape.Aggregate(1L, (a, b) => a * b), batch = inputs.Length / sample;
        var output = new float[batch * _outputSize];
        _bound[batch] = ([OrtValue.CreateTensorValueFromMemory(inputs, [batch, .. _sampleShape])],
                         [OrtValue.CreateTensorValueFromMemory(output, [batch, _outputSize])], output);
    }

    public float[] Run(int batch)
    {
        var (inputs, outputs, output) = _bound[batch];
        _session.Run(_runOptions, _inputNames, inputs, _outputNames, outputs);
        return output;
    }

    public void Dispose()
    {
        foreach (var (inputs, outputs, _) in _bound.Values)
        {
            inputs[0].Dispose();
            outputs[0].Dispose();
        }
        _runOptions.Dispose();
        _session.Dispose();
    }

    /// <summary>Conv(pads 2) + Relu + MaxPool(2), twice, Flatten, Gemm(transB) + Relu, Gemm(transB).</summary>
    public static ModelProto Cnn(NamedWeights w)
    {
        var g = new GraphProto { Name = "fashion_cnn" };
        g.Input.Add(Info("x", [-1, 1, 28, 28]));
        g.Output.Add(Info("y", [-1, 10]));
        foreach (string name in w.Names)
            g.Initializer.Add(Tensor(name, w.Values[name], w.Shapes[name]));
        string h = "x";
        foreach (int layer in new[] { 0, 2 })
        {
            var conv = Node("Conv", [h, $"{layer}.weight", $"{layer}.bias"], $"c{layer}");
            conv.Attribute.Add(Ints("kernel_shape", 5, 5));
            conv.Attribute.Add(Ints("pads", 2, 2, 2, 2));
            g.Node.Add(conv);
            g.Node.Add(Node("Relu", [$"c{layer}"], $"r{layer}"));
            var pool = Node("MaxPool", [$"r{layer}"], $"p{layer}");
            pool.Attribute.Add(Ints("kernel_shape", 2, 2));
            pool.Attribute.Add(Ints("strides", 2, 2));
            g.Node.Add(pool);
            h = $"p{layer}";
        }
        g.Node.Add(Node("Flatten", [h], "f"));
        g.Node.Add(Gemm("f", "5", "d5"));
        g.Node.Add(Node("Relu", ["d5"], "r5"));
        g.Node.Add(Gemm("r5", "6", "y"));
        return Model(g);
    }

    /// <summary>
    /// Transpose to [seq, batch, in], the ONNX <c>LSTM</c> op (gates reordered from PyTorch's i, f, g, o to ONNX's
    /// i, o, f, c; B = [Wb, Rb]), its last hidden state Y_h reshaped to [batch, 128], Gemm(transB).
    /// </summary>
    public static ModelProto Lstm(NamedWeights w)
    {
        const int H = 128;
        var g = new GraphProto { Name = "lstm_classifier" };
        g.Input.Add(Info("x", [-1, 50, 32]));
        g.Output.Add(Info("y", [-1, 10]));
        float[] Reorder(float[] pytorch)
        {
            int block = pytorch.Length / 4;
            return [.. pytorch.AsSpan(0, block), .. pytorch.AsSpan(3 * block, block), .. pytorch.AsSpan(block, block), .. pytorch.AsSpan(2 * block, block)];
        }
        g.Initializer.Add(Tensor("W", Reorder(w.Values["0.weight_ih_l0"]), [1, 4 * H, 32]));
        g.Initializer.Add(Tensor("R", Reorder(w.Values["0.weight_hh_l0"]), [1, 4 * H, H]));
        g.Initializer.Add(Tensor("B", [.. Reorder(w.Values["0.bias_ih_l0"]), .. Reorder(w.Values["0.bias_hh_l0"])], [1, 8 * H]));
        g.Initializer.Add(Tensor("1.weight", w.Values["1.weight"], w.Shapes["1.weight"]));
        g.Initializer.Add(Tensor("1.bias", w.Values["1.bias"], w.Shapes["1.bias"]));
        var shape = new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64 };
        shape.Dims.Add(2);
        shape.Int64Data.AddRange([-1, H]);
        g.Initializer.Add(shape);
        var transpose = Node("Transpose", ["x"], "xt");
        transpose.Attribute.Add(Ints("perm", 1, 0, 2));
        g.Node.Add(transpose);
        var lstm = new NodeProto { Name = "lstm", OpType = "LSTM", Input = { "xt", "W", "R", "B" }, Output = { "", "yh" } };
        lstm.Attribute.Add(new AttributeProto { Name = "hidden_size", Type = AttributeProto.Types.AttributeType.Int, I = H });
        g.Node.Add(lstm);
        g.Node.Add(Node("Reshape", ["yh", "shape"], "h"));
        g.Node.Add(Gemm("h", "1", "y"));
        return Model(g);
    }

    private static ModelProto Model(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "NetDsl.PeerBenchmarks", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { Name = output + "_" + op, OpType = op, Output = { output } };
        node.Input.AddRange(inputs);
        return node;
    }

    private static NodeProto Gemm(string input, string layer, string output)
    {
        var gemm = Node("Gemm", [input, $"{layer}.weight", $"{layer}.bias"], output);
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        return gemm;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static ValueInfoProto Info(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static TensorProto Tensor(string name, float[] values, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }
}
