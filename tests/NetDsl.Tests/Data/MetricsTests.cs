using System;
using NetDsl.Data;
using Xunit;

namespace NetDsl.Tests.Data;

public sealed class MetricsTests
{
    [Fact]
    public void ArgMax_takes_the_first_maximum_and_ignores_nan()
    {
        Assert.Equal(1, Metrics.ArgMax([0.1f, 0.7f, 0.2f]));
        Assert.Equal(0, Metrics.ArgMax([3f, 3f]));
        Assert.Equal(2, Metrics.ArgMax([float.NaN, -1f, 4f]));
        Assert.Equal(0, Metrics.ArgMax([float.NegativeInfinity, float.NegativeInfinity]));
        Assert.Equal(-1, Metrics.ArgMax([float.NaN, float.NaN]));
        Assert.Throws<ArgumentException>(() => Metrics.ArgMax([]));
    }

    [Fact]
    public void Accuracy_compares_argmax_rows_with_labels()
    {
        float[] outputs =
        [
            0.9f, 0.1f, 0.0f,
            0.2f, 0.3f, 0.5f,
            0.1f, 0.8f, 0.1f,
            float.NaN, float.NaN, float.NaN,
        ];

        Assert.Equal(0.5, Metrics.Accuracy(outputs, [0, 1, 1, 0], 3));
        Assert.Throws<ArgumentException>(() => Metrics.Accuracy(outputs, [0, 1, 1], 3));
        Assert.Throws<ArgumentException>(() => Metrics.Accuracy([], [], 3));
    }

    [Fact]
    public void RSquared_and_rmse_match_hand_computed_values()
    {
        float[] targets = [3f, -0.5f, 2f, 7f];
        float[] predictions = [2.5f, 0f, 2f, 8f];

        Assert.Equal(0.9486081370449679, Metrics.RSquared(predictions, targets), 10);
        Assert.Equal(Math.Sqrt(0.375), Metrics.RootMeanSquaredError(predictions, targets), 10);
        Assert.Equal(1.0, Metrics.RSquared(targets, targets));
        Assert.Equal(0.0, Metrics.RootMeanSquaredError(targets, targets));
        Assert.Equal(1.0, Metrics.RSquared([2f, 2f], [2f, 2f]));
        Assert.Equal(0.0, Metrics.RSquared([1f, 2f], [2f, 2f]));
        Assert.Throws<ArgumentException>(() => Metrics.RSquared([1f], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => Metrics.RootMeanSquaredError([], []));
    }
}
