using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace NetDsl.Serialization;

/// <summary>The element type a tensor has in weight files. In memory every tensor lives in a float buffer.</summary>
public enum TensorDType
{
    /// <summary>float32, safetensors <c>"F32"</c>: weights, biases, running statistics.</summary>
    F32,

    /// <summary>
    /// int64, safetensors <c>"I64"</c>, for counters such as BatchNorm's <c>num_batches_tracked</c>. Only scalars
    /// (shape <c>[]</c>) are supported. In the float buffer the value is a whole number in
    /// <c>[0, 2²⁴]</c> (every such integer is exact in float32); saving or loading any other value is an error.
    /// </summary>
    I64,
}

/// <summary>Where one named tensor lives in a model's flat float buffer (its parameters, or its state).</summary>
/// <param name="Name">The tensor's name in weight files, such as <c>0.weight</c>.</param>
/// <param name="Offset">The index of its first element in the buffer.</param>
/// <param name="Shape">Its row-major shape, such as <c>[out, in]</c>; <c>[]</c> for a scalar (one element).</param>
/// <param name="DType">Its element type in weight files: <see cref="TensorDType.F32"/> (the default), or
/// <see cref="TensorDType.I64"/> for a scalar counter kept in the float buffer as a whole number.</param>
public sealed record ParameterTensor(string Name, int Offset, int[] Shape, TensorDType DType = TensorDType.F32);

/// <summary>
/// Reads and writes parameters in the safetensors format (JSON header, raw little-endian F32 data), compatible with
/// Hugging Face's <c>safetensors</c> package (<c>safetensors.torch.save_file</c> / <c>load_file</c>).
/// </summary>
/// <remarks>
/// <para>Layout: an 8-byte little-endian header length <c>N</c>, <c>N</c> bytes of UTF-8 JSON mapping each tensor name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets relative to the data section) plus an optional
/// <c>"__metadata__"</c> object of strings, then the raw tensor data.</para>
/// <para>Loading is strict, like PyTorch's <c>load_state_dict(strict=True)</c>: every requested tensor must be in the
/// file with the expected dtype (F32, or I64 for counters) and shape, and the file may hold no other tensors unless unexpected tensors are explicitly
/// ignored. The whole file is validated and read before the destination is written, so a failed load leaves the
/// parameters unchanged. Errors in the file are reported as <see cref="WeightFileException"/>.</para>
/// <para>A network with non-trainable state (BatchNorm's <c>running_mean</c>, <c>running_var</c> and
/// <c>num_batches_tracked</c>) keeps it in a second float buffer; the overloads taking <c>state</c> and
/// <c>stateTensors</c> save both buffers to one file, PyTorch's <c>state_dict</c>, and load both or neither.</para>
/// </remarks>
public static class SafeTensors
{
    /// <summary>The largest header accepted, in bytes (the limit of the reference implementation).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";
    private const int ChunkBytes = 1 << 16;
    private const int MaxNamesListed = 20;

    // ------------------------------------------------------------------ Save

    /// <summary>Writes the given tensors of <paramref name="parameters"/> to <paramref name="destination"/>.</summary>
    /// <param name="destination">A writable stream; it is not closed.</param>
    /// <param name="parameters">The model's flat parameter buffer.</param>
    /// <param name="tensors">The tensors to write, in file order.</param>
    /// <exception cref="ArgumentException">A tensor lies outside <paramref name="parameters"/>, has a negative dimension, or two tensors share a name.</exception>
    public static void Save(Stream destination, ReadOnlySpan<float> parameters, ReadOnlySpan<ParameterTensor> tensors)
        => Save(destination, parameters, tensors, metadata: null);

    /// <summary>
    /// Writes the given tensors of <paramref name="parameters"/> to <paramref name="destination"/>, with string
    /// metadata in the header's <c>__metadata__</c> object (for example <c>{"format": "pt"}</c>, which Hugging Face
    /// tools expect for PyTorch weights).
    /// </summary>
    /// <param name="destination">A writable stream; it is not closed.</param>
    /// <param name="parameters">The model's flat parameter buffer.</param>
    /// <param name="tensors">The tensors to write, in file order; their data is stored contiguously in that order.</param>
    /// <param name="metadata">Key/value strings to store, written in ordinal key order; null or empty for none.</param>
    /// <exception cref="ArgumentException">A tensor lies outside <paramref name="parameters"/>, has a negative dimension, or two tensors share a name; or metadata holds a null value.</exception>
    public static void Save(Stream destination, ReadOnlySpan<float> parameters, ReadOnlySpan<ParameterTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
        => Save(destination, parameters, tensors, [], [], metadata);

    /// <summary>
    /// Writes the tensors of a network's parameter buffer and of its state buffer (BatchNorm's running statistics and
    /// counters) to <paramref name="destination"/> as one file, like PyTorch's <c>state_dict</c>: the tensors of
    /// <paramref name="parameterTensors"/> first, then those of <paramref name="stateTensors"/>, each in list order.
    /// <see cref="TensorDType.I64"/> tensors are written as int64 scalars.
    /// </summary>
    /// <param name="destination">A writable stream; it is not closed.</param>
    /// <param name="parameters">The network's flat parameter buffer.</param>
    /// <param name="parameterTensors">The tensors of <paramref name="parameters"/> to write.</param>
    /// <param name="state">The network's flat state buffer.</param>
    /// <param name="stateTensors">The tensors of <paramref name="state"/> to write; names must differ from those of <paramref name="parameterTensors"/>.</param>
    /// <param name="metadata">Key/value strings for the header's <c>__metadata__</c> object; null or empty for none.</param>
    /// <exception cref="ArgumentException">A tensor lies outside its buffer, has a negative dimension, or two tensors
    /// share a name (across both lists); an I64 tensor is not a scalar or its value is not a whole number in [0, 2²⁴].
    /// Nothing is written to <paramref name="destination"/> then.</exception>
    public static void Save(Stream destination, ReadOnlySpan<float> parameters, ReadOnlySpan<ParameterTensor> parameterTensors,
        ReadOnlySpan<float> state, ReadOnlySpan<ParameterTensor> stateTensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
            throw new ArgumentException("The destination stream is not writable. Open it for writing (e.g. File.Create).", nameof(destination));

        var names = new HashSet<string>(StringComparer.Ordinal);
        int[] parameterCounts = ValidateTensorList(parameters.Length, parameterTensors, names, "parameter", nameof(parameters), nameof(parameterTensors));
        int[] stateCounts = ValidateTensorList(state.Length, stateTensors, names, "state", nameof(state), nameof(stateTensors));
        CheckCountersForSaving(parameters, parameterTensors, nameof(parameters));
        CheckCountersForSaving(state, stateTensors, nameof(state));
        byte[] header = BuildHeader(parameterTensors, parameterCounts, stateTensors, stateCounts, metadata);

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        destination.Write(length);
        destination.Write(header);

        byte[]? chunk = BitConverter.IsLittleEndian ? null : new byte[ChunkBytes];
        WriteData(destination, parameters, parameterTensors, parameterCounts, chunk);
        WriteData(destination, state, stateTensors, stateCounts, chunk);
    }

    private static void WriteData(Stream destination, ReadOnlySpan<float> buffer, ReadOnlySpan<ParameterTensor> tensors, int[] counts, byte[]? chunk)
    {
        Span<byte> integer = stackalloc byte[8];
        for (int i = 0; i < tensors.Length; i++)
        {
            ReadOnlySpan<float> values = buffer.Slice(tensors[i].Offset, counts[i]);
            if (tensors[i].DType == TensorDType.I64)
            {
                BinaryPrimitives.WriteInt64LittleEndian(integer, (long)values[0]); // a whole number in [0, 2^24], checked
                destination.Write(integer);
                continue;
            }
            if (chunk is null)
            {
                destination.Write(MemoryMarshal.AsBytes(values));
                continue;
            }
            while (!values.IsEmpty)
            {
                int n = Math.Min(values.Length, ChunkBytes / 4);
                EncodeLittleEndian(values[..n], chunk, allowFastPath: true);
                destination.Write(chunk, 0, n * 4);
                values = values[n..];
            }
        }
    }

    /// <summary>The largest counter an <see cref="TensorDType.I64"/> tensor may hold: 2²⁴, above which float32 skips integers.</summary>
    public const long MaxExactCounter = 1L << 24;

    private static void CheckCountersForSaving(ReadOnlySpan<float> buffer, ReadOnlySpan<ParameterTensor> tensors, string bufferName)
    {
        foreach (ParameterTensor t in tensors)
        {
            if (t.DType != TensorDType.I64)
                continue;
            float value = buffer[t.Offset];
            if (!(value >= 0 && value <= MaxExactCounter && MathF.Truncate(value) == value))
                throw new ArgumentException(
                    $"Tensor '{t.Name}' is an I64 counter, so its value in the {bufferName} buffer (element {t.Offset}) must be a whole number in [0, {MaxExactCounter}] " +
                    $"(exact in float32), but it is {value.ToString("R", CultureInfo.InvariantCulture)}.",
                    bufferName);
        }
    }

    /// <summary>
    /// Writes the given tensors of <paramref name="parameters"/> to the file at <paramref name="path"/>, replacing it.
    /// The data goes to a temporary file next to it that is renamed at the end, so an existing file is never left
    /// half-written.
    /// </summary>
    /// <param name="path">The file to write, conventionally ending in <c>.safetensors</c>.</param>
    /// <param name="parameters">The model's flat parameter buffer.</param>
    /// <param name="tensors">The tensors to write, in file order.</param>
    /// <param name="metadata">Optional key/value strings for the header's <c>__metadata__</c> object.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void Save(string path, ReadOnlySpan<float> parameters, ReadOnlySpan<ParameterTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => Save(path, parameters, tensors, [], [], metadata);

    /// <summary>
    /// Writes a network's parameter and state buffers to the file at <paramref name="path"/> as one file (see the
    /// <see cref="Save(Stream, ReadOnlySpan{float}, ReadOnlySpan{ParameterTensor}, ReadOnlySpan{float}, ReadOnlySpan{ParameterTensor}, IReadOnlyDictionary{string, string}?)"/>
    /// overload), replacing it through a temporary file, so an existing file is never left half-written.
    /// </summary>
    /// <param name="path">The file to write, conventionally ending in <c>.safetensors</c>.</param>
    /// <param name="parameters">The network's flat parameter buffer.</param>
    /// <param name="parameterTensors">The tensors of <paramref name="parameters"/> to write.</param>
    /// <param name="state">The network's flat state buffer.</param>
    /// <param name="stateTensors">The tensors of <paramref name="state"/> to write.</param>
    /// <param name="metadata">Optional key/value strings for the header's <c>__metadata__</c> object.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void Save(string path, ReadOnlySpan<float> parameters, ReadOnlySpan<ParameterTensor> parameterTensors,
        ReadOnlySpan<float> state, ReadOnlySpan<ParameterTensor> stateTensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(fullPath);
        if (directory is not null && !Directory.Exists(directory))
            throw new DirectoryNotFoundException(
                $"Cannot save weights to '{fullPath}': the folder '{directory}' does not exist. Create it first (Directory.CreateDirectory) or choose another path.");

        string temporary = fullPath + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, ChunkBytes))
            {
                Save(stream, parameters, parameterTensors, state, stateTensors, metadata);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    // ------------------------------------------------------------------ Load

    /// <summary>
    /// Reads every tensor of <paramref name="tensors"/> from <paramref name="source"/> into <paramref name="parameters"/>.
    /// The whole file is checked before anything is written: on any error <paramref name="parameters"/> is unchanged.
    /// Loading is strict: a tensor in the file that is not in <paramref name="tensors"/> is an error (see the overload
    /// with <c>ignoreUnexpectedTensors</c>).
    /// </summary>
    /// <param name="source">A readable stream positioned at the start of the file; it need not be seekable. It is read to its end and not closed.</param>
    /// <param name="parameters">The model's flat parameter buffer.</param>
    /// <param name="tensors">The tensors to read, in any order.</param>
    /// <exception cref="WeightFileException">The file is truncated or malformed, or does not match <paramref name="tensors"/>.</exception>
    /// <exception cref="ArgumentException">A tensor lies outside <paramref name="parameters"/>, has a negative dimension, or two tensors share a name.</exception>
    public static void Load(Stream source, Span<float> parameters, ReadOnlySpan<ParameterTensor> tensors)
        => Load(source, parameters, tensors, ignoreUnexpectedTensors: false);

    /// <summary>
    /// Reads every tensor of <paramref name="tensors"/> from <paramref name="source"/> into <paramref name="parameters"/>.
    /// The whole file is checked before anything is written: on any error <paramref name="parameters"/> is unchanged.
    /// </summary>
    /// <param name="source">A readable stream positioned at the start of the file; it need not be seekable. It is read to its end and not closed.</param>
    /// <param name="parameters">The model's flat parameter buffer.</param>
    /// <param name="tensors">The tensors to read, in any order.</param>
    /// <param name="ignoreUnexpectedTensors">
    /// False (the default of the other overload) to reject files holding tensors that are not in <paramref name="tensors"/>,
    /// like PyTorch's <c>load_state_dict(strict=True)</c>; true to skip them (their header entries are still validated,
    /// and they may have any dtype), for example to load a model from a file that also holds optimizer state or
    /// BatchNorm's <c>num_batches_tracked</c> counters. Requested tensors must be present either way.
    /// </param>
    /// <exception cref="WeightFileException">The file is truncated or malformed, or does not match <paramref name="tensors"/>.</exception>
    /// <exception cref="ArgumentException">A tensor lies outside <paramref name="parameters"/>, has a negative dimension, or two tensors share a name.</exception>
    public static void Load(Stream source, Span<float> parameters, ReadOnlySpan<ParameterTensor> tensors, bool ignoreUnexpectedTensors)
        => Load(source, parameters, tensors, [], [], ignoreUnexpectedTensors);

    /// <summary>
    /// Reads a network's parameter buffer and state buffer from one file (PyTorch's <c>state_dict</c> of a network with
    /// BatchNorm layers): every tensor of <paramref name="parameterTensors"/> into <paramref name="parameters"/> and every
    /// tensor of <paramref name="stateTensors"/> into <paramref name="state"/>. The whole file is checked before anything
    /// is written: on any error both buffers are unchanged. <see cref="TensorDType.I64"/> tensors must be int64 scalars
    /// in the file with a value in [0, 2²⁴]; they are stored in the buffer as floats.
    /// </summary>
    /// <param name="source">A readable stream positioned at the start of the file; it need not be seekable. It is read to its end and not closed.</param>
    /// <param name="parameters">The network's flat parameter buffer.</param>
    /// <param name="parameterTensors">The tensors of <paramref name="parameters"/> to read, in any order.</param>
    /// <param name="state">The network's flat state buffer.</param>
    /// <param name="stateTensors">The tensors of <paramref name="state"/> to read, in any order; names must differ from those of <paramref name="parameterTensors"/>.</param>
    /// <param name="ignoreUnexpectedTensors">False to reject files holding tensors in neither list (strict, like PyTorch); true to skip them.</param>
    /// <exception cref="WeightFileException">The file is truncated or malformed, or does not match the tensor lists (missing, unexpected, wrong dtype or shape, counter out of range).</exception>
    /// <exception cref="ArgumentException">A tensor lies outside its buffer, has a negative dimension, two tensors share a name, or an I64 tensor is not a scalar.</exception>
    public static void Load(Stream source, Span<float> parameters, ReadOnlySpan<ParameterTensor> parameterTensors,
        Span<float> state, ReadOnlySpan<ParameterTensor> stateTensors, bool ignoreUnexpectedTensors = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!source.CanRead)
            throw new ArgumentException("The source stream is not readable. Open it for reading (e.g. File.OpenRead).", nameof(source));

        var names = new HashSet<string>(StringComparer.Ordinal);
        int[] parameterCounts = ValidateTensorList(parameters.Length, parameterTensors, names, "parameter", nameof(parameters), nameof(parameterTensors));
        int[] stateCounts = ValidateTensorList(state.Length, stateTensors, names, "state", nameof(state), nameof(stateTensors));

        // Both lists as one: index i < parameterTensors.Length is a parameter tensor, the rest are state tensors.
        var tensors = new ParameterTensor[parameterTensors.Length + stateTensors.Length];
        parameterTensors.CopyTo(tensors);
        stateTensors.CopyTo(tensors.AsSpan(parameterTensors.Length));
        int[] counts = [.. parameterCounts, .. stateCounts];

        var input = new Input(source);
        Header header = ReadHeader(input);
        CheckAgainstModel(header, tensors, counts, ignoreUnexpectedTensors);

        // Where each requested tensor goes in the staging buffer.
        var requested = new Dictionary<string, (int Index, int StagingOffset)>(tensors.Length, StringComparer.Ordinal);
        int total = 0;
        for (int i = 0; i < tensors.Length; i++)
        {
            requested.Add(tensors[i].Name, (i, total));
            total += counts[i];
        }

        var staging = new float[total];
        byte[] chunk = new byte[ChunkBytes];
        foreach (Entry entry in header.EntriesByOffset)
        {
            long length = entry.End - entry.Begin;
            if (requested.TryGetValue(entry.Name, out var target))
            {
                Span<float> values = staging.AsSpan(target.StagingOffset, counts[target.Index]);
                if (tensors[target.Index].DType == TensorDType.I64)
                {
                    // A scalar (checked by ValidateTensorList and CheckAgainstModel): 8 bytes.
                    int got = input.ReadAtMost(chunk.AsSpan(0, 8));
                    if (got < 8)
                        throw Truncated(header, input, entry, got);
                    values[0] = CounterFromFile(entry, BinaryPrimitives.ReadInt64LittleEndian(chunk));
                    continue;
                }
                long done = 0;
                while (done < length)
                {
                    int n = (int)Math.Min(chunk.Length, length - done);
                    int got = input.ReadAtMost(chunk.AsSpan(0, n));
                    if (got < n)
                        throw Truncated(header, input, entry, done + got);
                    DecodeLittleEndian(chunk.AsSpan(0, n), values.Slice((int)(done / 4), n / 4), allowFastPath: true);
                    done += n;
                }
            }
            else
            {
                long skipped = input.Skip(length, chunk);
                if (skipped < length)
                    throw Truncated(header, input, entry, skipped);
            }
        }

        long extra = input.CountRemaining(chunk);
        if (extra > 0)
            throw new WeightFileException(
                $"The file has {extra:N0} bytes after the end of the last tensor's data (offset {header.DataLength:N0} of the data section). " +
                "The safetensors format allows no unindexed bytes, so the file is corrupt, was appended to, or is not a safetensors file. Save it again.");

        // Everything is read and checked: only now are the buffers written, both of them.
        for (int i = 0; i < tensors.Length; i++)
        {
            var (_, stagingOffset) = requested[tensors[i].Name];
            Span<float> destination = i < parameterTensors.Length ? parameters : state;
            staging.AsSpan(stagingOffset, counts[i]).CopyTo(destination.Slice(tensors[i].Offset, counts[i]));
        }
    }

    private static float CounterFromFile(Entry entry, long value)
    {
        if (value < 0 || value > MaxExactCounter)
            throw new WeightFileException(
                $"Tensor '{entry.Name}' is an I64 counter holding {value.ToString(CultureInfo.InvariantCulture)} in the file, but NetDsl keeps counters as float32 whole numbers " +
                $"and accepts values in [0, {MaxExactCounter}] (2^24, the largest range where float32 holds every integer). " +
                "If this is BatchNorm's num_batches_tracked, it only matters for momentum=None (cumulative averages): reset it in PyTorch " +
                $"(`m.num_batches_tracked.clamp_(max={MaxExactCounter})` or `.zero_()`) before saving.",
                entry.Name, [], entry.Shape);
        return value;
    }

    /// <summary>
    /// Reads every tensor of <paramref name="tensors"/> from the file at <paramref name="path"/> into
    /// <paramref name="parameters"/>. On any error <paramref name="parameters"/> is unchanged.
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> file to read.</param>
    /// <param name="parameters">The model's flat parameter buffer.</param>
    /// <param name="tensors">The tensors to read, in any order.</param>
    /// <param name="ignoreUnexpectedTensors">True to skip tensors of the file that are not in <paramref name="tensors"/> instead of failing.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="WeightFileException">The file is truncated or malformed, or does not match <paramref name="tensors"/>; <see cref="WeightFileException.FilePath"/> is set.</exception>
    public static void Load(string path, Span<float> parameters, ReadOnlySpan<ParameterTensor> tensors, bool ignoreUnexpectedTensors = false)
        => Load(path, parameters, tensors, [], [], ignoreUnexpectedTensors);

    /// <summary>
    /// Reads a network's parameter and state buffers from the file at <paramref name="path"/> (see the
    /// <see cref="Load(Stream, Span{float}, ReadOnlySpan{ParameterTensor}, Span{float}, ReadOnlySpan{ParameterTensor}, bool)"/>
    /// overload). On any error both buffers are unchanged.
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> file to read.</param>
    /// <param name="parameters">The network's flat parameter buffer.</param>
    /// <param name="parameterTensors">The tensors of <paramref name="parameters"/> to read.</param>
    /// <param name="state">The network's flat state buffer.</param>
    /// <param name="stateTensors">The tensors of <paramref name="state"/> to read.</param>
    /// <param name="ignoreUnexpectedTensors">True to skip tensors of the file in neither list instead of failing.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="WeightFileException">The file is truncated or malformed, or does not match the tensor lists; <see cref="WeightFileException.FilePath"/> is set.</exception>
    public static void Load(string path, Span<float> parameters, ReadOnlySpan<ParameterTensor> parameterTensors,
        Span<float> state, ReadOnlySpan<ParameterTensor> stateTensors, bool ignoreUnexpectedTensors = false)
    {
        string fullPath = CheckedFullPathForReading(path);
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes, FileOptions.SequentialScan);
        try
        {
            Load(stream, parameters, parameterTensors, state, stateTensors, ignoreUnexpectedTensors);
        }
        catch (WeightFileException e)
        {
            throw e.WithPath(fullPath);
        }
    }

    /// <summary>
    /// Reads the <c>__metadata__</c> strings of a safetensors file (empty if it has none), validating its header.
    /// Only the header is read.
    /// </summary>
    /// <param name="source">A readable stream positioned at the start of the file.</param>
    /// <exception cref="WeightFileException">The header is truncated or malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ReadHeader(new Input(source), checkDataLength: false).Metadata;
    }

    /// <summary>Reads the <c>__metadata__</c> strings of the safetensors file at <paramref name="path"/>.</summary>
    /// <param name="path">The <c>.safetensors</c> file to read.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="WeightFileException">The header is truncated or malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        string fullPath = CheckedFullPathForReading(path);
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes);
        try
        {
            return ReadMetadata(stream);
        }
        catch (WeightFileException e)
        {
            throw e.WithPath(fullPath);
        }
    }

    // ------------------------------------------------------------------ Little-endian conversion

    /// <summary>
    /// Writes <paramref name="source"/> as little-endian IEEE-754 bits into <paramref name="destination"/> (4 bytes each),
    /// bit-exact (NaN payloads included). Without <paramref name="allowFastPath"/>, or on a big-endian host, each value
    /// goes through <see cref="BinaryPrimitives"/>; otherwise the bytes are copied as they are.
    /// </summary>
    internal static void EncodeLittleEndian(ReadOnlySpan<float> source, Span<byte> destination, bool allowFastPath)
    {
        if (allowFastPath && BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(source).CopyTo(destination);
            return;
        }
        for (int i = 0; i < source.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(destination.Slice(i * 4, 4), BitConverter.SingleToInt32Bits(source[i]));
    }

    /// <summary>The inverse of <see cref="EncodeLittleEndian"/>: reads <c>source.Length / 4</c> little-endian floats.</summary>
    internal static void DecodeLittleEndian(ReadOnlySpan<byte> source, Span<float> destination, bool allowFastPath)
    {
        if (allowFastPath && BitConverter.IsLittleEndian)
        {
            source.CopyTo(MemoryMarshal.AsBytes(destination));
            return;
        }
        for (int i = 0; i < destination.Length; i++)
            destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(source.Slice(i * 4, 4)));
    }

    // ------------------------------------------------------------------ Header writing

    private static byte[] BuildHeader(ReadOnlySpan<ParameterTensor> tensors, int[] counts,
        ReadOnlySpan<ParameterTensor> stateTensors, int[] stateCounts, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                var keys = new List<string>(metadata.Keys);
                keys.Sort(StringComparer.Ordinal);
                json.WriteStartObject(MetadataKey);
                foreach (string key in keys)
                {
                    string? value = metadata[key];
                    if (value is null)
                        throw new ArgumentException($"Metadata key '{key}' has a null value; safetensors metadata values must be strings.", nameof(metadata));
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }

            long offset = 0;
            WriteEntries(json, tensors, counts, ref offset);
            WriteEntries(json, stateTensors, stateCounts, ref offset);
            json.WriteEndObject();
        }

        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteEntries(Utf8JsonWriter json, ReadOnlySpan<ParameterTensor> tensors, int[] counts, ref long offset)
    {
        for (int i = 0; i < tensors.Length; i++)
        {
            json.WriteStartObject(tensors[i].Name);
            json.WriteString("dtype", DTypeName(tensors[i].DType));
            json.WriteStartArray("shape");
            foreach (int d in tensors[i].Shape)
                json.WriteNumberValue(d);
            json.WriteEndArray();
            json.WriteStartArray("data_offsets");
            json.WriteNumberValue(offset);
            offset += (long)ElementSize(DTypeName(tensors[i].DType)) * counts[i];
            json.WriteNumberValue(offset);
            json.WriteEndArray();
            json.WriteEndObject();
        }
    }

    private static string DTypeName(TensorDType dtype) => dtype switch
    {
        TensorDType.F32 => "F32",
        TensorDType.I64 => "I64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype."),
    };

    // ------------------------------------------------------------------ Header reading

    private sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    private sealed class Header
    {
        public required Dictionary<string, Entry> Entries { get; init; }
        public required List<Entry> EntriesByOffset { get; init; }
        public required List<string> NamesInFileOrder { get; init; }
        public required Dictionary<string, string> Metadata { get; init; }
        public required long HeaderLength { get; init; }
        public required long DataLength { get; init; }
        public long TotalLength => 8 + HeaderLength + DataLength;
    }

    private static Header ReadHeader(Input input, bool checkDataLength = true)
    {
        Span<byte> prefix = stackalloc byte[8];
        int got = input.ReadAtMost(prefix);
        if (got < 8)
            throw new WeightFileException(
                $"The file is truncated: it is {got} bytes long, shorter than the 8-byte header length that starts every safetensors file. " +
                "It is empty or was cut short; save or download it again.");

        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (declared > MaxHeaderLength)
            throw new WeightFileException(
                $"The header length field says {declared:N0} bytes, more than the {MaxHeaderLength:N0}-byte limit of the safetensors format, " +
                "so this is not a safetensors file or it is corrupt. Check that the path points to a .safetensors file, or save it again." + GuessFileKind(prefix));
        if (declared < 2)
            throw new WeightFileException(
                $"The header length field says {declared} bytes, too short for the JSON object a safetensors header must be. " +
                "The file is corrupt or not a safetensors file." + GuessFileKind(prefix));

        int headerLength = (int)declared;
        if (input.Available is long available && available - 8 < headerLength)
            throw new WeightFileException(
                $"The file is truncated: its header is declared as {headerLength:N0} bytes, so the file needs at least {8 + headerLength:N0} bytes, " +
                $"but it has only {available:N0}. It was cut short (interrupted download or copy?); save or download it again.");

        byte[] text = input.ReadHeaderBytes(headerLength, out int read);
        if (read < headerLength)
            throw new WeightFileException(
                $"The file is truncated: its header is declared as {headerLength:N0} bytes, so the file needs at least {8 + headerLength:N0} bytes, " +
                $"but the stream ended after {8 + read:N0}. It was cut short (interrupted download or copy?); save or download it again.");

        if (text[0] != (byte)'{')
            throw new WeightFileException(
                $"The header does not start with '{{' (it starts with byte 0x{text[0]:X2}), so it is not the JSON object a safetensors header must be. " +
                "The file is corrupt or not a safetensors file." + GuessFileKind(prefix));

        ReadOnlySpan<byte> json = text.AsSpan(0, headerLength);
        if (!Utf8.IsValid(json))
            throw new WeightFileException(
                $"The header is not valid UTF-8 (bad byte at header offset {FirstInvalidUtf8(json)}), as the safetensors format requires. " +
                "The file is corrupt or not a safetensors file; save it again.");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text.AsMemory(0, headerLength));
        }
        catch (JsonException e)
        {
            throw new WeightFileException(
                $"The {headerLength:N0}-byte header is not valid JSON ({e.Message}). The file is corrupt or not a safetensors file; save it again.",
                innerException: e);
        }

        using (document)
        {
            return ParseHeader(document.RootElement, headerLength, input, checkDataLength);
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int index = 0;
        while (index < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[index..], out _, out int consumed) != OperationStatus.Done)
                return index;
            index += consumed;
        }
        return index;
    }

    private static Header ParseHeader(JsonElement root, int headerLength, Input input, bool checkDataLength)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new WeightFileException($"The header is a JSON {root.ValueKind}, not the object of tensors a safetensors header must be. The file is corrupt or not a safetensors file.");

        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var names = new List<string>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        bool sawMetadata = false;

        foreach (JsonProperty property in root.EnumerateObject())
        {
            string name = property.Name;
            if (name == MetadataKey)
            {
                if (sawMetadata)
                    throw new WeightFileException("The header has two \"__metadata__\" entries. The file is corrupt; save it again.");
                sawMetadata = true;
                if (property.Value.ValueKind != JsonValueKind.Object)
                    throw new WeightFileException($"The header's \"__metadata__\" is a JSON {property.Value.ValueKind}, but it must be an object of strings. The file is corrupt or was written by a faulty writer.");
                foreach (JsonProperty item in property.Value.EnumerateObject())
                {
                    if (item.Value.ValueKind != JsonValueKind.String)
                        throw new WeightFileException($"The header's \"__metadata__\" value for '{item.Name}' is a JSON {item.Value.ValueKind}, but metadata values must be strings. The file was written by a faulty writer; store the value as a string.");
                    metadata[item.Name] = item.Value.GetString()!;
                }
                continue;
            }

            if (entries.ContainsKey(name))
                throw new WeightFileException($"The header lists tensor '{name}' twice. The file is corrupt or was written by a faulty writer; save it again.", name);

            Entry entry = ParseEntry(name, property.Value);
            entries.Add(name, entry);
            names.Add(name);
        }

        var byOffset = new List<Entry>(entries.Values);
        byOffset.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long position = 0;
        Entry? previous = null;
        foreach (Entry entry in byOffset)
        {
            if (entry.Begin < position)
                throw new WeightFileException(
                    $"Tensor '{entry.Name}' has data_offsets [{entry.Begin}, {entry.End}], which overlap those of tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]. " +
                    "Each tensor must have its own bytes; the file is corrupt or was written by a faulty writer. Save it again.",
                    entry.Name, actualShape: entry.Shape);
            if (entry.Begin > position)
                throw new WeightFileException(
                    $"Bytes {position}..{entry.Begin} of the data section belong to no tensor (a gap before tensor '{entry.Name}' with data_offsets [{entry.Begin}, {entry.End}]). " +
                    "The safetensors format requires the tensors to cover the data section without holes; the file is corrupt or was written by a faulty writer. Save it again.",
                    entry.Name, actualShape: entry.Shape);
            position = entry.End;
            previous = entry;
        }

        var header = new Header
        {
            Entries = entries,
            EntriesByOffset = byOffset,
            NamesInFileOrder = names,
            Metadata = metadata,
            HeaderLength = headerLength,
            DataLength = position,
        };

        if (checkDataLength && input.Available is long available)
        {
            long dataAvailable = available - 8 - headerLength;
            if (dataAvailable < header.DataLength)
            {
                Entry outside = byOffset.Find(e => e.End > dataAvailable)!;
                throw new WeightFileException(
                    $"Tensor '{outside.Name}' has data_offsets [{outside.Begin}, {outside.End}], beyond the {dataAvailable:N0} bytes of data the file holds after its header: " +
                    $"the file is truncated (it has {available:N0} bytes; its header declares {header.TotalLength:N0}). Save or download it again.",
                    outside.Name, actualShape: outside.Shape);
            }
        }
        return header;
    }

    private static Entry ParseEntry(string name, JsonElement value)
    {
        const string Fix = " The file is corrupt or was written by a faulty writer; save it again.";
        if (value.ValueKind != JsonValueKind.Object)
            throw new WeightFileException($"The header entry for tensor '{name}' is a JSON {value.ValueKind}, not an object with \"dtype\", \"shape\" and \"data_offsets\".{Fix}", name);

        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new WeightFileException($"The header entry for tensor '{name}' has no string \"dtype\".{Fix}", name);
        string dtype = dtypeElement.GetString()!;

        if (!value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new WeightFileException($"The header entry for tensor '{name}' has no \"shape\" array.{Fix}", name);
        var shape = new long[shapeElement.GetArrayLength()];
        int k = 0;
        foreach (JsonElement d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new WeightFileException($"Tensor '{name}' has shape {shapeElement.GetRawText()} in the header; dimensions must be non-negative integers.{Fix}", name);
            shape[k++] = dim;
        }

        if (!value.TryGetProperty("data_offsets", out JsonElement offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2
            || !TryGetOffset(offsetsElement[0], out long begin) || !TryGetOffset(offsetsElement[1], out long end))
            throw new WeightFileException(
                $"The header entry for tensor '{name}' needs \"data_offsets\" as two non-negative integers [begin, end], but has {(offsetsElement.ValueKind == JsonValueKind.Undefined ? "none" : offsetsElement.GetRawText())}.{Fix}",
                name, actualShape: shape);

        if (end < begin)
            throw new WeightFileException($"Tensor '{name}' has data_offsets [{begin}, {end}], which end before they begin.{Fix}", name, actualShape: shape);

        int elementSize = ElementSize(dtype);
        if (elementSize > 0)
        {
            long expectedBytes;
            try
            {
                long count = 1;
                foreach (long d in shape)
                    count = checked(count * d);
                expectedBytes = checked(count * elementSize);
            }
            catch (OverflowException)
            {
                throw new WeightFileException($"Tensor '{name}' has shape {FormatShape(shape)}, whose size overflows 64 bits.{Fix}", name, actualShape: shape);
            }
            if (end - begin != expectedBytes)
                throw new WeightFileException(
                    $"Tensor '{name}' has data_offsets [{begin}, {end}] ({end - begin:N0} bytes), but its shape {FormatShape(shape)} of {dtype} needs {expectedBytes:N0} bytes " +
                    $"({elementSize} per element). The header is inconsistent.{Fix}",
                    name, actualShape: shape);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static bool TryGetOffset(JsonElement element, out long value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value) && value >= 0;
    }

    /// <summary>Bytes per element of the safetensors dtypes, or 0 for sub-byte or unknown dtypes (their sizes are not checked).</summary>
    private static int ElementSize(string dtype) => dtype switch
    {
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" or "F8_E8M0" => 1,
        "I16" or "U16" or "F16" or "BF16" => 2,
        "I32" or "U32" or "F32" => 4,
        "I64" or "U64" or "F64" or "C64" => 8,
        _ => 0,
    };

    private static string GuessFileKind(ReadOnlySpan<byte> prefix)
    {
        if (prefix[0] == (byte)'P' && prefix[1] == (byte)'K' && prefix[2] == 3 && prefix[3] == 4)
            return " It starts like a zip archive, which is what torch.save writes (.pt/.pth): convert it in Python with " +
                   "`safetensors.torch.save_file(torch.load(path), 'model.safetensors')`.";
        if (prefix[0] == 0x80 && prefix[1] <= 5)
            return " It starts like a Python pickle (an old torch.save .pt/.pth file): convert it in Python with " +
                   "`safetensors.torch.save_file(torch.load(path), 'model.safetensors')`.";
        if (prefix[0] == 0x89 && prefix[1] == (byte)'H' && prefix[2] == (byte)'D' && prefix[3] == (byte)'F')
            return " It starts like an HDF5 file (Keras .h5), which NetDsl does not read: export the weights to safetensors.";
        return string.Empty;
    }

    // ------------------------------------------------------------------ Matching the file to the model

    private static void CheckAgainstModel(Header header, ReadOnlySpan<ParameterTensor> tensors, int[] counts, bool ignoreUnexpected)
    {
        var missing = new List<string>();
        var requestedNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (ParameterTensor t in tensors)
        {
            requestedNames.Add(t.Name);
            if (!header.Entries.ContainsKey(t.Name))
                missing.Add(t.Name);
        }

        if (missing.Count > 0)
        {
            string what = missing.Count == 1
                ? $"Tensor '{missing[0]}' is missing from the file."
                : $"{missing.Count} tensors the model expects are missing from the file: {FormatNames(missing)}.";
            string has = header.NamesInFileOrder.Count == 0
                ? "The file holds no tensors."
                : $"The file has {header.NamesInFileOrder.Count} tensor{(header.NamesInFileOrder.Count == 1 ? "" : "s")}: {FormatNames(header.NamesInFileOrder)}.";
            throw new WeightFileException($"{what} {has} {PrefixHint(missing[0], header.NamesInFileOrder)}" +
                "Check that the file was saved from the same architecture, with the state_dict names (e.g. '0.weight' for the first layer of an nn.Sequential).",
                missing[0]);
        }

        for (int i = 0; i < tensors.Length; i++)
        {
            Entry entry = header.Entries[tensors[i].Name];
            string expected = DTypeName(tensors[i].DType);
            if (entry.DType == expected)
                continue;
            if (tensors[i].DType == TensorDType.I64)
                throw new WeightFileException(
                    $"Tensor '{entry.Name}' has dtype {entry.DType} in the file, but the model expects an I64 (int64) counter there, " +
                    "as PyTorch saves BatchNorm's num_batches_tracked. Save the state_dict as PyTorch produces it, without converting every tensor to float " +
                    "(convert only floating-point tensors: `{k: v.float() if v.is_floating_point() else v for k, v in state_dict.items()}`).",
                    entry.Name, tensors[i].Shape, entry.Shape);
            string counterHint = entry.DType == "I64"
                ? " An I64 tensor is usually a counter such as BatchNorm's num_batches_tracked: if the model keeps one here, its tensor list should declare it with TensorDType.I64 (in the network's state tensors)."
                : "";
            throw new WeightFileException(
                $"Tensor '{entry.Name}' has dtype {entry.DType} in the file, but NetDsl models hold F32 (float32) parameters. " +
                "Convert the weights to float32 before saving: in PyTorch, `model.float()` and then " +
                "`safetensors.torch.save_file(model.state_dict(), path)` (or `{k: v.float() for k, v in state_dict.items()}`)." + counterHint,
                entry.Name, tensors[i].Shape, entry.Shape);
        }

        for (int i = 0; i < tensors.Length; i++)
        {
            ParameterTensor t = tensors[i];
            Entry entry = header.Entries[t.Name];
            if (SameShape(t.Shape, entry.Shape))
                continue;
            string layout = t.Shape.Length == 2 && t.Name.EndsWith(".weight", StringComparison.Ordinal)
                ? " (PyTorch nn.Linear layout [out, in])"
                : "";
            string transposed = t.Shape.Length == 2 && entry.Shape.Length == 2 && entry.Shape[0] == t.Shape[1] && entry.Shape[1] == t.Shape[0]
                ? " The file's shape is the transpose of the expected one: the weights may be stored as [in, out] (e.g. exported from Keras/TensorFlow); transpose them (`w.T.contiguous()`) before saving."
                : "";
            throw new WeightFileException(
                $"Tensor '{t.Name}' has shape {FormatShape(entry.Shape)} in the file but the model expects {FormatShape(t.Shape)}{layout}.{transposed} " +
                "Check that the file was saved from the same architecture (same layer sizes in the same order).",
                t.Name, t.Shape, entry.Shape);
        }

        if (!ignoreUnexpected)
        {
            var unexpected = header.NamesInFileOrder.FindAll(n => !requestedNames.Contains(n));
            if (unexpected.Count > 0)
                throw new WeightFileException(
                    (unexpected.Count == 1
                        ? $"The file has a tensor the model does not expect: '{unexpected[0]}'. "
                        : $"The file has {unexpected.Count} tensors the model does not expect: {FormatNames(unexpected)}. ") +
                    "Loading is strict, like PyTorch's load_state_dict(strict=True). Check that the file was saved from the same architecture; " +
                    "if the extra tensors are expected (optimizer state, BatchNorm num_batches_tracked, other heads), load with ignoreUnexpectedTensors: true.",
                    unexpected[0], actualShape: header.Entries[unexpected[0]].Shape);
        }
    }

    private static string PrefixHint(string missingName, List<string> fileNames)
    {
        foreach (string fileName in fileNames)
        {
            if (fileName.Length > missingName.Length + 1 && fileName.EndsWith("." + missingName, StringComparison.Ordinal))
            {
                string prefix = fileName[..(fileName.Length - missingName.Length)];
                return $"The file's names seem to carry the prefix '{prefix}' (e.g. '{fileName}'), as when a model wrapped in DataParallel or a parent module is saved: " +
                       $"strip it before saving, e.g. `{{k.removeprefix('{prefix}'): v for k, v in state_dict.items()}}`. ";
            }
        }
        return "";
    }

    private static bool SameShape(int[] expected, long[] actual)
    {
        if (expected.Length != actual.Length)
            return false;
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != actual[i])
                return false;
        return true;
    }

    private static WeightFileException Truncated(Header header, Input input, Entry entry, long bytesOfEntry)
        => new(
            $"The file is truncated: it ends {bytesOfEntry:N0} bytes into the {entry.End - entry.Begin:N0} bytes of tensor '{entry.Name}' (data_offsets [{entry.Begin}, {entry.End}]). " +
            $"Its header declares {header.TotalLength:N0} bytes in all, but the stream ended after {input.Consumed:N0}. Save or download the file again.",
            entry.Name, actualShape: entry.Shape);

    // ------------------------------------------------------------------ Argument checks and formatting

    /// <summary>Checks the model's tensor list and returns each tensor's element count.</summary>
    /// <param name="bufferLength">The length of the buffer the tensors live in.</param>
    /// <param name="tensors">The list to check.</param>
    /// <param name="names">The names seen so far (in other lists of the same file); this list's names are added.</param>
    /// <param name="bufferKind">"parameter" or "state", for messages.</param>
    /// <param name="bufferName">The buffer's parameter name.</param>
    /// <param name="listName">The list's parameter name.</param>
    private static int[] ValidateTensorList(int bufferLength, ReadOnlySpan<ParameterTensor> tensors, HashSet<string> names, string bufferKind, string bufferName, string listName)
    {
        var counts = new int[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            ParameterTensor? t = tensors[i];
            if (t is null || t.Name is null || t.Shape is null)
                throw new ArgumentException($"Tensor #{i} is null or has a null name or shape.", listName);
            if (t.Name == MetadataKey)
                throw new ArgumentException($"'{MetadataKey}' is reserved by the safetensors format and cannot name a tensor.", listName);
            if (!names.Add(t.Name))
                throw new ArgumentException($"Two tensors are named '{t.Name}'; names must be unique (across the parameter and state tensors of a file).", listName);
            if (t.DType is not (TensorDType.F32 or TensorDType.I64))
                throw new ArgumentException($"Tensor '{t.Name}' has an unknown dtype {(int)t.DType}.", listName);
            if (t.DType == TensorDType.I64 && t.Shape.Length != 0)
                throw new ArgumentException(
                    $"Tensor '{t.Name}' is declared I64 with shape {FormatShape(t.Shape)}, but only I64 scalars (shape [], such as BatchNorm's num_batches_tracked) are supported.",
                    listName);
            long count = 1;
            foreach (int d in t.Shape)
            {
                if (d < 0)
                    throw new ArgumentException($"Tensor '{t.Name}' has a negative dimension in its shape {FormatShape(t.Shape)}.", listName);
                count *= d;
                if (count > int.MaxValue)
                    throw new ArgumentException($"Tensor '{t.Name}' of shape {FormatShape(t.Shape)} has more than {int.MaxValue} elements.", listName);
            }
            if (t.Offset < 0 || t.Offset + count > bufferLength)
                throw new ArgumentOutOfRangeException(bufferName,
                    $"Tensor '{t.Name}' covers elements [{t.Offset}, {t.Offset + count}) of the {bufferKind} buffer, which has {bufferLength} elements.");
            counts[i] = (int)count;
        }
        return counts;
    }

    private static string CheckedFullPathForReading(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException(
                $"Weight file not found: '{fullPath}'. Check the path and that the weights were saved there" +
                (Path.IsPathRooted(path) ? "." : $"; relative paths are resolved against the current directory '{Environment.CurrentDirectory}'."),
                fullPath);
        return fullPath;
    }

    private static string FormatShape(int[] shape)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
            text.Append(i == 0 ? "" : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        return text.Append(']').ToString();
    }

    private static string FormatShape(long[] shape)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
            text.Append(i == 0 ? "" : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        return text.Append(']').ToString();
    }

    private static string FormatNames(List<string> names)
    {
        var text = new StringBuilder();
        for (int i = 0; i < names.Count && i < MaxNamesListed; i++)
            text.Append(i == 0 ? "'" : ", '").Append(names[i]).Append('\'');
        if (names.Count > MaxNamesListed)
            text.Append(CultureInfo.InvariantCulture, $" and {names.Count - MaxNamesListed} more");
        return text.ToString();
    }

    // ------------------------------------------------------------------ Stream reading

    /// <summary>Reads a stream that may not be seekable, counting the bytes consumed.</summary>
    private sealed class Input(Stream stream)
    {
        /// <summary>Bytes from the starting position to the end, when the stream can tell; otherwise null.</summary>
        public long? Available { get; } = TryGetAvailable(stream);

        public long Consumed { get; private set; }

        private static long? TryGetAvailable(Stream stream)
        {
            try
            {
                return stream.CanSeek ? Math.Max(0, stream.Length - stream.Position) : null;
            }
            catch (NotSupportedException)
            {
                return null;
            }
        }

        /// <summary>Fills <paramref name="buffer"/> unless the stream ends first; returns the bytes read.</summary>
        public int ReadAtMost(Span<byte> buffer)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int n = stream.Read(buffer[total..]);
                if (n == 0)
                    break;
                total += n;
            }
            Consumed += total;
            return total;
        }

        /// <summary>Reads <paramref name="length"/> bytes, growing the buffer as data arrives so a corrupt length cannot force a huge allocation.</summary>
        public byte[] ReadHeaderBytes(int length, out int read)
        {
            byte[] buffer = new byte[Math.Min(length, ChunkBytes)];
            read = 0;
            while (read < length)
            {
                if (read == buffer.Length)
                    Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
                int n = ReadAtMost(buffer.AsSpan(read, buffer.Length - read));
                read += n;
                if (read < buffer.Length)
                    break;
            }
            return buffer;
        }

        /// <summary>Skips up to <paramref name="length"/> bytes; returns how many were skipped.</summary>
        public long Skip(long length, byte[] scratch)
        {
            if (Available is long available && stream.CanSeek)
            {
                long n = Math.Min(length, available - Consumed);
                stream.Seek(n, SeekOrigin.Current);
                Consumed += n;
                return n;
            }
            long done = 0;
            while (done < length)
            {
                int n = ReadAtMost(scratch.AsSpan(0, (int)Math.Min(scratch.Length, length - done)));
                done += n;
                if (n == 0)
                    break;
            }
            return done;
        }

        /// <summary>Counts (and consumes) the bytes left before the end of the stream.</summary>
        public long CountRemaining(byte[] scratch)
        {
            if (Available is long available && stream.CanSeek)
                return available - Consumed;
            long total = 0;
            int n;
            while ((n = stream.Read(scratch)) > 0)
                total += n;
            return total;
        }
    }
}
