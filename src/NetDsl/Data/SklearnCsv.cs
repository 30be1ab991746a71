using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace NetDsl.Data;

/// <summary>
/// Loads the classification CSV files shipped with scikit-learn (<c>iris.csv</c>, <c>digits.csv.gz</c>,
/// <c>wine_data.csv</c>, <c>breast_cancer.csv</c>) as a <see cref="Dataset"/> with one-hot targets.
/// </summary>
/// <remarks>
/// <para>
/// Format: comma-separated lines, each holding the features and then the integer class label. Most files start
/// with a header line <c>n_samples,n_features,class names...</c> (for example <c>150,4,setosa,versicolor,virginica</c>);
/// <c>digits.csv.gz</c> has no header. The first line is taken as a header exactly when one of its fields is not a
/// number (the class names). With a header, the number of data rows and of features must equal the announced
/// <c>n_samples</c> and <c>n_features</c>, and the class count is the number of class names.
/// Without a header, every line must have the same number of fields and the class count is the largest label + 1
/// unless given.
/// </para>
/// <para>
/// A name ending in <c>.gz</c> is decompressed and checked against the gzip trailer, so a truncated file is
/// an error. Blank lines are ignored. Nothing is truncated or padded: any inconsistency throws
/// <see cref="InvalidDataException"/> naming the file, the line (1-based) and, for a bad value, the column (1-based).
/// </para>
/// </remarks>
public static class SklearnCsv
{
    internal const string Hint =
        "The sklearn CSV files (iris.csv, digits.csv.gz, wine_data.csv, breast_cancer.csv) come from the Debian package " +
        "python3-sklearn (sklearn/datasets/data); this repository ships copies in samples/data/tabular and tests/data/tabular. " +
        "Check the path and that the file is copied to the output directory.";

    /// <summary>Loads a scikit-learn classification CSV file (see the remarks for the format and checks).</summary>
    /// <param name="path">The file; decompressed when the name ends with <c>.gz</c>.</param>
    /// <param name="classCount">
    /// The number of classes, when known. With a header it must equal the number of class names; without one it
    /// replaces the default (largest label + 1), and every label must be below it.
    /// </param>
    /// <exception cref="FileNotFoundException">The file does not exist (the message gives the full path and where the data comes from).</exception>
    /// <exception cref="InvalidDataException">The file is malformed, truncated or inconsistent with its header.</exception>
    public static Dataset Load(string path, int? classCount = null)
    {
        if (classCount is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "The class count must be at least 1.");
        }

        string file = Path.GetFullPath(path);
        using StreamReader reader = DataFile.OpenText(file, Hint);

        int lineNumber = 0;
        string? line;
        do
        {
            line = reader.ReadLine();
            lineNumber++;
        }
        while (line is not null && string.IsNullOrWhiteSpace(line));

        if (line is null)
        {
            throw new InvalidDataException($"'{file}' holds no data (it is empty or blank).");
        }

        int featureCount = -1, announcedSamples = -1, headerLine = 0;
        int classes = classCount ?? 0;
        if (IsHeader(line))
        {
            headerLine = lineNumber;
            (announcedSamples, featureCount, int names) = ParseHeader(line, file, lineNumber);
            if (classCount is not null && classCount != names)
            {
                throw new InvalidDataException($"'{file}' line {lineNumber}: the header names {names} classes but classCount {classCount} was requested.");
            }

            classes = names;
            line = reader.ReadLine();
            lineNumber++;
        }

        var features = new List<float>(announcedSamples > 0 ? announcedSamples * featureCount : 1024);
        var labels = new List<int>(announcedSamples > 0 ? announcedSamples : 256);
        int firstDataLine = 0;
        for (; line is not null; line = reader.ReadLine(), lineNumber++)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (firstDataLine == 0)
            {
                firstDataLine = lineNumber;
            }

            int fields = CountFields(line);
            if (featureCount < 0)
            {
                if (fields < 2)
                {
                    throw new InvalidDataException($"'{file}' line {lineNumber}: found {fields} field; a row needs at least one feature and the label.");
                }

                featureCount = fields - 1;
            }
            else if (fields != featureCount + 1)
            {
                string origin = headerLine > 0
                    ? $"the header (line {headerLine}) announces {featureCount} features"
                    : $"line {firstDataLine} has {featureCount} features";
                throw new InvalidDataException(
                    $"'{file}' line {lineNumber}: found {fields} fields but expected {featureCount + 1} ({featureCount} features and the label): {origin}.");
            }

            ParseRow(line, file, lineNumber, featureCount, features, labels, headerLine > 0 ? classes : classCount);
        }

        if (labels.Count == 0)
        {
            throw new InvalidDataException($"'{file}' has no data rows.");
        }

        if (headerLine > 0 && labels.Count != announcedSamples)
        {
            throw new InvalidDataException(
                $"'{file}': the header (line {headerLine}) announces {announcedSamples} samples but {labels.Count} data rows were read " +
                $"(lines {firstDataLine}..{lineNumber - 1}).");
        }

        if (classes == 0)
        {
            int max = 0;
            foreach (int label in labels)
            {
                max = Math.Max(max, label);
            }

            classes = max + 1;
        }

        return Dataset.FromOwnedArrays(features.ToArray(), featureCount, labels.ToArray(), classes);
    }

    private static bool IsHeader(string line)
    {
        foreach (Range field in line.AsSpan().Split(','))
        {
            if (!DataFile.TryParseFinite(line.AsSpan()[field], out _))
            {
                return true;
            }
        }

        return false;
    }

    private static (int Samples, int Features, int ClassNames) ParseHeader(string line, string file, int lineNumber)
    {
        int index = 0, samples = -1, features = -1;
        ReadOnlySpan<char> text = line;
        foreach (Range range in text.Split(','))
        {
            ReadOnlySpan<char> field = text[range];
            if (index < 2)
            {
                if (!int.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < (index == 0 ? 0 : 1))
                {
                    string what = index == 0 ? "n_samples (a count >= 0)" : "n_features (a count >= 1)";
                    throw new InvalidDataException(
                        $"'{file}' line {lineNumber}, column {index + 1}: {DataFile.Quote(field)} is not a valid {what}; " +
                        "the header must be 'n_samples,n_features,class names...'.");
                }

                if (index == 0)
                {
                    samples = value;
                }
                else
                {
                    features = value;
                }
            }

            index++;
        }

        if (index < 3)
        {
            throw new InvalidDataException(
                $"'{file}' line {lineNumber}: the header has {index} fields; it must be 'n_samples,n_features,class names...' with at least one class name.");
        }

        return (samples, features, index - 2);
    }

    private static int CountFields(string line) => line.AsSpan().Count(',') + 1;

    private static void ParseRow(string line, string file, int lineNumber, int featureCount, List<float> features, List<int> labels, int? classCount)
    {
        ReadOnlySpan<char> text = line;
        int column = 0;
        foreach (Range range in text.Split(','))
        {
            ReadOnlySpan<char> field = text[range];
            column++;
            if (column <= featureCount)
            {
                if (!DataFile.TryParseFinite(field, out float value))
                {
                    throw new InvalidDataException($"'{file}' line {lineNumber}, column {column}: {DataFile.Quote(field)} is not a finite number.");
                }

                features.Add(value);
            }
            else
            {
                if (!int.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out int label) || label < 0)
                {
                    throw new InvalidDataException(
                        $"'{file}' line {lineNumber}, column {column}: the label {DataFile.Quote(field)} is not a class index (an integer >= 0).");
                }

                if (classCount is int classes && label >= classes)
                {
                    throw new InvalidDataException(
                        $"'{file}' line {lineNumber}, column {column}: the label {label} is not below the class count {classes}.");
                }

                labels.Add(label);
            }
        }
    }
}
