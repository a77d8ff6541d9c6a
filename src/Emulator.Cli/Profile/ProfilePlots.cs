using System.Globalization;
using System.Text;
using ScottPlot;

namespace Emulator.Cli.Profile;

/// <summary>
/// <c>emu profile --plot DIR</c>: per device queue and operation, a histogram of request latency (first
/// stage to delivery, wall µs on logarithmic bins, with p50 and p99 marked) and a time series of throughput and queue depth,
/// drawn with ScottPlot as PNG or SVG files.
/// </summary>
internal static class ProfilePlots
{
    private const int Width = 900;
    private const int Height = 500;
    private const int HistogramBins = 60;
    private const int TimelineBins = 200;
    private const double MinimumMicros = 0.01;

    /// <summary>Writes the plots into <paramref name="directory"/> (created if needed); returns the files written.</summary>
    public static IReadOnlyList<string> Write(TraceProfile profile, string directory, bool svg)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        foreach (var group in profile.Groups)
        {
            if (group.ServiceMicros.Count == 0)
            {
                continue;
            }

            var stem = Path.Combine(directory, FileStem(group));
            files.Add(Save(Latency(group), stem + "-latency", svg));
            files.Add(Save(Timeline(group), stem + "-timeline", svg));
        }

        return files;
    }

    /// <summary>Latency spans decades (page cache vs disk vs a slice's wait), so the bins are logarithmic.</summary>
    private static Plot Latency(ProfileGroup group)
    {
        var plot = new Plot();
        var values = group.ServiceMicros.ToArray();
        var logs = values.Select(v => Math.Log10(Math.Max(v, MinimumMicros))).ToArray();
        var low = Math.Floor(logs.Min());
        var high = Math.Max(Math.Ceiling(logs.Max()), low + 1);
        var histogram = ScottPlot.Statistics.Histogram.WithBinCount(HistogramBins, low, high);
        histogram.AddRange(logs);
        var bars = plot.Add.Bars(histogram.Bins.Select(b => b + (histogram.FirstBinSize / 2)).ToArray(), histogram.Counts);
        foreach (var bar in bars.Bars)
        {
            bar.Size = histogram.FirstBinSize * 0.9;
        }

        var p50 = Percentile(values, 50);
        var p99 = Percentile(values, 99);
        plot.Add.VerticalLine(Math.Log10(Math.Max(p50, MinimumMicros))).LegendText = $"p50 {p50:0.0} µs";
        plot.Add.VerticalLine(Math.Log10(Math.Max(p99, MinimumMicros))).LegendText = $"p99 {p99:0.0} µs";
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var decade = low; decade <= high; decade++)
        {
            ticks.AddMajor(decade, Math.Pow(10, decade).ToString("0.##", CultureInfo.InvariantCulture));
        }

        plot.Axes.Bottom.TickGenerator = ticks;
        plot.ShowLegend();
        plot.Title($"{group.Device} {group.Op}: request latency, {group.Count} requests");
        plot.XLabel("wall µs, doorbell to delivery (log scale)");
        plot.YLabel("requests");
        return plot;
    }

    private static Plot Timeline(ProfileGroup group)
    {
        var plot = new Plot();
        var start = group.Timeline.Min(t => t.StartUs);
        var end = Math.Max(group.Timeline.Max(t => t.EndUs), start + 1);
        var bin = (end - start) / TimelineBins;
        var bytes = new double[TimelineBins];
        var inFlight = new double[TimelineBins];
        foreach (var (s, e, length, _) in group.Timeline)
        {
            bytes[Math.Clamp((int)((e - start) / bin), 0, TimelineBins - 1)] += length;

            // Requests in flight at each bin's midpoint: the queue depth over time.
            var first = Math.Clamp((int)Math.Ceiling(((s - start) / bin) - 0.5), 0, TimelineBins);
            var last = Math.Clamp((int)Math.Ceiling(((e - start) / bin) - 0.5), 0, TimelineBins);
            for (var i = first; i < last; i++)
            {
                inFlight[i]++;
            }
        }

        var times = Enumerable.Range(0, TimelineBins).Select(i => (start + ((i + 0.5) * bin)) / 1000.0).ToArray();
        var throughput = bytes.Select(b => b / (bin / 1e6) / (1 << 20)).ToArray();
        var meanDepth = inFlight;
        var rate = plot.Add.ScatterLine(times, throughput);
        rate.LegendText = "throughput (MiB/s, completions)";
        var queue = plot.Add.ScatterLine(times, meanDepth);
        queue.LegendText = "requests in flight";
        queue.Axes.YAxis = plot.Axes.Right;
        plot.ShowLegend();
        plot.Title($"{group.Device} {group.Op}: throughput and queue depth");
        plot.XLabel("wall ms since the trace started");
        plot.Axes.Left.Label.Text = "MiB/s";
        plot.Axes.Right.Label.Text = "queue depth";
        return plot;
    }

    private static double Percentile(double[] values, double percentile)
    {
        var sorted = values.Order().ToArray();
        var rank = Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[rank];
    }

    private static string Save(Plot plot, string stem, bool svg)
    {
        var path = stem + (svg ? ".svg" : ".png");
        if (svg)
        {
            plot.SaveSvg(path, Width, Height);
        }
        else
        {
            plot.SavePng(path, Width, Height);
        }

        return path;
    }

    /// <summary>"virtio-blk virtio0/q0" + "read" → "virtio-blk_virtio0_q0-read": safe in any file system.</summary>
    private static string FileStem(ProfileGroup group)
    {
        var name = new StringBuilder();
        foreach (var c in $"{group.Device}-{group.Op}")
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        }

        return name.ToString().ToLower(CultureInfo.InvariantCulture);
    }
}
