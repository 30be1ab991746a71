using System;
using System.Collections.Generic;
using System.IO;

namespace NetDsl.Serialization;

/// <summary>
/// A weight file could not be loaded: it is truncated, its header is malformed, or its tensors do not match the
/// model (missing, unexpected, wrong dtype or wrong shape). The message says what is wrong and what to do about it.
/// When this is thrown, the destination parameter buffer has not been modified. It derives from <see cref="IOException"/>
/// (<see cref="InvalidDataException"/> is sealed), so code that handles I/O failures of a load handles it too.
/// </summary>
public sealed class WeightFileException : IOException
{
    /// <summary>Creates an exception with the given message and optional details.</summary>
    /// <param name="message">What is wrong and what to do about it.</param>
    /// <param name="tensorName">The tensor concerned, if the error is about one tensor.</param>
    /// <param name="expectedShape">The shape the model expects for <paramref name="tensorName"/>, if relevant.</param>
    /// <param name="actualShape">The shape the file declares for <paramref name="tensorName"/>, if relevant.</param>
    /// <param name="filePath">The full path of the file, when it was loaded from a path.</param>
    /// <param name="innerException">The underlying error, such as a JSON parse error.</param>
    public WeightFileException(
        string message,
        string? tensorName = null,
        IReadOnlyList<int>? expectedShape = null,
        IReadOnlyList<long>? actualShape = null,
        string? filePath = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        TensorName = tensorName;
        ExpectedShape = expectedShape;
        ActualShape = actualShape;
        FilePath = filePath;
    }

    /// <summary>The tensor concerned (the first one, when several are listed in the message), or null.</summary>
    public string? TensorName { get; }

    /// <summary>The shape the model expects for <see cref="TensorName"/>, when the error is a shape mismatch.</summary>
    public IReadOnlyList<int>? ExpectedShape { get; }

    /// <summary>The shape declared in the file for <see cref="TensorName"/>, when known.</summary>
    public IReadOnlyList<long>? ActualShape { get; }

    /// <summary>The full path of the weight file, when it was loaded from a path; otherwise null.</summary>
    public string? FilePath { get; }

    internal WeightFileException WithPath(string fullPath)
        => new($"Cannot load weight file '{fullPath}': {Message}", TensorName, ExpectedShape, ActualShape, fullPath, this);
}
