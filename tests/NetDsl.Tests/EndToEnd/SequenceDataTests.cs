using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using NetDsl.Data;
using NetDsl.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace NetDsl.Tests.EndToEnd;

/// <summary>Recurrent networks trained on real sequences with fixed seeds: text by category, and hourly temperatures.</summary>
public class SequenceDataTests(ITestOutputHelper output)
{
    private static string Data(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "data", .. parts]);

    private static readonly string[] s_categories = ["computers", "politics", "science", "songs-poems", "work"];

    private const int Words = 48, Vocabulary = 3000;

    /// <summary>Every entry of every category file, lower-cased and split into words (letters and apostrophes).</summary>
    private static (List<string[]> Entries, List<int> Labels) LoadFortunes()
    {
        var entries = new List<string[]>();
        var labels = new List<int>();
        for (int category = 0; category < s_categories.Length; category++)
        {
            string text = File.ReadAllText(Data("text", s_categories[category] + ".txt"));
            foreach (string entry in text.Split("\n%\n"))
            {
                string[] words = System.Text.RegularExpressions.Regex.Matches(entry.ToLowerInvariant(), "[a-z']+").Select(m => m.Value).ToArray();
                if (words.Length == 0)
                    continue;
                entries.Add(words);
                labels.Add(category);
            }
        }
        return (entries, labels);
    }

    /// <summary>
    /// Entries as up to 48 word indices: the 2,998 most frequent words of the training entries get 2.., any other word
    /// 1 (unknown), and 0 pads shorter entries (the network reads each entry's length from the padding). Entries longer
    /// than 48 words are cut to their first 48, on purpose: the test says so.
    /// </summary>
    private static Dataset Encode(List<string[]> entries, List<int> labels, IEnumerable<int> indices, Dictionary<string, int> vocabulary)
    {
        var features = new List<float>();
        var selected = new List<int>();
        foreach (int e in indices)
        {
            string[] words = entries[e];
            for (int i = 0; i < Words; i++)
                features.Add(i < words.Length ? (vocabulary.TryGetValue(words[i], out int index) ? index : 1) : 0);
            selected.Add(labels[e]);
        }
        return Dataset.FromLabels(features.ToArray(), Words, selected.ToArray(), s_categories.Length);
    }

    [Fact]
    public void Word_LSTM_classifies_fortunes_by_category_clearly_above_the_majority_rate()
    {
        (List<string[]> entries, List<int> labels) = LoadFortunes();
        // A stratified split of the entries, made on their labels alone; the vocabulary comes from the training part.
        (Dataset first, _) = Dataset.FromLabels(Enumerable.Range(0, labels.Count).Select(i => (float)i).ToArray(), 1, labels.ToArray(), 5).StratifiedSplit(0.8, seed: 1);
        var trainIndices = new HashSet<int>(first.Features.ToArray().Select(v => (int)v));
        var vocabulary = trainIndices.SelectMany(e => entries[e]).GroupBy(w => w, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(Vocabulary - 2)
            .Select((g, rank) => (g.Key, Index: rank + 2)).ToDictionary(p => p.Key, p => p.Index, StringComparer.Ordinal);
        Dataset train = Encode(entries, labels, trainIndices.Order(), vocabulary);
        Dataset test = Encode(entries, labels, Enumerable.Range(0, labels.Count).Where(e => !trainIndices.Contains(e)), vocabulary);
        var network = new FortuneClassifier(seed: 1);

        network.Fit(train, new TrainingOptions { Optimizer = new Adam(3e-3f), Epochs = 10, BatchSize = 32, Seed = 1, ClipGradientNorm = 5 });

        var outputs = new float[test.Count * 5];
        network.Forward(test.Features, outputs, new FortuneClassifier.Workspace(test.Count));
        double accuracy = Metrics.Accuracy(outputs, test.Labels, 5);
        double majority = (double)ClassWeights.Count(test.Labels, 5).Max() / test.Count;
        output.WriteLine($"fortunes: held-out accuracy {accuracy:P2} on {test.Count} entries; majority class rate {majority:P2}");
        Assert.True(accuracy >= majority + 0.15, $"accuracy {accuracy:P2} is not clearly (15 points) above the majority rate {majority:P2}");
    }

    [Fact]
    public void GRU_forecasts_the_next_hour_better_than_persistence()
    {
        float[] temps = File.ReadLines(Data("timeseries", "seattle-temps.csv")).Skip(1)
            .Select(line => float.Parse(line.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        // Chronological split: the first 80 % of hours to train, the rest to test; scaled with training statistics.
        int split = temps.Length * 8 / 10;
        double mean = temps.Take(split).Average();
        double std = Math.Sqrt(temps.Take(split).Select(t => (t - mean) * (t - mean)).Average());
        (Dataset train, Dataset test) = (Windows(temps, 0, split, mean, std), Windows(temps, split, temps.Length, mean, std));
        var network = new TemperatureForecaster(seed: 2);

        network.Fit(train, new TrainingOptions { Optimizer = new Adam(3e-3f), Epochs = 6, BatchSize = 64, Seed = 2 });

        var predictions = new float[test.Count];
        network.Forward(test.Features, predictions, new TemperatureForecaster.Workspace(test.Count));
        double modelSquares = 0, persistenceSquares = 0;
        for (int i = 0; i < test.Count; i++)
        {
            double actual = test.Targets[i] * std + mean;
            double forecast = predictions[i] * std + mean;
            double last = test.GetFeatures(i)[23] * std + mean; // persistence: the next hour is the last one
            modelSquares += (forecast - actual) * (forecast - actual);
            persistenceSquares += (last - actual) * (last - actual);
        }
        double modelRmse = Math.Sqrt(modelSquares / test.Count), persistenceRmse = Math.Sqrt(persistenceSquares / test.Count);
        output.WriteLine($"seattle temperatures: next-hour RMSE {modelRmse:F3} °F (GRU) vs {persistenceRmse:F3} °F (persistence) on {test.Count} held-out hours");
        Assert.True(modelRmse <= 0.85 * persistenceRmse, $"GRU RMSE {modelRmse:F3} is not 15 % below persistence's {persistenceRmse:F3}");
    }

    /// <summary>Each 24-hour window of [start, end) and the hour after it, standardized.</summary>
    private static Dataset Windows(float[] temps, int start, int end, double mean, double std)
    {
        int count = end - start - 24;
        var features = new float[count * 24];
        var targets = new float[count];
        for (int w = 0; w < count; w++)
        {
            for (int h = 0; h < 24; h++)
                features[w * 24 + h] = (float)((temps[start + w + h] - mean) / std);
            targets[w] = (float)((temps[start + w + 24] - mean) / std);
        }
        return new Dataset(features, 24, targets, 1);
    }
}
