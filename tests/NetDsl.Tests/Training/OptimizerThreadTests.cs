using System;
using NetDsl.Kernels;
using NetDsl.Tests.Kernels;
using Xunit;

namespace NetDsl.Tests.Training;

/// <summary>
/// Buffers large enough to share an optimizer's update (and gradient clipping's scaling and clamping) across threads
/// give the same bits at 1, 2 and 3 threads, at every SIMD width, and allocate nothing after the first step.
/// </summary>
public class OptimizerThreadTests
{
    /// <summary>Above <see cref="OptimizerKernels.MinParallelLength"/>, with a last partial block and a scalar remainder at every width.</summary>
    private const int Length = 3 * OptimizerKernels.MinParallelLength + 4096 + 100 + 7;

    private static Func<IOptimizer>[] AllOptimizers() =>
    [
        () => new Sgd(0.1f), () => new Sgd(0.1f, 0.9f), () => new Sgd(0.1f, 0.9f, weightDecay: 0.01f, nesterov: true),
        () => new Adagrad(), () => new Adagrad(learningRateDecay: 0.1f, weightDecay: 0.1f, initialAccumulatorValue: 0.1f),
        () => new RMSprop(), () => new RMSprop(momentum: 0.9f), () => new RMSprop(momentum: 0.9f, centered: true, weightDecay: 0.1f),
        () => new Adam(), () => new Adam(weightDecay: 0.1f), () => new AdamW(),
    ];

    /// <summary>Three steps of <paramref name="create"/>'s optimizer from the same start at <paramref name="threads"/> threads.</summary>
    private static float[] ThreeSteps(Func<IOptimizer> create, int threads, SimdWidth width)
    {
        using var kernelThreads = KernelThreads.Hold();
        KernelOptions.MaxThreads = threads;
        var random = new Random(41);
        float[] p = TestData.Uniform(random, Length);
        IOptimizer optimizer = create();
        for (int t = 0; t < 3; t++)
        {
            float[] g = TestData.Uniform(random, Length);
            switch (optimizer)
            {
                case Sgd sgd: sgd.StepAt(p, g, width); break;
                case Adagrad adagrad: adagrad.StepAt(p, g, width); break;
                case RMSprop rmsprop: rmsprop.StepAt(p, g, width); break;
                case Adam adam: adam.StepAt(p, g, width); break;
                case AdamW adamW: adamW.StepAt(p, g, width); break;
                default: throw new InvalidOperationException(optimizer.GetType().Name);
            }
        }
        return p;
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void EveryOptimizerGivesTheSameBitsAtOneTwoAndThreeThreads(string widthName)
    {
        using var kernelThreads = KernelThreads.Hold();
        SimdWidth width = TestData.Width(widthName);
        int saved = KernelOptions.MaxThreads;
        try
        {
            foreach (Func<IOptimizer> create in AllOptimizers())
            {
                float[] one = ThreeSteps(create, 1, width);
                Assert.Equal(one, ThreeSteps(create, 2, width));
                Assert.Equal(one, ThreeSteps(create, 3, width));
            }
        }
        finally
        {
            KernelOptions.MaxThreads = saved;
        }
    }

    [Theory, MemberData(nameof(TestData.Widths), MemberType = typeof(TestData))]
    public void ClippingGivesTheSameBitsAtOneTwoAndThreeThreads(string widthName)
    {
        using var kernelThreads = KernelThreads.Hold();
        SimdWidth width = TestData.Width(widthName);
        int saved = KernelOptions.MaxThreads;
        try
        {
            (float[] ByNorm, float[] ByValue) Clip(int threads)
            {
                KernelOptions.MaxThreads = threads;
                float[] byNorm = TestData.Uniform(new Random(43), Length), byValue = (float[])byNorm.Clone();
                GradientClipping.ClipByGlobalNormAt(byNorm, 1f, width);
                GradientClipping.ClipByValueAt(byValue, 0.25f, width);
                return (byNorm, byValue);
            }
            var one = Clip(1);
            foreach (int threads in new[] { 2, 3 })
            {
                var many = Clip(threads);
                Assert.Equal(one.ByNorm, many.ByNorm);
                Assert.Equal(one.ByValue, many.ByValue);
            }
        }
        finally
        {
            KernelOptions.MaxThreads = saved;
        }
    }

    [Fact]
    public void SharedStepsAllocateNothingAfterTheFirst()
    {
        using var kernelThreads = KernelThreads.Hold();
        int saved = KernelOptions.MaxThreads;
        try
        {
            KernelOptions.MaxThreads = 2;
            float[] p = TestData.Uniform(new Random(1), Length), g = TestData.Uniform(new Random(2), Length);
            IOptimizer[] optimizers = Array.ConvertAll(AllOptimizers(), create => create());
            foreach (IOptimizer optimizer in optimizers) optimizer.Step(p, g);
            GradientClipping.ClipByGlobalNorm(g, 1f);
            GradientClipping.ClipByValue(g, 1f); // warm-up covers every call measured below
            long before = GC.GetAllocatedBytesForCurrentThread();
            foreach (IOptimizer optimizer in optimizers)
            {
                optimizer.LearningRate = 1e-4f;
                optimizer.Step(p, g);
            }
            GradientClipping.ClipByGlobalNorm(g, 0.5f);
            GradientClipping.ClipByValue(g, 0.01f);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            KernelOptions.MaxThreads = saved;
        }
    }
}
