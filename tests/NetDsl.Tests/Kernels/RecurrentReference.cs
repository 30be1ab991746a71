using System;
using NetDsl.Kernels;

namespace NetDsl.Tests.Kernels;

/// <summary>
/// Float64 recurrent layers written the plainest way, independent of <see cref="Recurrent"/>: one sample at a time, one
/// step at a time, every gate a dot product of a weight row with the input and the previous state. Shapes as in
/// PyTorch: <c>x[B,T,I]</c>, <c>wIh[G·H, I]</c>, <c>wHh[G·H, H]</c>, <c>bIh[G·H]</c>, <c>bHh[G·H]</c>, gates in
/// PyTorch's order (LSTM i, f, g, o; GRU r, z, n). Gradients come from central finite differences of
/// <see cref="Loss"/>, so there is no hand-written backward here to get wrong.
/// </summary>
internal static class RecurrentReference
{
    /// <summary>One layer's float64 parameters and sizes.</summary>
    public sealed record Layer(RecurrentCell Cell, int Input, int Hidden, double[] WeightIh, double[] WeightHh, double[] BiasIh, double[] BiasHh)
    {
        public int Gates => Recurrent.Gates(Cell);
    }

    /// <summary>
    /// <c>hidden[B,T,H]</c>: each sample <c>b</c> runs <c>L = lengths[b]</c> steps (all <c>T</c> when
    /// <paramref name="lengths"/> is empty) from a zero state, forward over positions <c>0..L−1</c> or, if
    /// <paramref name="reverse"/>, over <c>L−1..0</c>; each step's state is written at its position, other positions
    /// stay zero.
    /// </summary>
    /// <param name="truncation">
    /// With <c>k &gt; 0</c> and <paramref name="detached"/> given: at each step <c>s &gt; 0</c> (in the sample's
    /// running order) with <c>(L − s) mod k = 0</c>, the state entering the step is taken from
    /// <paramref name="detached"/> (the states of an unperturbed run) instead of the live one, so that finite
    /// differences see no path from that step back into earlier steps: PyTorch's <c>h.detach()</c> every
    /// <c>k</c> steps, counted back from each sample's last step.
    /// </param>
    /// <param name="detached">The states after each step of an unperturbed run, from <see cref="States"/>.</param>
    public static double[] Forward(Layer layer, double[] x, int[] lengths, int batch, int steps, bool reverse,
        int truncation = 0, (double[] H, double[] C)? detached = null)
        => Run(layer, x, lengths, batch, steps, reverse, truncation, detached).Hidden;

    /// <summary>The state <c>(h, c)</c> after each running step <c>s</c> of each sample, <c>[B, T, H]</c> each (c is zero except for an LSTM).</summary>
    public static (double[] H, double[] C) States(Layer layer, double[] x, int[] lengths, int batch, int steps, bool reverse)
    {
        var run = Run(layer, x, lengths, batch, steps, reverse, 0, null);
        return (run.StateH, run.StateC);
    }

    /// <summary><c>L = Σ w ⊙ hidden</c>.</summary>
    public static double Loss(double[] hidden, double[] w)
    {
        double sum = 0;
        for (int i = 0; i < hidden.Length; i++) sum += w[i] * hidden[i];
        return sum;
    }

    /// <summary>
    /// Central finite differences of <c>L = Σ w ⊙ Forward(...)</c> with respect to every element of
    /// <paramref name="values"/> (one of the layer's arrays or x, changed in place and restored).
    /// </summary>
    public static double[] Gradient(double[] values, Func<double> loss, double epsilon = 1e-6)
    {
        var gradient = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double saved = values[i];
            values[i] = saved + epsilon;
            double plus = loss();
            values[i] = saved - epsilon;
            double minus = loss();
            values[i] = saved;
            gradient[i] = (plus - minus) / (2 * epsilon);
        }
        return gradient;
    }

    private static (double[] Hidden, double[] StateH, double[] StateC) Run(Layer layer, double[] x, int[] lengths, int batch, int steps, bool reverse,
        int truncation, (double[] H, double[] C)? detached)
    {
        int inputs = layer.Input, units = layer.Hidden;
        var hidden = new double[batch * steps * units];
        var stateH = new double[batch * steps * units];
        var stateC = new double[batch * steps * units];
        for (int b = 0; b < batch; b++)
        {
            int length = lengths.Length == 0 ? steps : lengths[b];
            var h = new double[units];
            var c = new double[units];
            for (int s = 0; s < length; s++)
            {
                if (truncation > 0 && s > 0 && (length - s) % truncation == 0 && detached is { } frozen)
                {
                    // Detach: the state entering step s is a constant (the unperturbed run's state after step s−1).
                    Array.Copy(frozen.H, (b * steps + s - 1) * units, h, 0, units);
                    Array.Copy(frozen.C, (b * steps + s - 1) * units, c, 0, units);
                }
                int t = reverse ? length - 1 - s : s;
                var xt = new double[inputs];
                Array.Copy(x, (b * steps + t) * inputs, xt, 0, inputs);
                switch (layer.Cell)
                {
                    case RecurrentCell.SimpleRnn: h = RnnStep(layer, xt, h); break;
                    case RecurrentCell.Lstm: (h, c) = LstmStep(layer, xt, h, c); break;
                    default: h = GruStep(layer, xt, h); break;
                }
                Array.Copy(h, 0, hidden, (b * steps + t) * units, units);
                Array.Copy(h, 0, stateH, (b * steps + s) * units, units);
                Array.Copy(c, 0, stateC, (b * steps + s) * units, units);
            }
        }
        return (hidden, stateH, stateC);
    }

    /// <summary>Row <paramref name="row"/> of <c>W_ih x + b_ih</c>.</summary>
    private static double InputSide(Layer layer, double[] x, int row)
    {
        double sum = layer.BiasIh[row];
        for (int k = 0; k < layer.Input; k++) sum += layer.WeightIh[row * layer.Input + k] * x[k];
        return sum;
    }

    /// <summary>Row <paramref name="row"/> of <c>W_hh h + b_hh</c>.</summary>
    private static double HiddenSide(Layer layer, double[] h, int row)
    {
        double sum = layer.BiasHh[row];
        for (int k = 0; k < layer.Hidden; k++) sum += layer.WeightHh[row * layer.Hidden + k] * h[k];
        return sum;
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    // h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
    private static double[] RnnStep(Layer layer, double[] x, double[] h)
    {
        var next = new double[layer.Hidden];
        for (int j = 0; j < layer.Hidden; j++) next[j] = Math.Tanh(InputSide(layer, x, j) + HiddenSide(layer, h, j));
        return next;
    }

    // i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh), rows [0,H), [H,2H), [2H,3H), [3H,4H)
    // c' = f c + i g;  h' = o tanh(c')
    private static (double[] H, double[] C) LstmStep(Layer layer, double[] x, double[] h, double[] c)
    {
        int n = layer.Hidden;
        var nextH = new double[n];
        var nextC = new double[n];
        for (int j = 0; j < n; j++)
        {
            double i = Sigmoid(InputSide(layer, x, j) + HiddenSide(layer, h, j));
            double f = Sigmoid(InputSide(layer, x, n + j) + HiddenSide(layer, h, n + j));
            double g = Math.Tanh(InputSide(layer, x, 2 * n + j) + HiddenSide(layer, h, 2 * n + j));
            double o = Sigmoid(InputSide(layer, x, 3 * n + j) + HiddenSide(layer, h, 3 * n + j));
            nextC[j] = f * c[j] + i * g;
            nextH[j] = o * Math.Tanh(nextC[j]);
        }
        return (nextH, nextC);
    }

    // r = σ(W_ir x + b_ir + W_hr h + b_hr);  z = σ(W_iz x + b_iz + W_hz h + b_hz)
    // n = tanh(W_in x + b_in + r (W_hn h + b_hn));  h' = (1 − z) n + z h
    private static double[] GruStep(Layer layer, double[] x, double[] h)
    {
        int n = layer.Hidden;
        var next = new double[n];
        for (int j = 0; j < n; j++)
        {
            double r = Sigmoid(InputSide(layer, x, j) + HiddenSide(layer, h, j));
            double z = Sigmoid(InputSide(layer, x, n + j) + HiddenSide(layer, h, n + j));
            double candidate = Math.Tanh(InputSide(layer, x, 2 * n + j) + r * HiddenSide(layer, h, 2 * n + j));
            next[j] = (1 - z) * candidate + z * h[j];
        }
        return next;
    }
}
