using System;
using Xunit;

namespace NetDsl.Tests.Training;

/// <summary>Each schedule against hand-computed values, and cosine annealing against PyTorch's recursive (chainable) form.</summary>
public class LearningRateScheduleTests
{
    private const float Tolerance = 1e-7f;

    [Fact]
    public void Constant_rate_never_changes()
    {
        var schedule = new ConstantLearningRate(0.05f);
        Assert.Equal(0.05f, schedule.GetLearningRate(0, 0));
        Assert.Equal(0.05f, schedule.GetLearningRate(123_456_789_012, 10_000));
        ((ILearningRateSchedule)schedule).OnEpochEnd(1.0);
        Assert.Equal(0.05f, schedule.GetLearningRate(1, 1));
    }

    [Fact]
    public void Step_decay_multiplies_by_gamma_every_step_size_epochs()
    {
        var schedule = new StepDecay(0.1f, stepSize: 3, gamma: 0.5f);
        float[] expected = [0.1f, 0.1f, 0.1f, 0.05f, 0.05f, 0.05f, 0.025f, 0.025f, 0.025f, 0.0125f];
        for (int epoch = 0; epoch < expected.Length; epoch++)
        {
            Assert.Equal(expected[epoch], schedule.GetLearningRate(step: epoch * 100, epoch), Tolerance);
        }
        // Stateless: the step within an epoch does not matter.
        Assert.Equal(schedule.GetLearningRate(0, 4), schedule.GetLearningRate(999, 4));
    }

    [Fact]
    public void Exponential_decay_multiplies_by_gamma_every_epoch()
    {
        var schedule = new ExponentialDecay(0.1f, gamma: 0.9f);
        float[] expected = [0.1f, 0.09f, 0.081f, 0.0729f, 0.06561f];
        for (int epoch = 0; epoch < expected.Length; epoch++)
        {
            Assert.Equal(expected[epoch], schedule.GetLearningRate(0, epoch), Tolerance);
        }
    }

    [Fact]
    public void Cosine_annealing_falls_from_the_initial_rate_to_eta_min_in_t_max_epochs()
    {
        var schedule = new CosineAnnealing(0.1f, tMax: 10, etaMin: 0.001f);
        Assert.Equal(0.1f, schedule.GetLearningRate(0, 0), Tolerance);
        Assert.Equal(0.001f + 0.099f * 0.5f, schedule.GetLearningRate(0, 5), Tolerance);              // cos(π/2) = 0
        Assert.Equal(0.0905463f, schedule.GetLearningRate(0, 2), 1e-6f);                                // 0.001 + 0.099·(1 + cos 36°)/2
        Assert.Equal(0.001f, schedule.GetLearningRate(0, 10), Tolerance);
        Assert.Equal(0.1f, schedule.GetLearningRate(0, 20), Tolerance);                               // a cosine: back up after T_max
        Assert.Equal(0f, new CosineAnnealing(0.1f, tMax: 4).GetLearningRate(0, 4));                   // reaches eta_min = 0 exactly
    }

    [Fact]
    public void Cosine_annealing_matches_pytorch_recursive_form_over_three_periods()
    {
        // torch.optim.lr_scheduler.CosineAnnealingLR.get_lr, applied epoch after epoch to the previous rate.
        const double initial = 0.3, etaMin = 0.01;
        const int tMax = 7;
        var schedule = new CosineAnnealing((float)initial, tMax, (float)etaMin);
        double lr = initial;
        for (int epoch = 0; epoch <= 3 * tMax; epoch++)
        {
            if (epoch == 0)
                lr = initial;
            else if ((epoch - 1 - tMax) % (2 * tMax) == 0)
                lr += (initial - etaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2;
            else
                lr = (1 + Math.Cos(Math.PI * epoch / tMax)) / (1 + Math.Cos(Math.PI * (epoch - 1) / tMax)) * (lr - etaMin) + etaMin;
            Assert.Equal(lr, schedule.GetLearningRate(0, epoch), 1e-6);
        }
    }

    [Fact]
    public void Linear_warmup_rises_from_the_start_factor_to_one_then_follows_the_inner_schedule()
    {
        var schedule = new LinearWarmup(new ConstantLearningRate(0.1f), warmupSteps: 4, startFactor: 0.25f);
        // Factors 0.25, 0.4375, 0.625, 0.8125, then 1.
        float[] expected = [0.025f, 0.04375f, 0.0625f, 0.08125f, 0.1f, 0.1f];
        for (int step = 0; step < expected.Length; step++)
        {
            Assert.Equal(expected[step], schedule.GetLearningRate(step, epoch: 0), Tolerance);
        }

        // Multiplies the inner schedule during the warm-up, and is the inner schedule after it.
        var decaying = new LinearWarmup(new StepDecay(1f, stepSize: 1, gamma: 0.5f), warmupSteps: 10, startFactor: 0.5f);
        Assert.Equal(0.5f * 0.5f, decaying.GetLearningRate(step: 0, epoch: 1), Tolerance);
        Assert.Equal(0.5f * 0.75f, decaying.GetLearningRate(step: 5, epoch: 1), Tolerance);
        Assert.Equal(0.25f, decaying.GetLearningRate(step: 10, epoch: 2), Tolerance);
    }

    [Fact]
    public void Reduce_on_plateau_follows_pytorch_with_patience_cooldown_threshold_and_min_rate()
    {
        var schedule = new ReduceLearningRateOnPlateau(1f, PlateauMode.Min, factor: 0.5f, patience: 2, threshold: 0.1, cooldown: 1, minLearningRate: 0.2f);
        // An improvement must be below best·0.9. Traced by hand through ReduceLROnPlateau.step:
        (double Metric, float Rate)[] trace =
        [
            (10.0, 1f),   // best 10
            (9.5, 1f),    // not < 9: bad 1
            (9.2, 1f),    // bad 2
            (9.1, 0.5f),  // bad 3 > patience 2: reduce, cooldown 1
            (9.0, 0.5f),  // bad 1, cleared by the cooldown
            (9.05, 0.5f), // bad 1
            (9.05, 0.5f), // bad 2
            (9.05, 0.25f),// bad 3: reduce
            (5.0, 0.25f), // best 5 (cooldown ends)
            (6.0, 0.25f), // bad 1
            (6.0, 0.25f), // bad 2
            (6.0, 0.2f),  // bad 3: max(0.125, min 0.2)
            (6.0, 0.2f),  // bad 1, cleared by the cooldown
            (6.0, 0.2f),  // bad 1
            (6.0, 0.2f),  // bad 2
            (6.0, 0.2f),  // would reduce, but already at the minimum
        ];
        for (int epoch = 0; epoch < trace.Length; epoch++)
        {
            Assert.Equal(trace[epoch].Rate, schedule.Report(trace[epoch].Metric));
            Assert.Equal(trace[epoch].Rate, schedule.GetLearningRate(step: 1000 + epoch, epoch));
        }
        Assert.Equal(5.0, schedule.Best);
    }

    [Fact]
    public void Reduce_on_plateau_in_max_mode_watches_a_metric_that_should_rise()
    {
        var schedule = new ReduceLearningRateOnPlateau(0.1f, PlateauMode.Max, factor: 0.1f, patience: 0, threshold: 0.1);
        Assert.Equal(0.1f, schedule.Report(0.5));             // best 0.5
        Assert.Equal(0.1f, schedule.Report(0.6));             // > 0.55: best 0.6
        Assert.Equal(0.01f, schedule.Report(0.65), Tolerance); // not > 0.66: bad 1 > patience 0
        Assert.Equal(0.001f, schedule.Report(double.NaN), Tolerance); // NaN never improves
        Assert.Equal(0.6, schedule.Best);
    }

    [Fact]
    public void Reduce_on_plateau_reaches_through_a_warmup_wrapper()
    {
        var plateau = new ReduceLearningRateOnPlateau(1f, patience: 0);
        ILearningRateSchedule schedule = new LinearWarmup(plateau, warmupSteps: 2);
        schedule.OnEpochEnd(1.0);
        schedule.OnEpochEnd(2.0);
        Assert.Equal(0.1f, schedule.GetLearningRate(step: 100, epoch: 2), Tolerance);
    }

    [Fact]
    public void Arguments_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantLearningRate(-1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0.1f, stepSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0.1f, 1, gamma: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(float.PositiveInfinity, 0.9f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealing(0.1f, tMax: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealing(0.1f, 10, etaMin: -1f));
        Assert.Throws<ArgumentNullException>(() => new LinearWarmup(null!, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmup(new ConstantLearningRate(1f), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmup(new ConstantLearningRate(1f), 10, startFactor: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmup(new ConstantLearningRate(1f), 10, startFactor: 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLearningRateOnPlateau(0.1f, factor: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLearningRateOnPlateau(0.1f, patience: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLearningRateOnPlateau(0.1f, cooldown: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLearningRateOnPlateau(0.1f, threshold: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLearningRateOnPlateau(0.1f, mode: (PlateauMode)7));
    }
}
