using System;

namespace NetDsl;

/// <summary>
/// A learning-rate schedule: the rate of each optimizer step, as a function of the step and epoch counts, and (for
/// <see cref="ReduceLearningRateOnPlateau"/>) of a metric reported at the end of each epoch.
/// </summary>
/// <remarks>
/// A training loop drives a schedule with two calls, and nothing else:
/// <code>
/// long step = 0;
/// for (int epoch = 0; epoch &lt; epochs; epoch++)
/// {
///     foreach (MiniBatch batch in batches)
///     {
///         optimizer.LearningRate = schedule.GetLearningRate(step, epoch);   // before every optimizer step
///         network.TrainStep(batch.Features, batch.Targets, optimizer, workspace);
///         step++;
///     }
///     schedule.OnEpochEnd(validationLoss);                                  // after every epoch
/// }
/// </code>
/// The schedule then owns the optimizer's rate: the one given to the optimizer's constructor is overwritten by the
/// first call. Epoch-based schedules (<see cref="StepDecay"/>, <see cref="ExponentialDecay"/>,
/// <see cref="CosineAnnealing"/>) give the rate PyTorch's scheduler of the same name gives after <c>epoch</c> calls of
/// <c>scheduler.step()</c>, so they change the rate at epoch boundaries only; <see cref="LinearWarmup"/> works per step.
/// Every schedule except <see cref="ReduceLearningRateOnPlateau"/> is a pure function of its arguments.
/// </remarks>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate of an optimizer step.</summary>
    /// <param name="step">The number of optimizer steps taken before this one, over all epochs (0 for the first).</param>
    /// <param name="epoch">The epoch the step belongs to, from 0.</param>
    float GetLearningRate(long step, int epoch);

    /// <summary>
    /// Reports the monitored metric at the end of an epoch: usually the validation loss, or the training loss when
    /// there is no validation set. Only <see cref="ReduceLearningRateOnPlateau"/> uses it; the others ignore it.
    /// </summary>
    void OnEpochEnd(double metric)
    {
    }
}

/// <summary>The same rate at every step.</summary>
/// <param name="learningRate">The rate; finite and not negative.</param>
public sealed class ConstantLearningRate(float learningRate) : ILearningRateSchedule
{
    /// <summary>The rate.</summary>
    public float LearningRate { get; } = OptimizerGuard.ScheduledLearningRate(learningRate, nameof(learningRate));

    /// <inheritdoc/>
    public float GetLearningRate(long step, int epoch) => LearningRate;
}

/// <summary>
/// Step decay, as PyTorch's <c>StepLR</c>: the rate is multiplied by <c>gamma</c> every <c>stepSize</c> epochs,
/// <c>lr = initialLearningRate · gamma^⌊epoch / stepSize⌋</c>.
/// </summary>
public sealed class StepDecay : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">The rate of the first <paramref name="stepSize"/> epochs; finite and not negative.</param>
    /// <param name="stepSize">The number of epochs between decays (PyTorch's <c>step_size</c>); positive.</param>
    /// <param name="gamma">The factor of each decay; finite and not negative (PyTorch's default 0.1).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public StepDecay(float initialLearningRate, int stepSize, float gamma = 0.1f)
    {
        InitialLearningRate = OptimizerGuard.ScheduledLearningRate(initialLearningRate, nameof(initialLearningRate));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        StepSize = stepSize;
        Gamma = OptimizerGuard.NonNegative(gamma, nameof(gamma));
    }

    /// <summary>The rate before the first decay.</summary>
    public float InitialLearningRate { get; }

    /// <summary>The number of epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor of each decay.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public float GetLearningRate(long step, int epoch)
        => (float)(InitialLearningRate * Math.Pow(Gamma, Math.Max(epoch, 0) / StepSize));
}

/// <summary>Exponential decay, as PyTorch's <c>ExponentialLR</c>: <c>lr = initialLearningRate · gamma^epoch</c>.</summary>
public sealed class ExponentialDecay : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">The rate of epoch 0; finite and not negative.</param>
    /// <param name="gamma">The factor applied each epoch; finite and not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public ExponentialDecay(float initialLearningRate, float gamma)
    {
        InitialLearningRate = OptimizerGuard.ScheduledLearningRate(initialLearningRate, nameof(initialLearningRate));
        Gamma = OptimizerGuard.NonNegative(gamma, nameof(gamma));
    }

    /// <summary>The rate of epoch 0.</summary>
    public float InitialLearningRate { get; }

    /// <summary>The factor applied each epoch.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public float GetLearningRate(long step, int epoch) => (float)(InitialLearningRate * Math.Pow(Gamma, Math.Max(epoch, 0)));
}

/// <summary>
/// Cosine annealing, as PyTorch's <c>CosineAnnealingLR</c> (its closed form):
/// <c>lr = etaMin + (initialLearningRate - etaMin) · (1 + cos(π · epoch / tMax)) / 2</c>.
/// </summary>
/// <remarks>
/// The rate falls from <c>initialLearningRate</c> at epoch 0 to <c>etaMin</c> at epoch <c>tMax</c>. Like PyTorch's, it
/// is a cosine, so past <c>tMax</c> it rises again (there is no restart): set <c>tMax</c> to the number of epochs.
/// </remarks>
public sealed class CosineAnnealing : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="initialLearningRate">The rate of epoch 0; finite and not negative.</param>
    /// <param name="tMax">The number of epochs to reach <paramref name="etaMin"/> (PyTorch's <c>T_max</c>); positive.</param>
    /// <param name="etaMin">The lowest rate (PyTorch's <c>eta_min</c>); finite and not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public CosineAnnealing(float initialLearningRate, int tMax, float etaMin = 0f)
    {
        InitialLearningRate = OptimizerGuard.ScheduledLearningRate(initialLearningRate, nameof(initialLearningRate));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tMax);
        TMax = tMax;
        EtaMin = OptimizerGuard.ScheduledLearningRate(etaMin, nameof(etaMin));
    }

    /// <summary>The rate of epoch 0.</summary>
    public float InitialLearningRate { get; }

    /// <summary>The number of epochs from the initial rate to <see cref="EtaMin"/>.</summary>
    public int TMax { get; }

    /// <summary>The lowest rate, reached at epoch <see cref="TMax"/>.</summary>
    public float EtaMin { get; }

    /// <inheritdoc/>
    public float GetLearningRate(long step, int epoch)
        => (float)(EtaMin + (InitialLearningRate - (double)EtaMin) * (1 + Math.Cos(Math.PI * Math.Max(epoch, 0) / TMax)) / 2);
}

/// <summary>
/// Linear warm-up over the first optimizer steps, multiplying another schedule: at step <c>s</c> the rate is
/// <c>inner(s, epoch) · f</c> with <c>f = startFactor + (1 - startFactor) · min(s, warmupSteps) / warmupSteps</c>, which
/// rises linearly from <c>startFactor</c> to 1 (PyTorch's <c>LinearLR</c> with <c>end_factor = 1</c>, stepped per batch,
/// chained with the inner schedule).
/// </summary>
/// <remarks>
/// Warm-up keeps the first updates small while adaptive optimizers' statistics (or a large batch's) are still poor.
/// Reports at epoch end go to the inner schedule, so it can wrap <see cref="ReduceLearningRateOnPlateau"/> too.
/// </remarks>
public sealed class LinearWarmup : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="inner">The schedule after (and under) the warm-up, such as <see cref="ConstantLearningRate"/> or <see cref="CosineAnnealing"/>.</param>
    /// <param name="warmupSteps">The number of optimizer steps of the warm-up (PyTorch's <c>total_iters</c>); positive.</param>
    /// <param name="startFactor">The factor of the first step, in (0, 1] (PyTorch's default 1/3).</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public LinearWarmup(ILearningRateSchedule inner, long warmupSteps, float startFactor = 1f / 3f)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(warmupSteps);
        if (!(startFactor > 0f && startFactor <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "Must be in (0, 1].");
        }
        Inner = inner;
        WarmupSteps = warmupSteps;
        StartFactor = startFactor;
    }

    /// <summary>The schedule the warm-up multiplies.</summary>
    public ILearningRateSchedule Inner { get; }

    /// <summary>The number of optimizer steps of the warm-up.</summary>
    public long WarmupSteps { get; }

    /// <summary>The factor of the first step.</summary>
    public float StartFactor { get; }

    /// <inheritdoc/>
    public float GetLearningRate(long step, int epoch)
    {
        float rate = Inner.GetLearningRate(step, epoch);
        if (step >= WarmupSteps)
        {
            return rate;
        }
        double factor = StartFactor + (1 - (double)StartFactor) * Math.Max(step, 0) / WarmupSteps;
        return (float)(rate * factor);
    }

    /// <inheritdoc/>
    public void OnEpochEnd(double metric) => Inner.OnEpochEnd(metric);
}

/// <summary>Whether <see cref="ReduceLearningRateOnPlateau"/> watches a metric to minimize (a loss) or to maximize (an accuracy).</summary>
public enum PlateauMode
{
    /// <summary>Lower is better, such as a loss.</summary>
    Min,
    /// <summary>Higher is better, such as an accuracy.</summary>
    Max,
}

/// <summary>
/// Reduce on plateau, as PyTorch's <c>ReduceLROnPlateau</c> with <c>threshold_mode = "rel"</c>: when the metric reported
/// at the end of each epoch has not improved for more than <c>patience</c> epochs, the rate is multiplied by
/// <c>factor</c> (not below <c>minLearningRate</c>), then <c>cooldown</c> epochs pass before bad epochs count again.
/// </summary>
/// <remarks>
/// <para>A metric improves when it is below <c>best · (1 - threshold)</c> (<see cref="PlateauMode.Min"/>) or above
/// <c>best · (1 + threshold)</c> (<see cref="PlateauMode.Max"/>). A NaN metric never improves. A reduction smaller than
/// <c>epsilon</c> is skipped.</para>
/// <para>Report the metric through <see cref="Report"/> or <see cref="ILearningRateSchedule.OnEpochEnd"/> once per epoch;
/// <see cref="GetLearningRate"/> returns the current rate whatever the step.</para>
/// </remarks>
public sealed class ReduceLearningRateOnPlateau : ILearningRateSchedule
{
    private int _badEpochs;
    private int _cooldownLeft;

    /// <summary>Creates the schedule with PyTorch's defaults.</summary>
    /// <param name="initialLearningRate">The rate until the first reduction; finite and not negative.</param>
    /// <param name="mode">Whether the metric is minimized or maximized.</param>
    /// <param name="factor">The factor of each reduction, in (0, 1).</param>
    /// <param name="patience">The number of epochs without improvement tolerated; the next one reduces the rate. Not negative.</param>
    /// <param name="threshold">The relative improvement that counts, such as 1e-4 for 0.01 %; finite and not negative.</param>
    /// <param name="cooldown">The number of epochs after a reduction during which bad epochs are not counted; not negative.</param>
    /// <param name="minLearningRate">The rate is never reduced below this (PyTorch's <c>min_lr</c>); finite and not negative.</param>
    /// <param name="epsilon">A reduction smaller than this is skipped (PyTorch's <c>eps</c>); finite and not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public ReduceLearningRateOnPlateau(float initialLearningRate, PlateauMode mode = PlateauMode.Min, float factor = 0.1f, int patience = 10,
        double threshold = 1e-4, int cooldown = 0, float minLearningRate = 0f, double epsilon = 1e-8)
    {
        LearningRate = OptimizerGuard.ScheduledLearningRate(initialLearningRate, nameof(initialLearningRate));
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Must be PlateauMode.Min or PlateauMode.Max.");
        }
        if (!(factor > 0f && factor < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "Must be in (0, 1): the rate is multiplied by it.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        if (!(double.IsFinite(threshold) && threshold >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "Must be finite and not negative.");
        }
        if (!(double.IsFinite(epsilon) && epsilon >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Must be finite and not negative.");
        }
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        Cooldown = cooldown;
        MinLearningRate = OptimizerGuard.ScheduledLearningRate(minLearningRate, nameof(minLearningRate));
        Epsilon = epsilon;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>The current rate.</summary>
    public float LearningRate { get; private set; }

    /// <summary>Whether the metric is minimized or maximized.</summary>
    public PlateauMode Mode { get; }

    /// <summary>The factor of each reduction.</summary>
    public float Factor { get; }

    /// <summary>The number of epochs without improvement tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>The relative improvement that counts.</summary>
    public double Threshold { get; }

    /// <summary>The number of epochs after a reduction during which bad epochs are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>The lowest rate a reduction reaches.</summary>
    public float MinLearningRate { get; }

    /// <summary>The smallest reduction applied.</summary>
    public double Epsilon { get; }

    /// <summary>The best metric reported so far (infinite before the first report).</summary>
    public double Best { get; private set; }

    /// <summary>Reports the metric of the epoch that just ended and returns the rate for the next.</summary>
    /// <param name="metric">The monitored metric, usually the validation loss.</param>
    public float Report(double metric)
    {
        if (IsImprovement(metric))
        {
            Best = metric;
            _badEpochs = 0;
        }
        else
        {
            _badEpochs++;
        }
        if (_cooldownLeft > 0)
        {
            _cooldownLeft--;
            _badEpochs = 0;
        }
        if (_badEpochs > Patience)
        {
            float reduced = Math.Max(LearningRate * Factor, MinLearningRate);
            if (LearningRate - (double)reduced > Epsilon)
            {
                LearningRate = reduced;
            }
            _cooldownLeft = Cooldown;
            _badEpochs = 0;
        }
        return LearningRate;
    }

    /// <inheritdoc/>
    public float GetLearningRate(long step, int epoch) => LearningRate;

    /// <inheritdoc/>
    public void OnEpochEnd(double metric) => Report(metric);

    private bool IsImprovement(double metric) => Mode == PlateauMode.Min
        ? metric < Best * (1 - Threshold)
        : metric > Best * (1 + Threshold);
}
