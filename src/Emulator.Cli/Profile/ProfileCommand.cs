using System.Globalization;

namespace Emulator.Cli.Profile;

/// <summary>
/// <c>emu profile FILE</c>: the summary of an <c>--io-trace</c> file a performance engineer asks for first —
/// per device queue and operation the count, bytes, throughput (wall and virtual) and, per phase of a
/// request, p50/p90/p99/max latency from a log-linear histogram, wall and virtual.
/// </summary>
internal static class ProfileCommand
{
    public const string Usage = """
        usage: emu profile FILE [--plot DIR [--svg]]
          FILE        a trace written by 'emu boot --io-trace FILE' or 'emu system -io-trace FILE'
          --plot DIR  also draw, per device queue and operation, a latency histogram and a time series
                      of throughput and queue depth into DIR (PNG; SVG with --svg)
        Prints per device queue and operation: requests, bytes, throughput, and latency percentiles
        (p50/p90/p99/max) of each phase of a request, in host (wall) and guest (virtual) time.
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        if (args.Count == 1 && args[0] is "-h" or "--help")
        {
            output.WriteLine(Usage);
            return 0;
        }

        string? file = null;
        string? plotDirectory = null;
        var svg = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--plot" when i + 1 < args.Count:
                    plotDirectory = args[++i];
                    break;
                case "--svg":
                    svg = true;
                    break;
                case var path when !path.StartsWith('-') && file is null:
                    file = path;
                    break;
                default:
                    error.WriteLine($"emu profile: unexpected '{args[i]}' (try 'emu profile --help')");
                    return 2;
            }
        }

        if (file is null)
        {
            error.WriteLine("emu profile: expected one trace file (try 'emu profile --help')");
            return 2;
        }

        TraceProfile profile;
        try
        {
            using var stream = File.OpenRead(file);
            profile = TraceProfile.Load(stream);
        }
        catch (IOException e)
        {
            error.WriteLine($"emu profile: {file}: {e.Message}");
            return 1;
        }
        catch (UnauthorizedAccessException e)
        {
            error.WriteLine($"emu profile: {file}: {e.Message}");
            return 1;
        }
        catch (InvalidDataException e)
        {
            error.WriteLine($"emu profile: {file}: {e.Message}");
            return 1;
        }

        Print(profile, output);
        if (plotDirectory is null)
        {
            return 0;
        }

        try
        {
            foreach (var written in ProfilePlots.Write(profile, plotDirectory, svg))
            {
                output.WriteLine($"wrote {written}");
            }
        }
        catch (IOException e)
        {
            error.WriteLine($"emu profile: --plot {plotDirectory}: {e.Message}");
            return 1;
        }
        catch (UnauthorizedAccessException e)
        {
            error.WriteLine($"emu profile: --plot {plotDirectory}: {e.Message}");
            return 1;
        }

        return 0;
    }

    internal static void Print(TraceProfile profile, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        if (profile.Groups.Count == 0)
        {
            output.WriteLine("no requests in this trace");
            return;
        }

        foreach (var g in profile.Groups)
        {
            var wallSeconds = Math.Max(g.LastEndUs - g.FirstStartUs, 0) / 1e6;
            var virtualSeconds = Math.Max(g.LastEndVns - g.FirstStartVns, 0) / 1e9;
            output.WriteLine(string.Format(c, "{0} {1}: {2} requests, {3}, queue depth p50 {4} max {5}{6}",
                g.Device, g.Op, g.Count, Bytes(g.Bytes), g.QueueDepth.Percentile(50), g.QueueDepth.Max, g.Failed > 0 ? $", {g.Failed} failed" : string.Empty));
            output.WriteLine(string.Format(c, "  throughput: {0} wall, {1} virtual", Rate(g.Bytes, wallSeconds), Rate(g.Bytes, virtualSeconds)));
            if (g.GuestInstructions.Count > 0)
            {
                output.WriteLine(string.Format(c, "  guest instructions doorbell → ack: p50 {0} p99 {1} max {2}",
                    g.GuestInstructions.Percentile(50), g.GuestInstructions.Percentile(99), g.GuestInstructions.Max));
            }

            output.WriteLine(string.Format(c, "  {0,-34} {1,7}  {2,37}  {3,37}", "phase (µs)", "n", "wall p50 / p90 / p99 / max", "virtual p50 / p90 / p99 / max"));
            for (var i = 0; i < ProfilePhase.All.Count; i++)
            {
                var (wall, virt) = g.Phases[i];
                var oneReading = g.PhaseOneReading[i];
                if (wall.Count > 0)
                {
                    output.WriteLine(string.Format(c, "  {0,-34} {1,7}  {2,37}  {3,37}{4}", ProfilePhase.All[i].Name, wall.Count, Percentiles(wall), Percentiles(virt),
                        oneReading > 0 ? $"  (+{oneReading} not measured: one clock reading)" : string.Empty));
                }
                else if (oneReading > 0)
                {
                    output.WriteLine(string.Format(c, "  {0,-34} {1,7}  not measured: both ends share one clock reading", ProfilePhase.All[i].Name, oneReading));
                }
            }

            if (g.SharedReadings.Count > 0)
            {
                output.WriteLine("  stamped with one clock reading (same thread, one call chain; the time between is not measured, not zero):");
                foreach (var (pair, count) in g.SharedReadings)
                {
                    output.WriteLine(string.Format(c, "    {0,-32} {1,7} of {2}", pair, count, g.Count));
                }
            }

            output.WriteLine();
        }

        if (profile.DroppedRecords > 0)
        {
            output.WriteLine($"warning: {profile.DroppedRecords} trace records were dropped (full ring buffers); some spans are incomplete");
        }
    }

    private static string Percentiles(LatencyHistogram h) => string.Format(CultureInfo.InvariantCulture, "{0,8} {1,8} {2,8} {3,8}",
        Micros(h.Percentile(50)), Micros(h.Percentile(90)), Micros(h.Percentile(99)), Micros(h.Max));

    private static string Micros(long nanoseconds) => (nanoseconds / 1000.0).ToString(nanoseconds < 10_000 ? "0.00" : nanoseconds < 1_000_000 ? "0.0" : "0", CultureInfo.InvariantCulture);

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 30 => string.Format(CultureInfo.InvariantCulture, "{0:0.00} GiB", bytes / (double)(1 << 30)),
        >= 1 << 20 => string.Format(CultureInfo.InvariantCulture, "{0:0.00} MiB", bytes / (double)(1 << 20)),
        >= 1 << 10 => string.Format(CultureInfo.InvariantCulture, "{0:0.0} KiB", bytes / 1024.0),
        _ => $"{bytes} B",
    };

    private static string Rate(long bytes, double seconds) => seconds <= 0 ? "n/a" : Bytes((long)(bytes / seconds)) + "/s";
}
