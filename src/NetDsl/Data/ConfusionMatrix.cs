using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NetDsl.Data;

/// <summary>
/// The counts of a classifier's predictions: <c>this[actual, predicted]</c> is the number of samples of class
/// <c>actual</c> predicted as <c>predicted</c> (rows are the true classes, columns the predictions, as in
/// scikit-learn's <c>confusion_matrix</c>), with the per-class and macro-averaged precision, recall and F1 derived from it.
/// </summary>
/// <remarks>
/// <para>
/// For class <c>c</c>: precision = TP / (TP + FP) (column <c>c</c>), recall = TP / (TP + FN) (row <c>c</c>),
/// F1 = 2·precision·recall / (precision + recall). A ratio with a zero denominator is 0 (scikit-learn's
/// <c>zero_division=0</c>). Macro averages are the unweighted means over all classes, as scikit-learn's
/// <c>average="macro"</c> with every class listed.
/// </para>
/// <para>
/// Counting (<see cref="Add(int, int)"/>, <see cref="AddOutputs"/>, <see cref="AddThresholded"/>) allocates nothing, so one
/// matrix can be cleared and refilled batch by batch at every validation.
/// </para>
/// </remarks>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>An empty matrix for <paramref name="classCount"/> classes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is less than 1.</exception>
    public ConfusionMatrix(int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ClassCount = classCount;
        _counts = new long[classCount * classCount];
    }

    /// <summary>The matrix of predicted labels against true labels.</summary>
    /// <exception cref="ArgumentException">The spans differ in length or a label is out of range.</exception>
    public static ConfusionMatrix FromLabels(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted, int classCount)
    {
        var matrix = new ConfusionMatrix(classCount);
        if (actual.Length != predicted.Length)
        {
            throw new ArgumentException($"actual ({actual.Length} labels) and predicted ({predicted.Length} labels) must have the same length.", nameof(predicted));
        }

        for (int i = 0; i < actual.Length; i++)
        {
            matrix.Add(actual[i], predicted[i]);
        }

        return matrix;
    }

    /// <summary>The matrix of a model's outputs <c>[labels.Length, classCount]</c> (each row's <see cref="Metrics.ArgMax"/> is the prediction) against the labels.</summary>
    /// <exception cref="ArgumentException">The lengths disagree or a label is out of range.</exception>
    public static ConfusionMatrix FromOutputs(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int classCount)
    {
        var matrix = new ConfusionMatrix(classCount);
        matrix.AddOutputs(outputs, labels);
        return matrix;
    }

    /// <summary>The number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The number of samples counted.</summary>
    public long Total { get; private set; }

    /// <summary>The number of samples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int actual, int predicted]
    {
        get
        {
            CheckClass(actual, nameof(actual));
            CheckClass(predicted, nameof(predicted));
            return _counts[actual * ClassCount + predicted];
        }
    }

    /// <summary>Counts one sample of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A class is outside <c>0 .. ClassCount - 1</c> (a prediction of -1, from a row of NaN, included).</exception>
    public void Add(int actual, int predicted)
    {
        CheckClass(actual, nameof(actual));
        CheckClass(predicted, nameof(predicted));
        _counts[actual * ClassCount + predicted]++;
        Total++;
    }

    /// <summary>
    /// Counts a batch of model outputs, row-major <c>[labels.Length, ClassCount]</c>: the prediction is each row's
    /// <see cref="Metrics.ArgMax"/>. A row of only NaN has no prediction and is an error.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths disagree.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is out of range, or a row holds only NaN.</exception>
    public void AddOutputs(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels)
    {
        if (outputs.Length != (long)labels.Length * ClassCount)
        {
            throw new ArgumentException(
                $"outputs has {outputs.Length} values but labels.Length × ClassCount = {labels.Length} × {ClassCount} = {(long)labels.Length * ClassCount}.",
                nameof(outputs));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            Add(labels[i], Metrics.ArgMax(outputs.Slice(i * ClassCount, ClassCount)));
        }
    }

    /// <summary>
    /// Counts a batch of binary scores, one per sample (a sigmoid probability, or a logit with threshold 0): the
    /// prediction is class 1 when <c>score ≥ threshold</c>, else class 0. Needs <see cref="ClassCount"/> = 2.
    /// </summary>
    /// <exception cref="InvalidOperationException">The matrix is not for 2 classes.</exception>
    /// <exception cref="ArgumentException">The lengths disagree or a score is NaN.</exception>
    public void AddThresholded(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, float threshold)
    {
        if (ClassCount != 2)
        {
            throw new InvalidOperationException($"Thresholded scores give 2 classes but this matrix has {ClassCount}.");
        }

        if (scores.Length != labels.Length)
        {
            throw new ArgumentException($"scores ({scores.Length} values) and labels ({labels.Length}) must have the same length.", nameof(scores));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (float.IsNaN(scores[i]))
            {
                throw new ArgumentException($"scores[{i}] is NaN.", nameof(scores));
            }

            Add(labels[i], scores[i] >= threshold ? 1 : 0);
        }
    }

    /// <summary>Sets every count to 0.</summary>
    public void Clear()
    {
        Array.Clear(_counts);
        Total = 0;
    }

    /// <summary>The fraction of samples on the diagonal; 0 when nothing was counted.</summary>
    public double Accuracy
    {
        get
        {
            long correct = 0;
            for (int c = 0; c < ClassCount; c++)
            {
                correct += _counts[c * ClassCount + c];
            }

            return Ratio(correct, Total);
        }
    }

    /// <summary>The number of samples of class <paramref name="c"/> (row sum, TP + FN).</summary>
    public long Support(int c)
    {
        CheckClass(c, nameof(c));
        long sum = 0;
        for (int p = 0; p < ClassCount; p++)
        {
            sum += _counts[c * ClassCount + p];
        }

        return sum;
    }

    /// <summary>The number of samples predicted as class <paramref name="c"/> (column sum, TP + FP).</summary>
    public long Predicted(int c)
    {
        CheckClass(c, nameof(c));
        long sum = 0;
        for (int a = 0; a < ClassCount; a++)
        {
            sum += _counts[a * ClassCount + c];
        }

        return sum;
    }

    /// <summary>TP / (TP + FP) of class <paramref name="c"/>: of the samples predicted as <c>c</c>, the fraction that are <c>c</c>.</summary>
    public double Precision(int c) => Ratio(this[c, c], Predicted(c));

    /// <summary>TP / (TP + FN) of class <paramref name="c"/>: of the samples of class <c>c</c>, the fraction found.</summary>
    public double Recall(int c) => Ratio(this[c, c], Support(c));

    /// <summary>The harmonic mean of precision and recall of class <paramref name="c"/>, <c>2TP / (2TP + FP + FN)</c>.</summary>
    public double F1(int c) => Ratio(2 * this[c, c], Predicted(c) + Support(c));

    /// <summary>The mean of <see cref="Precision"/> over all classes.</summary>
    public double MacroPrecision => Macro(Precision);

    /// <summary>The mean of <see cref="Recall"/> over all classes.</summary>
    public double MacroRecall => Macro(Recall);

    /// <summary>The mean of <see cref="F1"/> over all classes.</summary>
    public double MacroF1 => Macro(F1);

    private double Macro(Func<int, double> metric)
    {
        double sum = 0;
        for (int c = 0; c < ClassCount; c++)
        {
            sum += metric(c);
        }

        return sum / ClassCount;
    }

    private static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    private void CheckClass(int c, string name)
    {
        if ((uint)c >= (uint)ClassCount)
        {
            throw new ArgumentOutOfRangeException(name, c, $"Classes are 0..{ClassCount - 1}.");
        }
    }

    /// <summary>The table with class indices as names (see <see cref="ToString(IReadOnlyList{string})"/>).</summary>
    public override string ToString() => ToString(null);

    /// <summary>
    /// A plain-text table: one row per true class with its counts per predicted class, then its support, precision,
    /// recall and F1; a last line gives the accuracy and the macro averages. For example:
    /// <code>
    /// actual \ predicted   cat   dog | support precision recall     f1
    /// cat                    8     2 |      10     0.889  0.800  0.842
    /// dog                    1     9 |      10     0.818  0.900  0.857
    /// accuracy 0.850 | macro precision 0.854  recall 0.850  f1 0.850
    /// </code>
    /// </summary>
    /// <param name="classNames">A name per class; null for the indices.</param>
    /// <exception cref="ArgumentException"><paramref name="classNames"/> does not have <see cref="ClassCount"/> names.</exception>
    public string ToString(IReadOnlyList<string>? classNames)
    {
        if (classNames is not null && classNames.Count != ClassCount)
        {
            throw new ArgumentException($"Expected {ClassCount} class names but got {classNames.Count}.", nameof(classNames));
        }

        CultureInfo invariant = CultureInfo.InvariantCulture;
        string Name(int c) => classNames?[c] ?? c.ToString(invariant);
        const string corner = "actual \\ predicted";
        int nameWidth = corner.Length, cellWidth = 5;
        for (int c = 0; c < ClassCount; c++)
        {
            nameWidth = Math.Max(nameWidth, Name(c).Length);
            cellWidth = Math.Max(cellWidth, Name(c).Length);
            for (int p = 0; p < ClassCount; p++)
            {
                cellWidth = Math.Max(cellWidth, _counts[c * ClassCount + p].ToString(invariant).Length);
            }
        }

        var text = new StringBuilder();
        text.Append(corner.PadRight(nameWidth));
        for (int p = 0; p < ClassCount; p++)
        {
            text.Append(' ').Append(Name(p).PadLeft(cellWidth));
        }

        text.Append(" | support precision recall     f1\n");
        for (int c = 0; c < ClassCount; c++)
        {
            text.Append(Name(c).PadRight(nameWidth));
            for (int p = 0; p < ClassCount; p++)
            {
                text.Append(' ').Append(_counts[c * ClassCount + p].ToString(invariant).PadLeft(cellWidth));
            }

            text.Append(" | ").Append(Support(c).ToString(invariant).PadLeft(7))
                .Append(' ').Append(Precision(c).ToString("F3", invariant).PadLeft(9))
                .Append(' ').Append(Recall(c).ToString("F3", invariant).PadLeft(6))
                .Append(' ').Append(F1(c).ToString("F3", invariant).PadLeft(6)).Append('\n');
        }

        text.Append(invariant, $"accuracy {Accuracy:F3} | macro precision {MacroPrecision:F3}  recall {MacroRecall:F3}  f1 {MacroF1:F3}");
        return text.ToString();
    }
}
