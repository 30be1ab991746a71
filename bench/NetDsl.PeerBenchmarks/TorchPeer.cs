using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetDsl.PeerBenchmarks;

/// <summary>
/// A <see cref="DenseStack"/> as a TorchSharp user writes it: <c>nn.Sequential</c> of <c>nn.Linear</c> and <c>nn.ReLU</c>,
/// weights copied from NetDsl. Inference under <c>no_grad</c>; every call inside a dispose scope so its temporaries are
/// freed at once rather than by the garbage collector.
/// </summary>
internal sealed class TorchMlp : IDisposable
{
    private readonly Sequential _model;
    private readonly List<Linear> _linears = [];

    public TorchMlp(DenseStack stack)
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int l = 0; l < stack.Layers; l++)
        {
            var linear = nn.Linear(stack.Sizes[l], stack.Sizes[l + 1]);
            using (no_grad())
            {
                linear.weight!.copy_(tensor(stack.Weights[l], [stack.Sizes[l + 1], stack.Sizes[l]]));
                linear.bias!.copy_(tensor(stack.Biases[l], [stack.Sizes[l + 1]]));
            }
            _linears.Add(linear);
            modules.Add(($"{2 * l}", linear));
            if (stack.ReluBetween && l + 1 < stack.Layers)
                modules.Add(($"{2 * l + 1}", nn.ReLU()));
        }
        _model = nn.Sequential(modules.ToArray());
    }

    public Sequential Model => _model;

    /// <summary>Inference: one call of the model under <c>no_grad</c>.</summary>
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

    /// <summary>Every parameter flattened in NetDsl's order (per layer: weight <c>[out, in]</c>, then bias).</summary>
    public float[] FlatParameters()
    {
        var flat = new List<float>();
        foreach (var linear in _linears)
        {
            flat.AddRange(linear.weight!.data<float>().ToArray());
            flat.AddRange(linear.bias!.data<float>().ToArray());
        }
        return flat.ToArray();
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>A full training step with <c>optim.SGD</c>: zero_grad, forward, cross-entropy, backward, step.</summary>
internal sealed class TorchTrainer(TorchMlp mlp, double learningRate) : IDisposable
{
    private readonly optim.Optimizer _sgd = optim.SGD(mlp.Model.parameters(), learningRate);

    public float Step(Tensor inputs, Tensor labels)
    {
        using var scope = NewDisposeScope();
        _sgd.zero_grad();
        var loss = nn.functional.cross_entropy(mlp.Model.forward(inputs), labels);
        loss.backward();
        _sgd.step();
        return loss.item<float>();
    }

    /// <summary>The same step without reading the loss back (reading it would synchronize nothing on CPU, but costs a call).</summary>
    public void StepOnly(Tensor inputs, Tensor labels)
    {
        using var scope = NewDisposeScope();
        _sgd.zero_grad();
        nn.functional.cross_entropy(mlp.Model.forward(inputs), labels).backward();
        _sgd.step();
    }

    public void Dispose() => _sgd.Dispose();
}

/// <summary>One dense layer as tensors: forward <c>linear(x, W, b)</c>, and its backward via <c>autograd.grad</c> (dx, dW, db).</summary>
internal sealed class TorchDense : IDisposable
{
    private readonly Tensor _weight, _bias, _inputs, _outputGradient;

    public TorchDense(DenseStack stack, float[] inputs, float[] outputGradient)
    {
        int n = stack.Sizes[0], m = stack.Sizes[1], batch = inputs.Length / n;
        _weight = tensor(stack.Weights[0], [m, n]).requires_grad_();
        _bias = tensor(stack.Biases[0], [m]).requires_grad_();
        _inputs = tensor(inputs, [batch, n]).requires_grad_();
        _outputGradient = tensor(outputGradient, [batch, m]);
    }

    public void Forward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        nn.functional.linear(_inputs, _weight, _bias);
    }

    public float[] ForwardToArray()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return nn.functional.linear(_inputs, _weight, _bias).data<float>().ToArray();
    }

    public void ForwardBackward()
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.linear(_inputs, _weight, _bias);
        autograd.grad([y], [_inputs, _weight, _bias], [_outputGradient]);
    }

    /// <summary>dL/dx, dL/dW and dL/db for the stored output gradient.</summary>
    public (float[] Input, float[] Weight, float[] Bias) Gradients()
    {
        using var scope = NewDisposeScope();
        var y = nn.functional.linear(_inputs, _weight, _bias);
        var g = autograd.grad([y], [_inputs, _weight, _bias], [_outputGradient]);
        return (g[0].data<float>().ToArray(), g[1].data<float>().ToArray(), g[2].data<float>().ToArray());
    }

    public void Dispose()
    {
        _weight.Dispose();
        _bias.Dispose();
        _inputs.Dispose();
        _outputGradient.Dispose();
    }
}
