using System;
using System.Globalization;
using NetDsl.Serialization;

namespace NetDsl;

/// <summary>Runs after each epoch of <see cref="Trainer.Fit"/>; it may stop training.</summary>
public interface ITrainingCallback
{
    /// <summary>Called after epoch <paramref name="result"/>; return false to stop training.</summary>
    bool OnEpochEnd(ITrainableNetwork network, EpochResult result);

    /// <summary>Called once when training ends, however it ended.</summary>
    void OnTrainingEnd(ITrainableNetwork network)
    {
    }
}

/// <summary>The metric a callback watches.</summary>
public enum Monitor
{
    /// <summary>The validation loss (lower is better); needs <see cref="TrainingOptions.Validation"/>.</summary>
    ValidationLoss,
    /// <summary>The validation accuracy (higher is better); needs labelled <see cref="TrainingOptions.Validation"/> data.</summary>
    ValidationAccuracy,
    /// <summary>The training loss (lower is better).</summary>
    TrainingLoss,
}

/// <summary>
/// Stops training when the monitored metric has not improved by at least <see cref="MinDelta"/> for
/// <see cref="Patience"/> epochs, and (by default) restores the parameters of the best epoch, as Keras' <c>EarlyStopping</c>
/// with <c>restore_best_weights=True</c>.
/// </summary>
public sealed class EarlyStopping : ITrainingCallback
{
    private float[]? _best;
    private int _waited;

    /// <summary>Creates the callback.</summary>
    public EarlyStopping(Monitor monitor = Monitor.ValidationLoss, int patience = 5, double minDelta = 0, bool restoreBestWeights = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        if (!(minDelta >= 0))
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "The minimum improvement must be at least 0.");
        Monitor = monitor;
        Patience = patience;
        MinDelta = minDelta;
        RestoreBestWeights = restoreBestWeights;
    }

    /// <summary>The metric watched.</summary>
    public Monitor Monitor { get; }

    /// <summary>How many epochs without improvement are tolerated.</summary>
    public int Patience { get; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Whether the parameters of the best epoch are restored when training ends.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The best epoch so far (from 1), 0 before the first.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The metric at <see cref="BestEpoch"/>.</summary>
    public double BestValue { get; private set; } = double.NaN;

    /// <summary>The epoch at which this callback stopped training, or 0.</summary>
    public int StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public bool OnEpochEnd(ITrainableNetwork network, EpochResult result)
    {
        double value = Read(Monitor, result);
        bool lowerIsBetter = Monitor != Monitor.ValidationAccuracy;
        bool improved = BestEpoch == 0 || (lowerIsBetter ? value < BestValue - MinDelta : value > BestValue + MinDelta);
        if (improved)
        {
            BestEpoch = result.Epoch;
            BestValue = value;
            _waited = 0;
            if (RestoreBestWeights)
            {
                _best ??= new float[network.Parameters.Length];
                network.Parameters.CopyTo(_best);
            }
            return true;
        }
        if (++_waited <= Patience)
            return true;
        StoppedEpoch = result.Epoch;
        return false;
    }

    /// <inheritdoc/>
    public void OnTrainingEnd(ITrainableNetwork network)
    {
        if (RestoreBestWeights && _best is not null)
            _best.CopyTo(network.Parameters);
    }

    internal static double Read(Monitor monitor, EpochResult result)
    {
        double value = monitor switch
        {
            Monitor.ValidationLoss => result.ValidationLoss,
            Monitor.ValidationAccuracy => result.ValidationAccuracy,
            _ => result.TrainingLoss,
        };
        if (double.IsNaN(value) && monitor != Monitor.TrainingLoss)
            throw new InvalidOperationException($"The callback monitors {monitor}, which needs {(monitor == Monitor.ValidationAccuracy ? "labelled validation data" : "validation data")}: set TrainingOptions.Validation, or monitor Monitor.TrainingLoss.");
        return value;
    }
}

/// <summary>
/// Saves the parameters to a safetensors file after each epoch, or only when the monitored metric improves
/// (Keras' <c>ModelCheckpoint</c>). The path may contain <c>{epoch}</c>, replaced by the epoch number.
/// </summary>
public sealed class Checkpoint(string path, Monitor monitor = Monitor.ValidationLoss, bool saveBestOnly = true) : ITrainingCallback
{
    private double _best = double.NaN;

    /// <summary>The file path, possibly with <c>{epoch}</c>.</summary>
    public string Path { get; } = path ?? throw new ArgumentNullException(nameof(path));

    /// <summary>The paths written so far.</summary>
    public System.Collections.Generic.List<string> Saved { get; } = new();

    /// <inheritdoc/>
    public bool OnEpochEnd(ITrainableNetwork network, EpochResult result)
    {
        if (saveBestOnly)
        {
            double value = EarlyStopping.Read(monitor, result);
            bool lowerIsBetter = monitor != Monitor.ValidationAccuracy;
            if (!double.IsNaN(_best) && !(lowerIsBetter ? value < _best : value > _best))
                return true;
            _best = value;
        }
        string file = Path.Replace("{epoch}", result.Epoch.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        SafeTensors.Save(file, network.Parameters, network.ParameterTensors);
        Saved.Add(file);
        return true;
    }
}
