using System;
using System.Collections.Generic;
using System.IO;

namespace FashionMnist;

/// <summary>Where the four Fashion-MNIST IDX files are, and whether they are all there.</summary>
internal sealed class FashionMnistFiles
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The environment variable that overrides <see cref="DefaultDirectory"/>.</summary>
    public const string EnvironmentVariable = "FASHION_MNIST_DIR";

    private FashionMnistFiles(string directory)
    {
        Directory = directory;
        TrainImages = Path.Combine(directory, "train-images-idx3-ubyte.gz");
        TrainLabels = Path.Combine(directory, "train-labels-idx1-ubyte.gz");
        TestImages = Path.Combine(directory, "t10k-images-idx3-ubyte.gz");
        TestLabels = Path.Combine(directory, "t10k-labels-idx1-ubyte.gz");
    }

    /// <summary>The directory holding the files.</summary>
    public string Directory { get; }

    /// <summary>The 60,000 training images.</summary>
    public string TrainImages { get; }

    /// <summary>The 60,000 training labels.</summary>
    public string TrainLabels { get; }

    /// <summary>The 10,000 test images.</summary>
    public string TestImages { get; }

    /// <summary>The 10,000 test labels.</summary>
    public string TestLabels { get; }

    /// <summary>
    /// The files in the directory given on the command line, else in <c>$FASHION_MNIST_DIR</c>, else in
    /// <see cref="DefaultDirectory"/>.
    /// </summary>
    public static FashionMnistFiles Locate(string? commandLineDirectory)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        string directory = !string.IsNullOrWhiteSpace(commandLineDirectory) ? commandLineDirectory
            : !string.IsNullOrWhiteSpace(fromEnvironment) ? fromEnvironment
            : DefaultDirectory;
        return new FashionMnistFiles(Path.GetFullPath(directory));
    }

    /// <summary>The files that do not exist.</summary>
    public IReadOnlyList<string> Missing()
    {
        var missing = new List<string>();
        foreach (string file in (ReadOnlySpan<string>)[TrainImages, TrainLabels, TestImages, TestLabels])
        {
            if (!File.Exists(file))
            {
                missing.Add(file);
            }
        }

        return missing;
    }
}
