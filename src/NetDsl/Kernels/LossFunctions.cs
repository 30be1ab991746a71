using System;

namespace NetDsl.Kernels;

/// <summary>
/// Loss functions over a batch. Each returns the mean loss and, when <c>gradient</c> is not empty, writes the gradient
/// of that mean with respect to each prediction (same length as the predictions).
/// </summary>
public static class LossFunctions
{
    /// <summary><c>L = mean((y - t)²)</c> over all elements; <c>dL/dy = 2 (y - t) / count</c>.</summary>
    public static float MeanSquaredError(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient)
        => throw new NotImplementedException();

    /// <summary>
    /// Binary cross-entropy on logits, <c>L = mean(max(z,0) - z·t + log(1 + e^-|z|))</c> over all elements;
    /// <c>dL/dz = (σ(z) - t) / count</c>.
    /// </summary>
    public static float BinaryCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient)
        => throw new NotImplementedException();

    /// <summary>
    /// Softmax cross-entropy on logits of rows of <paramref name="classes"/> elements, <c>L = mean over rows of
    /// -Σ_i t_i log softmax(z)_i</c> (targets are probabilities, usually one-hot); <c>dL/dz = (softmax(z) - t) / rows</c>.
    /// </summary>
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient, int classes)
        => throw new NotImplementedException();

    /// <summary>
    /// The perceptron criterion on step outputs <c>y ∈ {0, 1}</c> and targets <c>t ∈ {0, 1}</c>: the loss is the fraction of
    /// wrong outputs and the gradient is <c>(y - t) / rows</c> for rows of <paramref name="outputs"/> elements, so a
    /// gradient step with learning rate <c>lr</c> is the perceptron rule <c>w += lr · (t - y) · x</c> averaged over the batch.
    /// </summary>
    public static float Perceptron(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs)
        => throw new NotImplementedException();
}
