using System;
using System.IO;

namespace NetDsl.Serialization;

/// <summary>Where one named tensor lives in a model's flat parameter buffer.</summary>
/// <param name="Name">The tensor's name in weight files, such as <c>0.weight</c>.</param>
/// <param name="Offset">The index of its first element in the parameter buffer.</param>
/// <param name="Shape">Its row-major shape, such as <c>[out, in]</c>.</param>
public sealed record ParameterTensor(string Name, int Offset, int[] Shape);

/// <summary>Reads and writes parameters in the safetensors format (JSON header, raw little-endian F32 data).</summary>
public static class SafeTensors
{
    /// <summary>Writes the given tensors of <paramref name="parameters"/> to <paramref name="destination"/>.</summary>
    public static void Save(Stream destination, ReadOnlySpan<float> parameters, ReadOnlySpan<ParameterTensor> tensors)
        => throw new NotImplementedException();

    /// <summary>
    /// Reads every tensor of <paramref name="tensors"/> from <paramref name="source"/> into <paramref name="parameters"/>.
    /// The whole file is checked before anything is written: on any error <paramref name="parameters"/> is unchanged.
    /// </summary>
    public static void Load(Stream source, Span<float> parameters, ReadOnlySpan<ParameterTensor> tensors)
        => throw new NotImplementedException();
}
