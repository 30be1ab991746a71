using System;
using NetDsl.Kernels;
using Xunit;

namespace NetDsl.Tests.Kernels;

/// <summary>After one warm-up call (which may JIT, and sizes optimizer state), no kernel, loss or optimizer step allocates.</summary>
public class AllocationTests
{
    [Fact]
    public void KernelsLossesAndOptimizerStepsDoNotAllocate()
    {
        using var kernelThreads = KernelThreads.Hold();
        const int m = 9, n = 17, k = 33;
        var random = new Random(60);
        float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n);
        float[] c = new float[m * n], dc = new float[m * n], dx = new float[m * k], dw = new float[n * k], db = new float[n];
        float[] targets = TestData.Uniform(random, m * n);
        // A small batch of a wide layer, which packs the batch rather than the weights (Gemm.PrefersWeightRows).
        const int batch = 30, outputs = 203, inputs = 128;
        float[] x = TestData.Uniform(random, batch * inputs), w = TestData.Uniform(random, outputs * inputs), y = new float[batch * outputs];
        var sgd = new Sgd(0.1f, 0.9f);
        var plainSgd = new Sgd(0.1f);
        var adam = new Adam();

        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);

        void RunAll()
        {
            Gemm.MultiplyTransposedB(a, b, bias, c, m, n, k, new IdentityActivation());
            Gemm.MultiplyTransposedB(a, b, [], c, m, n, k, new ReLUActivation());
            Gemm.MultiplyTransposedB(a, b, bias, c, m, n, k, new LeakyReLUActivation(0.1f));
            Gemm.MultiplyTransposedB(a, b, bias, c, m, n, k, new SigmoidActivation());
            Gemm.MultiplyTransposedB(a, b, bias, c, m, n, k, new TanhActivation());
            Gemm.MultiplyTransposedB(a, b, bias, c, m, n, k, new StepActivation());
            Gemm.MultiplyTransposedB(a, b, bias, c, m, n, k, new SoftmaxActivation());
            Gemm.MultiplyTransposedB(x, w, w.AsSpan(0, outputs), y, batch, outputs, inputs, new ReLUActivation());
            new SoftmaxActivation().Backward(c, targets, dc, n);
            new SigmoidActivation().Backward(c, dc, dc, n);
            new TanhActivation().Backward(c, dc, dc, n);
            new ReLUActivation().Backward(c, dc, dc, n);
            new LeakyReLUActivation(0.1f).Backward(c, dc, dc, n);
            new IdentityActivation().Backward(c, dc, dc, n);
            new StepActivation().Backward(c, dc, dc, n);
            LossFunctions.MeanSquaredError(c, targets, dc);
            LossFunctions.BinaryCrossEntropy(c, targets, dc);
            LossFunctions.SoftmaxCrossEntropy(c, targets, dc, n);
            LossFunctions.Perceptron(c, targets, dc, n);
            Gemm.Multiply(dc, b, dx, m, k, n);
            Gemm.MultiplyTransposedA(dc, a, dw, n, k, m);
            Gemm.SumRows(dc, db, m, n);
            sgd.Step(b, dw);
            plainSgd.Step(bias, db);
            adam.Step(a, dx);
        }
    }

    [Fact]
    public void ProductsSplitAcrossThreadsDoNotAllocate()
    {
        using var kernelThreads = KernelThreads.Hold();
        const int m = 64, n = 200, k = 300; // above KernelPool.MinParallelFlops
        var random = new Random(61);
        float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, n * k), bias = TestData.Uniform(random, n);
        float[] c = new float[m * n], dx = new float[m * k], dw = new float[n * k];
        int saved = KernelOptions.MaxThreads;
        try
        {
            KernelOptions.MaxThreads = 2;
            RunAll();
            long before = GC.GetAllocatedBytesForCurrentThread();
            RunAll();
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            KernelOptions.MaxThreads = saved;
        }

        void RunAll()
        {
            Gemm.MultiplyTransposedB(a, b, bias, c, m, n, k, new ReLUActivation());
            Gemm.Multiply(c, b, dx, m, k, n);
            Gemm.MultiplyTransposedA(c, a, dw, n, k, m);
        }
    }
}
