using System;
using System.Collections.Generic;
using System.IO;

namespace NetDsl.Data;

/// <summary>
/// Loads regression data stored as two delimited text files without header: one with the features and one with
/// the targets, line <c>i</c> of each describing sample <c>i</c> (such as scikit-learn's
/// <c>diabetes_data_raw.csv.gz</c> and <c>diabetes_target.csv.gz</c>).
/// </summary>
/// <remarks>
/// Every line of a file must have the same number of fields, each a finite number in the invariant culture
/// (<c>1.5</c>, <c>1.51e+02</c>); both files must have the same number of lines. Blank lines are ignored.
/// A name ending in <c>.gz</c> is decompressed and checked against the gzip trailer. Any inconsistency throws
/// <see cref="InvalidDataException"/> naming the file, the line and the column (1-based).
/// </remarks>
public static class DelimitedText
{
    private const string Hint =
        "The diabetes files (diabetes_data_raw.csv.gz, diabetes_target.csv.gz) come from the Debian package python3-sklearn " +
        "(sklearn/datasets/data); this repository ships copies in samples/data/tabular and tests/data/tabular. " +
        "Check the path and that the file is copied to the output directory.";

    /// <summary>Loads a regression dataset from a features file and a targets file.</summary>
    /// <param name="featuresPath">One sample per line, its features separated by <paramref name="separator"/>.</param>
    /// <param name="targetsPath">One sample per line, its targets (usually one) separated by <paramref name="separator"/>.</param>
    /// <param name="separator">The field separator, or null for runs of spaces and tabs.</param>
    /// <exception cref="FileNotFoundException">A file does not exist (the message gives the full path).</exception>
    /// <exception cref="InvalidDataException">A file is malformed or truncated, or the files hold different numbers of samples.</exception>
    public static Dataset Load(string featuresPath, string targetsPath, char? separator = null)
    {
        (float[] features, int rows, int featureCount) = ReadMatrix(featuresPath, separator);
        (float[] targets, int targetRows, int targetCount) = ReadMatrix(targetsPath, separator);
        if (rows != targetRows)
        {
            throw new InvalidDataException(
                $"'{Path.GetFullPath(featuresPath)}' holds {rows} samples but '{Path.GetFullPath(targetsPath)}' holds {targetRows} target rows; they must match line for line.");
        }

        return Dataset.FromOwnedArrays(features, featureCount, targets, targetCount);
    }

    /// <summary>Reads a rectangular table of numbers: row-major values, row count and column count.</summary>
    internal static (float[] Values, int Rows, int Columns) ReadMatrix(string path, char? separator)
    {
        string file = Path.GetFullPath(path);
        using StreamReader reader = DataFile.OpenText(file, Hint);
        var values = new List<float>(4096);
        int columns = -1, rows = 0, firstLine = 0, lineNumber = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            int before = values.Count;
            ParseLine(line, separator, file, lineNumber, values);
            int fields = values.Count - before;
            if (columns < 0)
            {
                columns = fields;
                firstLine = lineNumber;
            }
            else if (fields != columns)
            {
                throw new InvalidDataException($"'{file}' line {lineNumber}: found {fields} fields but line {firstLine} has {columns}.");
            }

            rows++;
        }

        if (rows == 0)
        {
            throw new InvalidDataException($"'{file}' holds no data (it is empty or blank).");
        }

        return (values.ToArray(), rows, columns);
    }

    private static void ParseLine(string line, char? separator, string file, int lineNumber, List<float> values)
    {
        ReadOnlySpan<char> text = line;
        int column = 0;
        if (separator is char sep)
        {
            foreach (Range range in text.Split(sep))
            {
                Add(text[range], ++column);
            }

            return;
        }

        int i = 0;
        while (true)
        {
            while (i < text.Length && (text[i] == ' ' || text[i] == '\t'))
            {
                i++;
            }

            if (i == text.Length)
            {
                return;
            }

            int start = i;
            while (i < text.Length && text[i] != ' ' && text[i] != '\t')
            {
                i++;
            }

            Add(text[start..i], ++column);
        }

        void Add(ReadOnlySpan<char> field, int column)
        {
            if (!DataFile.TryParseFinite(field, out float value))
            {
                throw new InvalidDataException($"'{file}' line {lineNumber}, column {column}: {DataFile.Quote(field)} is not a finite number.");
            }

            values.Add(value);
        }
    }
}
