using System;
using System.Buffers.Binary;
using System.IO;

namespace NetDsl.Data;

/// <summary>
/// Loads image and label files in the IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed
/// (a name ending in <c>.gz</c>).
/// </summary>
/// <remarks>
/// <para>
/// An IDX file starts with a 4-byte magic number <c>00 00 08 nd</c> (unsigned bytes, <c>nd</c> dimensions), then
/// <c>nd</c> big-endian 32-bit sizes, then the data. Image files have magic <c>0x00000803</c> and sizes
/// <c>count, rows, columns</c>; label files have magic <c>0x00000801</c> and size <c>count</c>.
/// </para>
/// <para>
/// The magic number, the sizes and the exact data length are checked: a truncated file, trailing bytes, a wrong
/// magic number or other element types throw <see cref="InvalidDataException"/> naming the file.
/// Fashion-MNIST is installed by the Debian package <c>dataset-fashion-mnist</c> at
/// <c>/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz</c>.
/// </para>
/// </remarks>
public static class Idx
{
    private const string Hint =
        "Fashion-MNIST is installed by the Debian package dataset-fashion-mnist at /usr/share/datasets/fashion-mnist " +
        "(apt-get install dataset-fashion-mnist); it is not copied into this repository.";

    /// <summary>The magic number of an IDX file of unsigned-byte images (3 dimensions).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The magic number of an IDX file of unsigned-byte labels (1 dimension).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Loads an IDX image file (magic <c>0x00000803</c>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid, complete IDX image file.</exception>
    public static IdxImages LoadImages(string path)
    {
        string file = Path.GetFullPath(path);
        byte[] bytes = DataFile.ReadAllBytes(file, Hint);
        int[] sizes = ReadHeader(bytes, file, ImagesMagic, "images", "count, rows, columns");
        if (sizes[1] == 0 || sizes[2] == 0)
        {
            throw new InvalidDataException($"'{file}': images of {sizes[1]}×{sizes[2]} pixels are empty.");
        }

        return new IdxImages(bytes, HeaderLength(3), sizes[0], sizes[1], sizes[2]);
    }

    /// <summary>Loads an IDX label file (magic <c>0x00000801</c>): one value 0..255 per sample.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid, complete IDX label file.</exception>
    public static int[] LoadLabels(string path)
    {
        string file = Path.GetFullPath(path);
        byte[] bytes = DataFile.ReadAllBytes(file, Hint);
        int[] sizes = ReadHeader(bytes, file, LabelsMagic, "labels", "count");
        var labels = new int[sizes[0]];
        ReadOnlySpan<byte> data = bytes.AsSpan(HeaderLength(1));
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = data[i];
        }

        return labels;
    }

    /// <summary>
    /// Loads an image file and its label file as a classification <see cref="Dataset"/>: one sample per image, its
    /// <c>rows × columns</c> pixels row by row as features, each pixel multiplied by <paramref name="scale"/>
    /// (by default 1/255, giving values in [0, 1]), and one-hot targets.
    /// </summary>
    /// <param name="imagesPath">The IDX image file.</param>
    /// <param name="labelsPath">The IDX label file, with as many labels as there are images.</param>
    /// <param name="scale">The factor applied to each pixel value 0..255.</param>
    /// <param name="classCount">The number of classes; by default the largest label + 1. Every label must be below it.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is invalid, the counts differ, or a label is not below <paramref name="classCount"/>.</exception>
    public static Dataset LoadDataset(string imagesPath, string labelsPath, float scale = 1f / 255f, int? classCount = null)
    {
        if (!float.IsFinite(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be finite.");
        }

        if (classCount is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "The class count must be at least 1.");
        }

        IdxImages images = LoadImages(imagesPath);
        int[] labels = LoadLabels(labelsPath);
        if (labels.Length != images.Count)
        {
            throw new InvalidDataException(
                $"'{Path.GetFullPath(imagesPath)}' holds {images.Count} images but '{Path.GetFullPath(labelsPath)}' holds {labels.Length} labels.");
        }

        int max = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (classCount is int classes && labels[i] >= classes)
            {
                throw new InvalidDataException(
                    $"'{Path.GetFullPath(labelsPath)}': label {i} is {labels[i]}, not below the class count {classes}.");
            }

            max = Math.Max(max, labels[i]);
        }

        ReadOnlySpan<byte> pixels = images.Pixels;
        var features = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            features[i] = pixels[i] * scale;
        }

        return Dataset.FromOwnedArrays(features, images.PixelCount, labels, classCount ?? (max + 1));
    }

    private static int HeaderLength(int dimensions) => 4 + (4 * dimensions);

    private static int[] ReadHeader(byte[] bytes, string file, int expectedMagic, string kind, string sizeNames)
    {
        int dimensions = expectedMagic & 0xFF;
        if (bytes.Length < 4)
        {
            throw new InvalidDataException($"'{file}' has {bytes.Length} bytes, too few for an IDX magic number (truncated or empty file).");
        }

        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != expectedMagic)
        {
            throw new InvalidDataException(
                $"'{file}': IDX magic number 0x{magic:X8} found but 0x{expectedMagic:X8} expected for {kind} " +
                $"(unsigned bytes, {dimensions} dimension{(dimensions == 1 ? "" : "s")}: {sizeNames}).");
        }

        int headerLength = HeaderLength(dimensions);
        if (bytes.Length < headerLength)
        {
            throw new InvalidDataException($"'{file}' has {bytes.Length} bytes, too few for the IDX header of {headerLength} bytes (truncated file).");
        }

        var sizes = new int[dimensions];
        long expectedData = 1;
        for (int d = 0; d < dimensions; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + (4 * d)));
            if (size > int.MaxValue)
            {
                throw new InvalidDataException($"'{file}': IDX size {d + 1} ({sizeNames}) is {size}, too large.");
            }

            sizes[d] = (int)size;
            expectedData *= size;
            if (expectedData > Array.MaxLength)
            {
                throw new InvalidDataException($"'{file}': the IDX sizes ({sizeNames}) describe more than {Array.MaxLength} bytes.");
            }
        }

        long actualData = bytes.Length - headerLength;
        if (actualData != expectedData)
        {
            string problem = actualData < expectedData ? "truncated file" : $"{actualData - expectedData} unexpected trailing bytes";
            throw new InvalidDataException(
                $"'{file}': the IDX header announces {string.Join(" × ", sizes)} = {expectedData} bytes of data ({sizeNames}) " +
                $"but the file holds {actualData} ({problem}).");
        }

        return sizes;
    }
}

/// <summary>Unsigned-byte grey images loaded from an IDX file by <see cref="Idx.LoadImages"/>.</summary>
public sealed class IdxImages
{
    private readonly byte[] _buffer;
    private readonly int _offset;

    internal IdxImages(byte[] buffer, int offset, int count, int rows, int columns)
    {
        _buffer = buffer;
        _offset = offset;
        Count = count;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>The number of images.</summary>
    public int Count { get; }

    /// <summary>The height of an image in pixels.</summary>
    public int Rows { get; }

    /// <summary>The width of an image in pixels.</summary>
    public int Columns { get; }

    /// <summary>The number of pixels of an image: <c>Rows × Columns</c>.</summary>
    public int PixelCount => Rows * Columns;

    /// <summary>All pixels, image after image, each image row by row (<c>[Count, Rows, Columns]</c>), values 0..255.</summary>
    public ReadOnlySpan<byte> Pixels => _buffer.AsSpan(_offset, Count * PixelCount);

    /// <summary>The pixels of image <paramref name="index"/>, row by row.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in <c>0 .. Count - 1</c>.</exception>
    public ReadOnlySpan<byte> GetImage(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"There are {Count} images.");
        }

        return _buffer.AsSpan(_offset + (index * PixelCount), PixelCount);
    }
}
