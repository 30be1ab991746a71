using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace NetDsl.Data;

/// <summary>Options of <see cref="Csv"/>.</summary>
public sealed record CsvOptions
{
    /// <summary>The field separator; <c>','</c> by default (use <c>';'</c> or <c>'\t'</c> for other dialects).</summary>
    public char Separator { get; init; } = ',';

    /// <summary>
    /// What a missing feature becomes. A field is missing when it is empty or blank, or equal to one of
    /// <see cref="MissingMarkers"/>. Null (the default) makes a missing feature an error naming the file, line and
    /// column: nothing is imputed silently. Set it, for example to <see cref="float.NaN"/>, to keep the rows and impute
    /// later. A missing target or label is always an error.
    /// </summary>
    public float? MissingValue { get; init; }

    /// <summary>Further spellings of a missing value besides an empty field, such as <c>"NA"</c> or <c>"?"</c> (compared ordinally); none by default.</summary>
    public IReadOnlyList<string> MissingMarkers { get; init; } = [];
}

/// <summary>
/// Loads a CSV file with a header line of column names (RFC 4180 style: fields may be quoted with <c>"</c>, a quote
/// inside doubled), choosing the feature columns and the target column by name. Numbers are parsed with the invariant
/// culture (<c>1.5</c>, <c>-2e-3</c>).
/// </summary>
/// <remarks>
/// <para>
/// Only the chosen columns are parsed, so other columns may hold text (names, dates). A name ending in <c>.gz</c> is
/// decompressed. Blank lines are ignored; a quoted field cannot span lines. Every error
/// (<see cref="InvalidDataException"/>) names the file, the line and the column (1-based, with its name), and says what
/// to do. Missing values are errors unless <see cref="CsvOptions.MissingValue"/> is set.
/// </para>
/// <para>
/// The scikit-learn CSV files (<c>iris.csv</c>, <c>wine_data.csv</c>, <c>breast_cancer.csv</c>, ...) have a different
/// first line (<c>n_samples,n_features,class names</c>); load them with <see cref="SklearnCsv"/>.
/// </para>
/// </remarks>
public static class Csv
{
    /// <summary>The column names of the header line, in file order.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or its header is malformed.</exception>
    public static IReadOnlyList<string> ReadHeader(string path, CsvOptions? options = null)
    {
        options ??= new CsvOptions();
        string file = Path.GetFullPath(path);
        using StreamReader reader = DataFile.OpenText(file, Hint);
        return ReadHeaderLine(reader, file, options.Separator, out _);
    }

    /// <summary>
    /// Loads a regression dataset: the features from <paramref name="featureColumns"/> and one real target from
    /// <paramref name="targetColumn"/>.
    /// </summary>
    /// <param name="path">The CSV file; decompressed when the name ends with <c>.gz</c>.</param>
    /// <param name="featureColumns">The feature columns, in the order wanted; null for every column except the target.</param>
    /// <param name="targetColumn">The target column.</param>
    /// <param name="options">The separator and the handling of missing values; null for the defaults.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A column is unknown, a row has the wrong number of fields, or a value is not a number or is missing.</exception>
    public static Dataset LoadRegression(string path, IReadOnlyList<string>? featureColumns, string targetColumn, CsvOptions? options = null)
    {
        Table table = Read(path, featureColumns, targetColumn, options ?? new CsvOptions(), labels: null);
        return Dataset.FromOwnedArrays(table.Features, table.FeatureCount, table.Targets, 1);
    }

    /// <summary>
    /// Loads a classification dataset (one-hot targets): the features from <paramref name="featureColumns"/> and the
    /// class of each row from <paramref name="labelColumn"/>.
    /// </summary>
    /// <param name="path">The CSV file; decompressed when the name ends with <c>.gz</c>.</param>
    /// <param name="featureColumns">The feature columns, in the order wanted; null for every column except the label.</param>
    /// <param name="labelColumn">The label column.</param>
    /// <param name="classNames">
    /// The class names in class-index order, when the labels are written as names (such as <c>sun</c>, <c>rain</c>);
    /// null when they are integer class indices <c>0, 1, ...</c>, the class count then being the largest label + 1.
    /// </param>
    /// <param name="options">The separator and the handling of missing features; null for the defaults.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A column is unknown, a row has the wrong number of fields, a value is not a number or is missing, or a label is not a class.</exception>
    public static Dataset LoadClassification(string path, IReadOnlyList<string>? featureColumns, string labelColumn, IReadOnlyList<string>? classNames = null, CsvOptions? options = null)
    {
        if (classNames is { Count: 0 })
        {
            throw new ArgumentException("classNames is empty; pass null for integer labels.", nameof(classNames));
        }

        Table table = Read(path, featureColumns, labelColumn, options ?? new CsvOptions(), classNames ?? []);
        int classCount = classNames?.Count ?? 0;
        foreach (int label in table.Labels!)
        {
            classCount = Math.Max(classCount, label + 1);
        }

        return Dataset.FromOwnedArrays(table.Features, table.FeatureCount, table.Labels!, classCount);
    }

    private const string Hint = "Check the path and that the file is copied to the output directory.";

    private sealed record Table(float[] Features, int FeatureCount, float[] Targets, int[]? Labels);

    /// <summary>Reads the chosen columns; <paramref name="labels"/> is null for a real target, else the class names (empty for indices).</summary>
    private static Table Read(string path, IReadOnlyList<string>? featureColumns, string targetColumn, CsvOptions options, IReadOnlyList<string>? labels)
    {
        ArgumentNullException.ThrowIfNull(targetColumn);
        string file = Path.GetFullPath(path);
        using StreamReader reader = DataFile.OpenText(file, Hint);
        List<string> header = ReadHeaderLine(reader, file, options.Separator, out int lineNumber);

        int target = FindColumn(header, targetColumn, file);
        int[] features;
        if (featureColumns is null)
        {
            features = new int[header.Count - 1];
            for (int c = 0, k = 0; c < header.Count; c++)
            {
                if (c != target)
                {
                    features[k++] = c;
                }
            }
        }
        else
        {
            features = new int[featureColumns.Count];
            for (int k = 0; k < features.Length; k++)
            {
                features[k] = FindColumn(header, featureColumns[k], file);
                if (features[k] == target)
                {
                    throw new ArgumentException($"'{targetColumn}' is both the target and a feature column; a model would just copy it.", nameof(featureColumns));
                }
            }
        }

        if (features.Length == 0)
        {
            throw new InvalidDataException($"'{file}': no feature column is left besides the target '{targetColumn}'.");
        }

        var values = new List<float>(4096);
        var targets = new List<float>(512);
        var classes = new List<int>(512);
        var fields = new List<string>(header.Count);
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            SplitFields(line, options.Separator, file, lineNumber, fields);
            if (fields.Count != header.Count)
            {
                throw new InvalidDataException(
                    $"'{file}' line {lineNumber}: found {fields.Count} fields but the header has {header.Count} columns. " +
                    $"Check for a missing or extra '{options.Separator}', or a separator inside an unquoted field.");
            }

            foreach (int c in features)
            {
                values.Add(ParseNumber(fields[c], header, c, file, lineNumber, options, isTarget: false));
            }

            if (labels is null)
            {
                targets.Add(ParseNumber(fields[target], header, target, file, lineNumber, options, isTarget: true));
            }
            else
            {
                classes.Add(ParseLabel(fields[target], header, target, file, lineNumber, options, labels));
            }
        }

        int rows = labels is null ? targets.Count : classes.Count;
        if (rows == 0)
        {
            throw new InvalidDataException($"'{file}' has a header but no data rows.");
        }

        return new Table(values.ToArray(), features.Length, targets.ToArray(), labels is null ? null : classes.ToArray());
    }

    private static List<string> ReadHeaderLine(StreamReader reader, string file, char separator, out int lineNumber)
    {
        lineNumber = 0;
        string? line;
        do
        {
            line = reader.ReadLine();
            lineNumber++;
        }
        while (line is not null && string.IsNullOrWhiteSpace(line));

        if (line is null)
        {
            throw new InvalidDataException($"'{file}' holds no data (it is empty or blank); a CSV needs a header line of column names.");
        }

        var header = new List<string>();
        SplitFields(line, separator, file, lineNumber, header);
        for (int c = 0; c < header.Count; c++)
        {
            header[c] = header[c].Trim();
        }

        return header;
    }

    private static int FindColumn(List<string> header, string name, string file)
    {
        int found = -1;
        for (int c = 0; c < header.Count; c++)
        {
            if (string.Equals(header[c], name, StringComparison.Ordinal))
            {
                if (found >= 0)
                {
                    throw new InvalidDataException($"'{file}': the column name '{name}' appears twice in the header (columns {found + 1} and {c + 1}); rename one.");
                }

                found = c;
            }
        }

        if (found < 0)
        {
            string suggestion = "";
            foreach (string candidate in header)
            {
                if (string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase))
                {
                    suggestion = $" Names are case-sensitive: did you mean '{candidate}'?";
                }
            }

            throw new InvalidDataException($"'{file}' has no column '{name}'.{suggestion} Its columns are: {string.Join(", ", header.ConvertAll(h => $"'{h}'"))}.");
        }

        return found;
    }

    private static bool IsMissing(string field, CsvOptions options)
    {
        if (string.IsNullOrWhiteSpace(field))
        {
            return true;
        }

        foreach (string marker in options.MissingMarkers)
        {
            if (string.Equals(field.Trim(), marker, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string Where(string file, int lineNumber, List<string> header, int column)
        => $"'{file}' line {lineNumber}, column {column + 1} ('{header[column]}')";

    private static float ParseNumber(string field, List<string> header, int column, string file, int lineNumber, CsvOptions options, bool isTarget)
    {
        if (IsMissing(field, options))
        {
            if (!isTarget && options.MissingValue is float replacement)
            {
                return replacement;
            }

            string what = field.Trim().Length == 0 ? "empty" : $"'{field.Trim()}', a missing-value marker";
            throw new InvalidDataException(
                $"{Where(file, lineNumber, header, column)}: the value is missing ({what}). NetDsl does not impute silently: " +
                (isTarget
                    ? "drop the rows without a target first."
                    : "fill or drop such rows first, choose other columns, or set CsvOptions.MissingValue (for example float.NaN) to keep them for a later imputation step."));
        }

        if (!DataFile.TryParseFinite(field, out float value))
        {
            throw new InvalidDataException(
                $"{Where(file, lineNumber, header, column)}: {DataFile.Quote(field)} is not a finite number " +
                "(numbers use the invariant culture: '.' for decimals, no thousands separator). Leave text columns out of the features.");
        }

        return value;
    }

    private static int ParseLabel(string field, List<string> header, int column, string file, int lineNumber, CsvOptions options, IReadOnlyList<string> classNames)
    {
        if (IsMissing(field, options))
        {
            throw new InvalidDataException($"{Where(file, lineNumber, header, column)}: the label is missing. Drop the rows without a label first.");
        }

        string text = field.Trim();
        if (classNames.Count > 0)
        {
            for (int c = 0; c < classNames.Count; c++)
            {
                if (string.Equals(classNames[c], text, StringComparison.Ordinal))
                {
                    return c;
                }
            }

            throw new InvalidDataException(
                $"{Where(file, lineNumber, header, column)}: the label {DataFile.Quote(text)} is not one of the class names {string.Join(", ", ClassList(classNames))}.");
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int label) || label < 0)
        {
            throw new InvalidDataException(
                $"{Where(file, lineNumber, header, column)}: the label {DataFile.Quote(text)} is not a class index (an integer >= 0). " +
                "If the labels are names, pass them as classNames.");
        }

        return label;
    }

    private static IEnumerable<string> ClassList(IReadOnlyList<string> names)
    {
        foreach (string name in names)
        {
            yield return $"'{name}'";
        }
    }

    /// <summary>Splits one line into fields, unquoting <c>"..."</c> fields (with <c>""</c> for a quote inside).</summary>
    private static void SplitFields(string line, char separator, string file, int lineNumber, List<string> fields)
    {
        fields.Clear();
        var field = new StringBuilder();
        int i = 0;
        while (true)
        {
            field.Clear();
            // Leading spaces before an opening quote are allowed.
            int start = i;
            while (i < line.Length && line[i] == ' ')
            {
                i++;
            }

            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new InvalidDataException(
                            $"'{file}' line {lineNumber}, column {fields.Count + 1}: a quoted field is not closed on this line (fields spanning lines are not supported).");
                    }

                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(line[i++]);
                }

                while (i < line.Length && line[i] == ' ')
                {
                    i++;
                }

                if (i < line.Length && line[i] != separator)
                {
                    throw new InvalidDataException($"'{file}' line {lineNumber}, column {fields.Count + 1}: unexpected text after a closing quote.");
                }
            }
            else
            {
                i = start;
                while (i < line.Length && line[i] != separator)
                {
                    field.Append(line[i++]);
                }
            }

            fields.Add(field.ToString());
            if (i >= line.Length)
            {
                return;
            }

            i++; // the separator
        }
    }
}
