using System;
using System.Linq;
using NetDsl.Data;
using Xunit;

namespace NetDsl.Tests.Data;

/// <summary>Confusion matrix, precision, recall, F1, ROC AUC and MAE against hand-computed values.</summary>
public sealed class ClassificationMetricsTests
{
    [Fact]
    public void Confusion_matrix_counts_and_per_class_metrics_match_hand_computation()
    {
        //            predicted: 0  1  2
        // actual 0:             3  1  0   (support 4)
        // actual 1:             0  2  2   (support 4)
        // actual 2:             1  0  1   (support 2)
        int[] actual = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2];
        int[] predicted = [0, 0, 0, 1, 1, 1, 2, 2, 0, 2];
        var m = ConfusionMatrix.FromLabels(actual, predicted, 3);

        Assert.Equal(10, m.Total);
        Assert.Equal(3, m[0, 0]);
        Assert.Equal(1, m[0, 1]);
        Assert.Equal(2, m[1, 2]);
        Assert.Equal(1, m[2, 0]);
        Assert.Equal(0.6, m.Accuracy, 12);
        // Precision = column: class 0: 3/4, class 1: 2/3, class 2: 1/3.
        Assert.Equal(3.0 / 4, m.Precision(0), 12);
        Assert.Equal(2.0 / 3, m.Precision(1), 12);
        Assert.Equal(1.0 / 3, m.Precision(2), 12);
        // Recall = row: 3/4, 2/4, 1/2.
        Assert.Equal(0.75, m.Recall(0), 12);
        Assert.Equal(0.5, m.Recall(1), 12);
        Assert.Equal(0.5, m.Recall(2), 12);
        // F1 = 2PR/(P+R): 0.75, 4/7, 0.4.
        Assert.Equal(0.75, m.F1(0), 12);
        Assert.Equal(4.0 / 7, m.F1(1), 12);
        Assert.Equal(0.4, m.F1(2), 12);
        Assert.Equal((0.75 + 2.0 / 3 + 1.0 / 3) / 3, m.MacroPrecision, 12);
        Assert.Equal((0.75 + 0.5 + 0.5) / 3, m.MacroRecall, 12);
        Assert.Equal((0.75 + 4.0 / 7 + 0.4) / 3, m.MacroF1, 12);   // sklearn f1_score(average="macro") = 0.5738095...
        Assert.Equal(0.5738095238095238, m.MacroF1, 12);
    }

    [Fact]
    public void Outputs_and_thresholded_scores_are_counted_by_argmax_and_threshold()
    {
        float[] outputs = [0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f];
        var m = ConfusionMatrix.FromOutputs(outputs, [0, 1, 1], 2);
        Assert.Equal(1, m[0, 0]);
        Assert.Equal(1, m[1, 1]);
        Assert.Equal(1, m[1, 0]);

        // Logits with threshold 0: predicted 1 when score ≥ 0. Accumulates across batches; Clear resets.
        m.AddThresholded([-1f, 0f, 2f], [0, 0, 1], 0f);
        Assert.Equal(6, m.Total);
        Assert.Equal(1, m[0, 1]);
        Assert.Equal(2, m[1, 1]);
        m.Clear();
        Assert.Equal(0, m.Total);
        Assert.Equal(0, m[1, 1]);

        Assert.Throws<ArgumentOutOfRangeException>(() => ConfusionMatrix.FromOutputs([float.NaN, float.NaN], [0], 2));
        Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromOutputs(outputs, [0, 1], 2));
        Assert.Throws<ArgumentException>(() => m.AddThresholded([float.NaN], [0], 0f));
        Assert.Throws<InvalidOperationException>(() => new ConfusionMatrix(3).AddThresholded([1f], [0], 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Add(2, 0));
        Assert.Throws<ArgumentException>(() => ConfusionMatrix.FromLabels([0, 1], [1], 2));
    }

    [Fact]
    public void Empty_rows_and_columns_give_zero_not_nan()
    {
        var m = ConfusionMatrix.FromLabels([0, 0, 1], [0, 0, 0], 3);   // class 1 never predicted, class 2 absent
        Assert.Equal(0, m.Precision(1));
        Assert.Equal(0, m.Recall(2));
        Assert.Equal(0, m.F1(2));
        Assert.Equal(0, new ConfusionMatrix(2).Accuracy);
        Assert.False(double.IsNaN(m.MacroF1));
    }

    [Fact]
    public void ToString_is_a_readable_table()
    {
        var m = ConfusionMatrix.FromLabels(
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2);
        string expected =
            "actual \\ predicted   cat   dog | support precision recall     f1\n" +
            "cat                    8     2 |      10     0.889  0.800  0.842\n" +
            "dog                    1     9 |      10     0.818  0.900  0.857\n" +
            "accuracy 0.850 | macro precision 0.854  recall 0.850  f1 0.850";
        Assert.Equal(expected, m.ToString(["cat", "dog"]));
        Assert.StartsWith("actual \\ predicted     0     1 |", m.ToString());
        Assert.Throws<ArgumentException>(() => m.ToString(["cat"]));
    }

    [Fact]
    public void Roc_auc_matches_hand_values_and_a_brute_force_pair_count()
    {
        // sklearn's doc example: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75.
        Assert.Equal(0.75, Metrics.RocAuc([0.1f, 0.4f, 0.35f, 0.8f], [0, 0, 1, 1]), 12);
        Assert.Equal(1.0, Metrics.RocAuc([0.1f, 0.2f, 0.9f], [0, 0, 1]));
        Assert.Equal(0.0, Metrics.RocAuc([0.9f, 0.2f, 0.1f], [0, 1, 1]));
        Assert.Equal(0.5, Metrics.RocAuc([0.5f, 0.5f, 0.5f, 0.5f], [0, 1, 0, 1]));   // all tied

        var random = new Random(9);
        foreach (int n in new[] { 2, 3, 10, 57, 300 })
        {
            // Scores on a coarse grid, so ties between and within classes are frequent.
            float[] scores = Enumerable.Range(0, n).Select(_ => random.Next(7) / 2f).ToArray();
            int[] labels = Enumerable.Range(0, n).Select(i => i < 2 ? i : random.Next(2)).ToArray();
            double pairs = 0, wins = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (labels[i] == 1 && labels[j] == 0)
                    {
                        pairs++;
                        wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                    }
            Assert.Equal(wins / pairs, Metrics.RocAuc(scores, labels), 12);
        }
    }

    [Fact]
    public void Roc_auc_errors()
    {
        var e = Assert.Throws<ArgumentException>(() => Metrics.RocAuc([0.1f, 0.2f], [1, 1]));
        Assert.Contains("needs both classes", e.Message);
        Assert.Throws<ArgumentException>(() => Metrics.RocAuc([0.1f, 0.2f], [0, 2]));
        Assert.Throws<ArgumentException>(() => Metrics.RocAuc([0.1f, float.NaN], [0, 1]));
        Assert.Throws<ArgumentException>(() => Metrics.RocAuc([0.1f], [0, 1]));
    }

    [Fact]
    public void Mean_absolute_error_matches_hand_value()
    {
        // sklearn's doc example: mean_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.5.
        Assert.Equal(0.5, Metrics.MeanAbsoluteError([2.5f, 0f, 2f, 8f], [3f, -0.5f, 2f, 7f]), 12);
        Assert.Throws<ArgumentException>(() => Metrics.MeanAbsoluteError([1f], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => Metrics.MeanAbsoluteError([], []));
    }
}
