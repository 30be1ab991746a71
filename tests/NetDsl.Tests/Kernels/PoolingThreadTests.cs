using System;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>Max pooling over batches large enough to split its planes across threads gives the same bits at 1 and 2 threads, and allocates nothing.</summary>
public class PoolingThreadTests
{
    [Fact]
    public void MaxPoolGivesTheSameBitsAtOneAndTwoThreads()
    {
        using var kernelThreads = KernelThreads.Hold();
        // The Fashion-MNIST CNN's first pool at batch 8 (100,352 inputs), and a 3x3 stride-2 padded pool (the general path).
        foreach (var (g, batch) in new[] { (new Pool2DGeometry(16, 28, 28, 2, 2, 2, 2), 8), (new Pool2DGeometry(8, 31, 29, 3, 3, 2, 2, 1, 1, 1, 1), 10) })
        {
            Assert.True((long)batch * g.Channels * g.InHeight * g.InWidth >= 1 << 16);
            var random = new Random(31);
            float[] x = TestData.Uniform(random, batch * g.InputSize), dy = TestData.Uniform(random, batch * g.OutputSize);
            int saved = KernelOptions.MaxThreads;
            try
            {
                (float[], int[], float[]) Run()
                {
                    float[] y = new float[batch * g.OutputSize], dx = new float[x.Length];
                    int[] argmax = new int[y.Length];
                    Array.Fill(dx, float.NaN);
                    Pooling.MaxPool2DForward(x, y, argmax, g, batch);
                    Pooling.MaxPool2DBackward(dy, argmax, dx, g, batch);
                    return (y, argmax, dx);
                }
                KernelOptions.MaxThreads = 1;
                var one = Run();
                KernelOptions.MaxThreads = 2;
                var two = Run();
                Assert.Equal(one.Item1, two.Item1);
                Assert.Equal(one.Item2, two.Item2);
                Assert.Equal(one.Item3, two.Item3);
                Assert.DoesNotContain(two.Item3, float.IsNaN);

                float[] yy = new float[batch * g.OutputSize], dxx = new float[x.Length];
                int[] aa = new int[yy.Length];
                Pooling.MaxPool2DForward(x, yy, aa, g, batch);
                long before = GC.GetAllocatedBytesForCurrentThread();
                Pooling.MaxPool2DForward(x, yy, aa, g, batch);
                Pooling.MaxPool2DBackward(dy, aa, dxx, g, batch);
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            finally
            {
                KernelOptions.MaxThreads = saved;
            }
        }
    }
}
