using System;

namespace NetDsl.Benchmarks;

/// <summary>
/// The work one invocation of a benchmark method does, so <see cref="ThroughputColumns"/> can turn the measured
/// mean time into samples per second and GFLOP/s.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class WorkAttribute : Attribute
{
    /// <summary>The number of samples one invocation processes (0 when it does not apply).</summary>
    public long Samples { get; set; }

    /// <summary>The number of floating-point operations one invocation performs, counting a fused multiply-add as 2.</summary>
    public long Flops { get; set; }

    /// <summary>
    /// Whether this benchmark measures the machine's single-core FP32 peak: the "% of peak" column divides every
    /// GFLOP/s value by the best GFLOP/s of the peak benchmarks in the same summary.
    /// </summary>
    public bool IsPeak { get; set; }
}

/// <summary>Floating-point operation counts of dense layers, as compile-time constants for <see cref="WorkAttribute"/>.</summary>
public static class Flops
{
    /// <summary>Forward pass of a dense layer: <c>2 · batch · in · out</c> (one multiply and one add per weight and sample).</summary>
    public const long PerSampleWeight = 2;

    /// <summary>MLP 784-128-10: multiply-adds per sample over all weights.</summary>
    public const long Mlp784x128x10Weights = (784 * 128) + (128 * 10);

    /// <summary>MLP 784-512-256-10: multiply-adds per sample over all weights.</summary>
    public const long Mlp784x512x256x10Weights = (784 * 512) + (512 * 256) + (256 * 10);

    /// <summary>
    /// MLP 784-512-256-10 weights whose input gradient a training step computes: every layer but the first
    /// (the gradient with respect to the network's inputs is not needed for training).
    /// </summary>
    public const long Mlp784x512x256x10HiddenWeights = (512 * 256) + (256 * 10);
}
