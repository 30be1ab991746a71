using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace NetDsl.PeerBenchmarks;

/// <summary>
/// A <see cref="DenseStack"/> as an ONNX graph built in code (<c>Gemm</c> with <c>transB = 1</c>, so the weights stay in
/// PyTorch's <c>[out, in]</c> layout, then <c>Relu</c>), with NetDsl's weights as initializers, run by ONNX Runtime on its
/// fastest call path: preallocated <see cref="OrtValue"/>s over pinned arrays and
/// <c>Run(RunOptions, names, values, names, values)</c>.
/// </summary>
internal sealed class OnnxMlp : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames = ["x"], _outputNames = ["y"];
    private readonly Dictionary<int, (OrtValue[] Inputs, OrtValue[] Outputs, float[] Output)> _bound = [];

    public OnnxMlp(DenseStack stack, int threads)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(BuildModel(stack).ToByteArray(), options);
    }

    /// <summary>Binds <paramref name="inputs"/> (pinned, not copied) and a preallocated output for that batch size.</summary>
    public void Bind(float[] inputs, int inputSize, int outputSize)
    {
        int batch = inputs.Length / inputSize;
        var output = new float[batch * outputSize];
        _bound[batch] = ([OrtValue.CreateTensorValueFromMemory(inputs, [batch, inputSize])],
                         [OrtValue.CreateTensorValueFromMemory(output, [batch, outputSize])], output);
    }

    /// <summary>Runs the batch bound for <paramref name="batch"/>; returns the (reused) output array.</summary>
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

    public static ModelProto BuildModel(DenseStack stack)
    {
        var graph = new GraphProto { Name = "dense_stack" };
        graph.Input.Add(FloatInfo("x", stack.InputSize));
        graph.Output.Add(FloatInfo("y", stack.OutputSize));
        string h = "x";
        for (int l = 0; l < stack.Layers; l++)
        {
            int n = stack.Sizes[l], m = stack.Sizes[l + 1];
            graph.Initializer.Add(FloatTensor($"W{l}", stack.Weights[l], m, n));
            graph.Initializer.Add(FloatTensor($"b{l}", stack.Biases[l], m));
            bool relu = stack.ReluBetween && l + 1 < stack.Layers;
            string z = l + 1 == stack.Layers ? "y" : relu ? $"z{l}" : $"h{l}";
            var gemm = new NodeProto { Name = $"gemm{l}", OpType = "Gemm", Input = { h, $"W{l}", $"b{l}" }, Output = { z } };
            gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            graph.Node.Add(gemm);
            h = z;
            if (relu)
            {
                graph.Node.Add(new NodeProto { Name = $"relu{l}", OpType = "Relu", Input = { z }, Output = { $"h{l}" } });
                h = $"h{l}";
            }
        }
        var model = new ModelProto { IrVersion = 8, ProducerName = "NetDsl.PeerBenchmarks", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    /// <summary>A float tensor of shape <c>[batch, size]</c> with a symbolic batch dimension.</summary>
    private static ValueInfoProto FloatInfo(string name, int size)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = size });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static TensorProto FloatTensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return tensor;
    }
}
