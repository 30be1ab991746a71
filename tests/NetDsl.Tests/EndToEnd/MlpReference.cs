using System;

namespace NetDsl.Tests.EndToEnd;

/// <summary>
/// A plain float64 multilayer perceptron, written independently of the generator and the kernels, to check
/// generated networks against: the same math, one obviously correct loop at a time (llm.c style).
/// Parameters are read from a generated network's flat buffer in its documented layout:
/// per layer, W[out,in] row-major, then b[out].
/// </summary>
internal sealed class MlpReference
{
    public sealed record Layer(int Inputs, int Units, Activation Activation, double NegativeSlope = 0.01);

    private readonly Layer[] _layers;

    public MlpReference(params Layer[] layers) => _layers = layers;

    public int ParameterCount
    {
        get
        {
            int count = 0;
            foreach (Layer layer in _layers)
                count += layer.Units * layer.Inputs + layer.Units;
            return count;
        }
    }

    /// <summary>Forward pass of a batch; returns the outputs [batch, lastUnits].</summary>
    public double[] Forward(double[] parameters, double[] x, int batch)
    {
        double[] a = x;
        int offset = 0;
        foreach (Layer layer in _layers)
        {
            var y = new double[batch * layer.Units];
            int w = offset, bias = offset + layer.Units * layer.Inputs;
            for (int s = 0; s < batch; s++)
            {
                for (int o = 0; o < layer.Units; o++)
                {
                    // z = Σ_i x_i · W[o,i] + b[o]
                    double z = parameters[bias + o];
                    for (int i = 0; i < layer.Inputs; i++)
                        z += a[s * layer.Inputs + i] * parameters[w + o * layer.Inputs + i];
                    y[s * layer.Units + o] = z;
                }
                Activate(layer, y.AsSpan(s * layer.Units, layer.Units));
            }
            offset = bias + layer.Units;
            a = y;
        }
        return a;
    }

    private static void Activate(Layer layer, Span<double> z)
    {
        switch (layer.Activation)
        {
            case Activation.Identity:
                break;
            case Activation.ReLU:
                for (int i = 0; i < z.Length; i++) z[i] = Math.Max(z[i], 0);
                break;
            case Activation.LeakyReLU:
                for (int i = 0; i < z.Length; i++) z[i] = z[i] >= 0 ? z[i] : layer.NegativeSlope * z[i];
                break;
            case Activation.Sigmoid:
                for (int i = 0; i < z.Length; i++) z[i] = 1 / (1 + Math.Exp(-z[i]));
                break;
            case Activation.Tanh:
                for (int i = 0; i < z.Length; i++) z[i] = Math.Tanh(z[i]);
                break;
            case Activation.Step:
                for (int i = 0; i < z.Length; i++) z[i] = z[i] >= 0 ? 1 : 0;
                break;
            case Activation.Softmax:
                double max = double.NegativeInfinity, sum = 0;
                foreach (double v in z) max = Math.Max(max, v);
                for (int i = 0; i < z.Length; i++) sum += z[i] = Math.Exp(z[i] - max);
                for (int i = 0; i < z.Length; i++) z[i] /= sum;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(layer));
        }
    }

    /// <summary>The mean loss of outputs y against targets t, as the runtime documents each loss.</summary>
    public static double Loss(Loss loss, double[] y, double[] t, int batch)
    {
        int n = y.Length / batch;
        double total = 0;
        switch (loss)
        {
            case NetDsl.Loss.MeanSquaredError:
                for (int i = 0; i < y.Length; i++) total += (y[i] - t[i]) * (y[i] - t[i]);
                return total / y.Length;
            case NetDsl.Loss.BinaryCrossEntropy:
                // -[t log σ(z) + (1 - t) log(1 - σ(z))], written the naive way on purpose
                for (int i = 0; i < y.Length; i++)
                {
                    double p = 1 / (1 + Math.Exp(-y[i]));
                    total -= t[i] * Math.Log(p) + (1 - t[i]) * Math.Log(1 - p);
                }
                return total / y.Length;
            case NetDsl.Loss.SoftmaxCrossEntropy:
                for (int s = 0; s < batch; s++)
                {
                    double max = double.NegativeInfinity, sum = 0;
                    for (int j = 0; j < n; j++) max = Math.Max(max, y[s * n + j]);
                    for (int j = 0; j < n; j++) sum += Math.Exp(y[s * n + j] - max);
                    for (int j = 0; j < n; j++) total -= t[s * n + j] * (y[s * n + j] - max - Math.Log(sum));
                }
                return total / batch;
            default:
                throw new ArgumentOutOfRangeException(nameof(loss));
        }
    }

    /// <summary>dL/dθ and dL/dx by central finite differences of <see cref="Loss"/> ∘ <see cref="Forward"/>, in float64.</summary>
    public (double[] ParameterGradient, double[] InputGradient) FiniteDifferences(Loss loss, double[] parameters, double[] x, double[] t, int batch, double h = 1e-6)
    {
        double LossAt(double[] p, double[] input) => MlpReference.Loss(loss, Forward(p, input, batch), t, batch);

        var dp = new double[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + h;
            double plus = LossAt(parameters, x);
            parameters[i] = saved - h;
            double minus = LossAt(parameters, x);
            parameters[i] = saved;
            dp[i] = (plus - minus) / (2 * h);
        }
        var dx = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double saved = x[i];
            x[i] = saved + h;
            double plus = LossAt(parameters, x);
            x[i] = saved - h;
            double minus = LossAt(parameters, x);
            x[i] = saved;
            dx[i] = (plus - minus) / (2 * h);
        }
        return (dp, dx);
    }

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }
}
