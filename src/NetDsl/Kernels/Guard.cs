using System;

namespace NetDsl.Kernels;

/// <summary>Argument checks shared by the kernels, with messages that say what was expected.</summary>
internal static class Guard
{
    /// <summary>Throws unless <paramref name="actual"/> is <paramref name="rows"/>·<paramref name="columns"/>.</summary>
    /// <param name="actual">The span's length.</param>
    /// <param name="rows">The number of rows the sizes imply.</param>
    /// <param name="columns">The number of columns the sizes imply.</param>
    /// <param name="parameterName">The span's parameter name.</param>
    /// <param name="shape">The names of the sizes, such as <c>"m·k"</c> (a constant, so nothing is formatted unless it throws).</param>
    public static void Length(int actual, int rows, int columns, string parameterName, string shape)
    {
        if (actual != (long)rows * columns)
        {
            throw new ArgumentException($"Expected length {(long)rows * columns} ({shape} = {rows}·{columns}) but got {actual}.", parameterName);
        }
    }

    /// <summary>Throws if any size is negative.</summary>
    public static void Sizes(int m, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
    }

    /// <summary>Throws unless <paramref name="actual"/> equals <paramref name="expected"/> (a span that must match another).</summary>
    public static void SameLength(int actual, int expected, string parameterName, string otherName)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"Expected length {expected} (the length of {otherName}) but got {actual}.", parameterName);
        }
    }

    /// <summary>Throws unless <paramref name="length"/> is a whole number of rows of <paramref name="rowLength"/> elements.</summary>
    public static void Rows(int length, int rowLength, string parameterName, string rowLengthName)
    {
        if (rowLength <= 0)
        {
            throw new ArgumentOutOfRangeException(rowLengthName, rowLength, "The row length must be positive.");
        }
        if (length % rowLength != 0)
        {
            throw new ArgumentException($"Expected a whole number of rows of {rowLength} elements but got length {length}.", parameterName);
        }
    }
}
