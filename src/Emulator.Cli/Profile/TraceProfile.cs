using System.Text.Json;

namespace Emulator.Cli.Profile;

/// <summary>
/// Reads an <c>--io-trace</c> file (Trace Event Format JSON written by <c>TraceEventFileWriter</c>): the
/// closing event of each request (<c>ph</c> "e", <c>cat</c> "request") carries the whole span, so the
/// profile needs nothing else. Groups requests by device queue and operation.
/// </summary>
internal sealed class TraceProfile
{
    /// <summary>The stage names the trace file writes, in the order a request passes them.</summary>
    private static readonly string[] StageOrder =
        ["doorbell", "decoded", "submitted", "driver_start", "driver_end", "queued", "delivered", "interrupt", "acknowledged"];

    private TraceProfile(List<ProfileGroup> groups, long dropped)
    {
        Groups = groups;
        DroppedRecords = dropped;
    }

    public IReadOnlyList<ProfileGroup> Groups { get; }

    public long DroppedRecords { get; }

    /// <exception cref="InvalidDataException">The file is not a trace this tool wrote.</exception>
    public static TraceProfile Load(Stream stream)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a JSON trace: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("traceEvents", out var events) || events.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("not a Trace Event Format file (no traceEvents array)");
            }

            var groups = new Dictionary<(string, string), ProfileGroup>();
            foreach (var e in events.EnumerateArray())
            {
                if (e.ValueKind == JsonValueKind.Object && Text(e, "ph") == "e" && Text(e, "cat") == "request" && e.TryGetProperty("args", out var args))
                {
                    Add(groups, args);
                }
            }

            long dropped = 0;
            if (root.TryGetProperty("otherData", out var other) && other.TryGetProperty("dropped_records", out var d) && d.TryGetInt64(out var n))
            {
                dropped = n;
            }

            return new TraceProfile(groups.Values.OrderBy(g => g.Device, StringComparer.Ordinal).ThenBy(g => g.Op, StringComparer.Ordinal).ToList(), dropped);
        }
    }

    private static void Add(Dictionary<(string, string), ProfileGroup> groups, JsonElement args)
    {
        var device = Text(args, "device") ?? "?";
        var op = Text(args, "op") ?? "?";
        if (!groups.TryGetValue((device, op), out var group))
        {
            group = new ProfileGroup(device, op);
            groups.Add((device, op), group);
        }

        if (!args.TryGetProperty("stages", out var stages) || stages.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var length = Number(args, "length");
        var depth = (int)Number(args, "queue_depth");
        group.Count++;
        group.Bytes += length;
        group.QueueDepth.Record(depth);
        if (Text(args, "result") is not ("None" or "incomplete"))
        {
            group.Failed++;
        }

        if (args.TryGetProperty("guest_instructions", out var instructions) && instructions.TryGetInt64(out var count))
        {
            group.GuestInstructions.Record(count);
        }

        var start = Stage(stages, "doorbell") ?? Stage(stages, "submitted");
        var end = Stage(stages, "delivered");
        if (start is { } s && end is { } en)
        {
            group.FirstStartUs = Math.Min(group.FirstStartUs, s.Us);
            group.LastEndUs = Math.Max(group.LastEndUs, en.Us);
            group.FirstStartVns = Math.Min(group.FirstStartVns, s.Vns);
            group.LastEndVns = Math.Max(group.LastEndVns, en.Vns);
            group.Timeline.Add((s.Us, en.Us, length, depth));
            group.ServiceMicros.Add(en.Us - s.Us);
        }

        string? previous = null;
        (double Us, long Vns)? previousStamp = null;
        foreach (var name in StageOrder)
        {
            if (Stage(stages, name) is not { } stamp)
            {
                continue;
            }

            if (previous is not null && OneReading(stages, previousStamp!.Value, name, stamp))
            {
                var pair = $"{previous} = {name}";
                group.SharedReadings[pair] = group.SharedReadings.GetValueOrDefault(pair) + 1;
            }

            previous = name;
            previousStamp = stamp;
        }

        for (var i = 0; i < ProfilePhase.All.Count; i++)
        {
            var phase = ProfilePhase.All[i];
            if (Stage(stages, phase.From) is { } from && Stage(stages, phase.To) is { } to)
            {
                if (OneReading(stages, from, phase.To, to))
                {
                    group.PhaseOneReading[i]++;
                    continue;
                }

                group.Phases[i].Wall.Record((long)Math.Round((to.Us - from.Us) * 1000));
                group.Phases[i].Virtual.Record(to.Vns - from.Vns);
            }
        }
    }

    /// <summary>True when stage <paramref name="toName"/> took the clock reading of the stage at <paramref name="from"/>: the time between was not measured.</summary>
    private static bool OneReading(JsonElement stages, (double Us, long Vns) from, string toName, (double Us, long Vns) to) =>
        to.Us == from.Us && stages.TryGetProperty(toName, out var stage) && stage.TryGetProperty("shared_reading", out var shared) && shared.ValueKind == JsonValueKind.True;

    private static (double Us, long Vns)? Stage(JsonElement stages, string name) =>
        stages.TryGetProperty(name, out var stage) && stage.TryGetProperty("us", out var us) && us.TryGetDouble(out var micros)
            ? (micros, Number(stage, "vns"))
            : null;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.TryGetInt64(out var n) ? n : 0;
}
