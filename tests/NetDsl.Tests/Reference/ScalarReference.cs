using System;

namespace NetDsl.Tests.Reference;

/// <summary>
/// Plain, obviously correct float64 implementations of every layer, activation, loss and optimizer of NetDsl, to test
/// the SIMD kernels and generated networks against (llm.c / micrograd style: short loops, shapes in comments, each
/// forward next to its backward). Matrices are row-major <c>double[]</c>; shapes are written <c>[rows, columns]</c>.
/// Nothing here is optimized or clever, on purpose.
/// </summary>
public static class ScalarReference
{
    // ----------------------------------------------------------------------------------------------------------
    // Matrix products
    // ----------------------------------------------------------------------------------------------------------

    /// <summary><c>c[m,n] = a[m,k] · b[k,n]</c>.</summary>
    public static double[] MatMul(double[] a, double[] b, int m, int n, int k)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
                c[i * n + j] = sum;
            }
        return c;
    }

    /// <summary><c>c[m,n] = a[m,k] · b[n,k]ᵀ</c>.</summary>
    public static double[] MatMulTransposedB(double[] a, double[] b, int m, int n, int k)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += a[i * k + p] * b[j * k + p];
                c[i * n + j] = sum;
            }
        return c;
    }

    /// <summary><c>c[m,n] = a[k,m]ᵀ · b[k,n]</c>.</summary>
    public static double[] MatMulTransposedA(double[] a, double[] b, int m, int n, int k)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += a[p * m + i] * b[p * n + j];
                c[i * n + j] = sum;
            }
        return c;
    }

    /// <summary><c>sums[n] = Σ_i a[i, :]</c> for <c>a[m,n]</c>.</summary>
    public static double[] SumRows(double[] a, int m, int n)
    {
        var sums = new double[n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) sums[j] += a[i * n + j];
        return sums;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Dense layer: z = x · Wᵀ + b with W in PyTorch's [out, in] layout
    // ----------------------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>z[batch,outputs] = x[batch,inputs] · w[outputs,inputs]ᵀ + b[outputs]</c> (no activation). <paramref name="b"/>
    /// may be null for a layer without bias.
    /// </summary>
    public static double[] DenseForward(double[] x, double[] w, double[]? b, int batch, int inputs, int outputs)
    {
        var z = new double[batch * outputs];
        for (int s = 0; s < batch; s++)
            for (int o = 0; o < outputs; o++)
            {
                double sum = b is null ? 0 : b[o];
                for (int i = 0; i < inputs; i++) sum += x[s * inputs + i] * w[o * inputs + i];
                z[s * outputs + o] = sum;
            }
        return z;
    }

    /// <summary>
    /// Backward of <see cref="DenseForward"/> given <c>dz[batch,outputs]</c>:
    /// <c>dx[batch,inputs] = dz · w</c>, <c>dw[outputs,inputs] = dzᵀ · x</c>, <c>db[outputs] = Σ_s dz[s, :]</c>.
    /// </summary>
    public static (double[] dx, double[] dw, double[] db) DenseBackward(double[] x, double[] w, double[] dz, int batch, int inputs, int outputs)
    {
        var dx = new double[batch * inputs];
        var dw = new double[outputs * inputs];
        var db = new double[outputs];
        for (int s = 0; s < batch; s++)
            for (int o = 0; o < outputs; o++)
            {
                double g = dz[s * outputs + o];
                db[o] += g;
                for (int i = 0; i < inputs; i++)
                {
                    dx[s * inputs + i] += g * w[o * inputs + i];
                    dw[o * inputs + i] += g * x[s * inputs + i];
                }
            }
        return (dx, dw, db);
    }

    // ----------------------------------------------------------------------------------------------------------
    // Activations: f(z) and f'(z) per element; softmax per row
    // ----------------------------------------------------------------------------------------------------------

    /// <summary><c>max(z, 0)</c>.</summary>
    public static double Relu(double z) => z > 0 ? z : 0;
    /// <summary>ReLU's derivative, 0 at <c>z = 0</c> (PyTorch's convention).</summary>
    public static double ReluDerivative(double z) => z > 0 ? 1 : 0;

    /// <summary><c>z &gt; 0 ? z : slope · z</c>.</summary>
    public static double LeakyRelu(double z, double slope) => z > 0 ? z : slope * z;
    /// <summary>Leaky ReLU's derivative, <c>slope</c> at <c>z = 0</c> (PyTorch's convention).</summary>
    public static double LeakyReluDerivative(double z, double slope) => z > 0 ? 1 : slope;

    /// <summary><c>1 / (1 + e^-z)</c>.</summary>
    public static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
    /// <summary><c>σ(z) (1 - σ(z))</c>.</summary>
    public static double SigmoidDerivative(double z) => Sigmoid(z) * (1 - Sigmoid(z));

    /// <summary><c>tanh(z)</c>.</summary>
    public static double Tanh(double z) => Math.Tanh(z);
    /// <summary><c>1 - tanh²(z)</c>.</summary>
    public static double TanhDerivative(double z) => 1 - Math.Tanh(z) * Math.Tanh(z);

    /// <summary>Heaviside step <c>z ≥ 0 ? 1 : 0</c>.</summary>
    public static double Step(double z) => z >= 0 ? 1 : 0;

    /// <summary>Row-wise softmax of <c>z[rows, classes]</c>, with the row maximum subtracted.</summary>
    public static double[] Softmax(double[] z, int classes)
    {
        var y = new double[z.Length];
        for (int r = 0; r < z.Length / classes; r++)
        {
            double max = double.NegativeInfinity;
            for (int i = 0; i < classes; i++) max = Math.Max(max, z[r * classes + i]);
            double sum = 0;
            for (int i = 0; i < classes; i++) sum += y[r * classes + i] = Math.Exp(z[r * classes + i] - max);
            for (int i = 0; i < classes; i++) y[r * classes + i] /= sum;
        }
        return y;
    }

    /// <summary>Backward of <see cref="Softmax"/>: <c>dz_i = Σ_j dy_j ∂y_j/∂z_i = y_i (dy_i - Σ_j dy_j y_j)</c> per row.</summary>
    public static double[] SoftmaxBackward(double[] y, double[] dy, int classes)
    {
        var dz = new double[y.Length];
        for (int r = 0; r < y.Length / classes; r++)
        {
            double dot = 0;
            for (int j = 0; j < classes; j++) dot += dy[r * classes + j] * y[r * classes + j];
            for (int i = 0; i < classes; i++) dz[r * classes + i] = y[r * classes + i] * (dy[r * classes + i] - dot);
        }
        return dz;
    }

    /// <summary>Applies <paramref name="activation"/> to <c>z</c> (rows of <paramref name="rowLength"/> for softmax).</summary>
    public static double[] Activate(Activation activation, double[] z, int rowLength, double leakySlope = 0.01)
    {
        if (activation == Activation.Softmax) return Softmax(z, rowLength);
        var y = new double[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            y[i] = activation switch
            {
                Activation.Identity => z[i],
                Activation.ReLU => Relu(z[i]),
                Activation.LeakyReLU => LeakyRelu(z[i], leakySlope),
                Activation.Sigmoid => Sigmoid(z[i]),
                Activation.Tanh => Tanh(z[i]),
                Activation.Step => Step(z[i]),
                _ => throw new ArgumentOutOfRangeException(nameof(activation)),
            };
        }
        return y;
    }

    /// <summary>
    /// <c>dz = dy ⊙ f'(z)</c> for <paramref name="activation"/> at the pre-activation <c>z</c> (softmax: its full
    /// Jacobian per row; step: straight-through, <c>dz = dy</c>, as NetDsl's perceptron rule uses it).
    /// </summary>
    public static double[] ActivateBackward(Activation activation, double[] z, double[] dy, int rowLength, double leakySlope = 0.01)
    {
        if (activation == Activation.Softmax) return SoftmaxBackward(Softmax(z, rowLength), dy, rowLength);
        var dz = new double[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            dz[i] = dy[i] * activation switch
            {
                Activation.Identity => 1,
                Activation.ReLU => ReluDerivative(z[i]),
                Activation.LeakyReLU => LeakyReluDerivative(z[i], leakySlope),
                Activation.Sigmoid => SigmoidDerivative(z[i]),
                Activation.Tanh => TanhDerivative(z[i]),
                Activation.Step => 1,
                _ => throw new ArgumentOutOfRangeException(nameof(activation)),
            };
        }
        return dz;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Losses: each returns the mean loss; each *Gradient returns dL/d(prediction) of that mean
    // ----------------------------------------------------------------------------------------------------------

    /// <summary><c>mean((y - t)²)</c> over all elements.</summary>
    public static double MeanSquaredError(double[] y, double[] t)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += (y[i] - t[i]) * (y[i] - t[i]);
        return sum / y.Length;
    }

    /// <summary><c>2 (y - t) / count</c>.</summary>
    public static double[] MeanSquaredErrorGradient(double[] y, double[] t)
    {
        var g = new double[y.Length];
        for (int i = 0; i < y.Length; i++) g[i] = 2 * (y[i] - t[i]) / y.Length;
        return g;
    }

    /// <summary>
    /// Binary cross-entropy on logits, <c>mean(-t log σ(z) - (1 - t) log(1 - σ(z)))</c>, computed in the stable
    /// form <c>max(z,0) - z·t + log(1 + e^-|z|)</c>.
    /// </summary>
    public static double BinaryCrossEntropy(double[] z, double[] t)
    {
        double sum = 0;
        for (int i = 0; i < z.Length; i++) sum += Math.Max(z[i], 0) - z[i] * t[i] + Math.Log(1 + Math.Exp(-Math.Abs(z[i])));
        return sum / z.Length;
    }

    /// <summary><c>(σ(z) - t) / count</c>.</summary>
    public static double[] BinaryCrossEntropyGradient(double[] z, double[] t)
    {
        var g = new double[z.Length];
        for (int i = 0; i < z.Length; i++) g[i] = (Sigmoid(z[i]) - t[i]) / z.Length;
        return g;
    }

    /// <summary>Softmax cross-entropy on logits <c>z[rows, classes]</c>: <c>mean over rows of -Σ_i t_i log softmax(z)_i</c>.</summary>
    public static double SoftmaxCrossEntropy(double[] z, double[] t, int classes)
    {
        int rows = z.Length / classes;
        double[] y = Softmax(z, classes);
        double sum = 0;
        for (int i = 0; i < z.Length; i++) sum -= t[i] * Math.Log(y[i]);
        return sum / rows;
    }

    /// <summary><c>(softmax(z) - t) / rows</c>.</summary>
    public static double[] SoftmaxCrossEntropyGradient(double[] z, double[] t, int classes)
    {
        int rows = z.Length / classes;
        double[] y = Softmax(z, classes);
        var g = new double[z.Length];
        for (int i = 0; i < z.Length; i++) g[i] = (y[i] - t[i]) / rows;
        return g;
    }

    /// <summary>The perceptron criterion's reported loss: the fraction of outputs <c>y ∈ {0,1}</c> that differ from <c>t</c>.</summary>
    public static double Perceptron(double[] y, double[] t)
    {
        int wrong = 0;
        for (int i = 0; i < y.Length; i++) if (y[i] != t[i]) wrong++;
        return (double)wrong / y.Length;
    }

    /// <summary>The perceptron rule as a gradient: <c>(y - t) / rows</c> for rows of <paramref name="outputs"/> elements.</summary>
    public static double[] PerceptronGradient(double[] y, double[] t, int outputs)
    {
        int rows = y.Length / outputs;
        var g = new double[y.Length];
        for (int i = 0; i < y.Length; i++) g[i] = (y[i] - t[i]) / rows;
        return g;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Per-sample losses ℓ_s of rows [rows, outputs] (PyTorch definitions), and their weighted mean Σ w ℓ / Σ w.
    // The gradients of these are taken by finite differences in the tests; each is written from the formula alone.
    // ----------------------------------------------------------------------------------------------------------

    /// <summary><c>Σ_s w_s ℓ_s / Σ_s w_s</c>; all weights 1 when <paramref name="weights"/> is null.</summary>
    public static double WeightedMean(double[] perSample, double[]? weights)
    {
        double sum = 0, total = 0;
        for (int s = 0; s < perSample.Length; s++)
        {
            double w = weights is null ? 1 : weights[s];
            sum += w * perSample[s];
            total += w;
        }
        return sum / total;
    }

    /// <summary>Applies <paramref name="element"/> to each (y, t) and averages each row: <c>ℓ_s = mean_j f(y_sj, t_sj)</c>.</summary>
    public static double[] RowMeans(double[] y, double[] t, int outputs, Func<double, double, double> element)
    {
        var l = new double[y.Length / outputs];
        for (int s = 0; s < l.Length; s++)
        {
            for (int j = 0; j < outputs; j++) l[s] += element(y[s * outputs + j], t[s * outputs + j]);
            l[s] /= outputs;
        }
        return l;
    }

    /// <summary>MSE: <c>(y - t)²</c>.</summary>
    public static double SquaredError(double y, double t) => (y - t) * (y - t);
    /// <summary>MAE: <c>|y - t|</c>.</summary>
    public static double AbsoluteError(double y, double t) => Math.Abs(y - t);
    /// <summary>Huber: <c>½d²</c> for <c>|d| ≤ δ</c>, else <c>δ(|d| - ½δ)</c>, with <c>d = y - t</c>.</summary>
    public static double HuberError(double y, double t, double delta)
        => Math.Abs(y - t) <= delta ? 0.5 * (y - t) * (y - t) : delta * (Math.Abs(y - t) - 0.5 * delta);
    /// <summary>BCE on a logit, in the textbook form <c>-t log σ(z) - (1 - t) log(1 - σ(z))</c> (fine for moderate z).</summary>
    public static double LogisticError(double z, double t) => -t * Math.Log(Sigmoid(z)) - (1 - t) * Math.Log(1 - Sigmoid(z));
    /// <summary>Poisson NLL on a log-rate: <c>e^z - t·z</c>.</summary>
    public static double PoissonError(double z, double t) => Math.Exp(z) - t * z;
    /// <summary>Binary hinge with <c>s = 2t - 1</c>: <c>max(0, 1 - s·y)</c>.</summary>
    public static double HingeError(double y, double t) => Math.Max(0, 1 - (2 * t - 1) * y);

    /// <summary>
    /// Softmax cross-entropy with label smoothing ε per row: <c>-Σ_j t'_j log softmax(z)_j</c>, <c>t' = (1-ε) t + ε/C</c>.
    /// </summary>
    public static double[] SoftmaxCrossEntropyPerSample(double[] z, double[] t, int classes, double smoothing = 0)
    {
        double[] q = Softmax(z, classes);
        var l = new double[z.Length / classes];
        for (int s = 0; s < l.Length; s++)
            for (int j = 0; j < classes; j++)
            {
                double smoothed = (1 - smoothing) * t[s * classes + j] + smoothing / classes;
                l[s] -= smoothed * Math.Log(q[s * classes + j]);
            }
        return l;
    }

    /// <summary>
    /// Multi-class hinge per row (PyTorch MultiMarginLoss, p = 1): <c>Σ_{j≠c} max(0, margin - z_c + z_j) / C</c>, c = argmax of t.
    /// </summary>
    public static double[] MultiClassHingePerSample(double[] z, double[] t, int classes, double margin = 1)
    {
        var l = new double[z.Length / classes];
        for (int s = 0; s < l.Length; s++)
        {
            int c = 0;
            for (int j = 1; j < classes; j++) if (t[s * classes + j] > t[s * classes + c]) c = j;
            for (int j = 0; j < classes; j++)
                if (j != c) l[s] += Math.Max(0, margin - z[s * classes + c] + z[s * classes + j]);
            l[s] /= classes;
        }
        return l;
    }

    /// <summary>KL divergence per row: <c>Σ_j t_j (log t_j - log softmax(z)_j)</c>, with <c>0·log 0 = 0</c>.</summary>
    public static double[] KullbackLeiblerPerSample(double[] z, double[] t, int classes)
    {
        double[] q = Softmax(z, classes);
        var l = new double[z.Length / classes];
        for (int s = 0; s < l.Length; s++)
            for (int j = 0; j < classes; j++)
            {
                double p = t[s * classes + j];
                if (p > 0) l[s] += p * (Math.Log(p) - Math.Log(q[s * classes + j]));
            }
        return l;
    }

    /// <summary>Perceptron per row: the fraction of the row's outputs that differ from the targets.</summary>
    public static double[] PerceptronPerSample(double[] y, double[] t, int outputs) => RowMeans(y, t, outputs, (a, b) => a != b ? 1 : 0);

    // ----------------------------------------------------------------------------------------------------------
    // Optimizers (PyTorch's published update rules), updating p and their state in place
    // ----------------------------------------------------------------------------------------------------------

    /// <summary>SGD with momentum μ (PyTorch, no dampening or Nesterov): <c>v = μ v + g; p -= lr · v</c>; μ = 0 is plain SGD.</summary>
    public static void SgdStep(double[] p, double[] g, double[] v, double learningRate, double momentum)
    {
        for (int i = 0; i < p.Length; i++)
        {
            v[i] = momentum * v[i] + g[i];
            p[i] -= learningRate * v[i];
        }
    }

    /// <summary>
    /// Adam (Kingma &amp; Ba, as in PyTorch) at step <paramref name="t"/> (1 for the first step):
    /// <c>m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; m̂ = m / (1-β1^t); v̂ = v / (1-β2^t); p -= lr · m̂ / (√v̂ + ε)</c>.
    /// </summary>
    public static void AdamStep(double[] p, double[] g, double[] m, double[] v, int t, double learningRate, double beta1, double beta2, double epsilon)
    {
        for (int i = 0; i < p.Length; i++)
        {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            double mHat = m[i] / (1 - Math.Pow(beta1, t));
            double vHat = v[i] / (1 - Math.Pow(beta2, t));
            p[i] -= learningRate * mHat / (Math.Sqrt(vHat) + epsilon);
        }
    }

    // ----------------------------------------------------------------------------------------------------------
    // Finite differences
    // ----------------------------------------------------------------------------------------------------------

    /// <summary>The gradient of <paramref name="f"/> at <paramref name="x"/> by central differences <c>(f(x+h) - f(x-h)) / 2h</c>.</summary>
    public static double[] CentralDifference(Func<double[], double> f, double[] x, double h = 1e-5)
    {
        var gradient = new double[x.Length];
        var probe = (double[])x.Clone();
        for (int i = 0; i < x.Length; i++)
        {
            probe[i] = x[i] + h;
            double plus = f(probe);
            probe[i] = x[i] - h;
            double minus = f(probe);
            probe[i] = x[i];
            gradient[i] = (plus - minus) / (2 * h);
        }
        return gradient;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Conversions
    // ----------------------------------------------------------------------------------------------------------

    /// <summary>Widens floats to doubles (exactly).</summary>
    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }
}
