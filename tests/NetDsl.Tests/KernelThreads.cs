using System;
using System.Threading;
using NetDsl.Kernels;

namespace NetDsl.Tests;

/// <summary>
/// Serializes the tests that depend on the process-wide <see cref="KernelOptions.MaxThreads"/>. xunit runs test classes in
/// parallel, so without this a test that raises <c>MaxThreads</c> to 3 can make another test's products, on that other
/// test's thread, start the pool's third worker — a <see cref="Thread"/> allocated in the middle of an allocation
/// measurement. Every test that sets <c>MaxThreads</c> or measures allocation holds this lock for its whole body
/// (<c>using var kernelThreads = KernelThreads.Hold();</c>); it is reentrant, so helpers may take it again.
/// </summary>
internal static class KernelThreads
{
    private static readonly object Gate = new();

    /// <summary>Holds the lock until the returned scope is disposed.</summary>
    public static Scope Hold()
    {
        System.Threading.Monitor.Enter(Gate);
        return new Scope();
    }

    /// <summary>
    /// Returns <paramref name="body"/>'s result computed with <see cref="KernelOptions.MaxThreads"/> set to
    /// <paramref name="threads"/>, holding the lock, and restores the previous setting.
    /// </summary>
    public static T With<T>(int threads, Func<T> body)
    {
        using Scope scope = Hold();
        int saved = KernelOptions.MaxThreads;
        try
        {
            KernelOptions.MaxThreads = threads;
            return body();
        }
        finally
        {
            KernelOptions.MaxThreads = saved;
        }
    }

    /// <summary>Releases the lock on dispose.</summary>
    public readonly struct Scope : IDisposable
    {
        public void Dispose() => System.Threading.Monitor.Exit(Gate);
    }
}
