using System.Diagnostics;
using System.Text.Json;

namespace Emulator.Block.Tracing.Export;

/// <summary>
/// Writes a session as Trace Event Format JSON (the object form), which Perfetto's UI and chrome://tracing
/// open. Process "block layer" has one track per thread that ran a driver (I/O workers, and the machine
/// thread for inline I/O) with the graph nodes' slices nested as they ran (qcow2 → metadata/COW → file).
/// Each device queue is a process of its own: its requests are async slices with one nested slice per
/// phase, and a thread track holds the submit and completion points that the flow arrows
/// (submit → driver → completion) bind to. The closing event of each request carries the whole span as
/// arguments (stages with host µs, virtual ns and guest instructions), which is what <c>emu profile</c> reads.
/// </summary>
public sealed class TraceEventFileWriter : IIoTraceSink, IDisposable
{
    internal const string RequestCategory = "request";
    internal const string PhaseCategory = "phase";
    internal const string DriverCategory = "driver";
    internal const string FlowCategory = "flow";
    internal const int BlockLayerPid = 1;
    internal const int DeviceQueuePidBase = 100;

    private readonly Stream _stream;
    private readonly Utf8JsonWriter _json;
    private readonly IoSpanAssembler _assembler;
    private readonly long _baseTicks;
    private readonly HashSet<int> _namedProcesses = [];
    private readonly HashSet<int> _namedThreads = [];
    private readonly HashSet<long> _flowStepped = [];
    private readonly Dictionary<int, Stack<string>> _openSlices = [];
    private long _spans;
    private bool _completed;

    /// <summary>A writer of Trace Event Format JSON into <paramref name="stream"/> (which it owns and closes); pass it to <see cref="IoTraceCollector.Start(TraceEventFileWriter, TimeSpan?, TimeSpan?)"/>.</summary>
    public TraceEventFileWriter(Stream stream)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _json = new Utf8JsonWriter(stream);
        _assembler = new IoSpanAssembler(WriteSpan);
        _baseTicks = Stopwatch.GetTimestamp();
        _json.WriteStartObject();
        _json.WriteString("displayTimeUnit", "ns");
        _json.WriteStartArray("traceEvents");
        NameProcess(BlockLayerPid, "block layer", 0);
    }

    /// <summary>Requests written so far.</summary>
    public long SpansWritten => _spans;

    /// <summary>A writer into a new file at <paramref name="path"/> (replaced if it exists); IO exceptions when it cannot be created.</summary>
    public static TraceEventFileWriter Create(string path) => new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16));

    void IIoTraceSink.OnEntries(ReadOnlySpan<IoTraceEntry> entries)
    {
        foreach (var entry in entries)
        {
            var record = entry.Record;
            if (record.Stage is IoTraceStage.DriverBegin or IoTraceStage.DriverEnd)
            {
                WriteDriver(entry);
            }

            _assembler.Add(entry);
        }

        _json.Flush();
    }

    void IIoTraceSink.Complete(long dropped)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        _assembler.Flush();

        // Slices a driver left open (an operation that never returned before the session ended) are closed here.
        foreach (var (thread, open) in _openSlices)
        {
            var now = Micros(Stopwatch.GetTimestamp());
            while (open.TryPop(out var name))
            {
                Event("E", name, DriverCategory, BlockLayerPid, thread + 1, now);
                _json.WriteEndObject();
            }
        }

        _json.WriteEndArray();
        _json.WriteStartObject("otherData");
        _json.WriteString("producer", "Emulator.Storage io-trace");
        _json.WriteNumber("requests", _spans);
        _json.WriteNumber("dropped_records", dropped);
        _json.WriteEndObject();
        _json.WriteEndObject();
        _json.Flush();
        _stream.Flush();
    }

    /// <summary>Closes the stream (the collector completes the JSON when its session stops; stop it first).</summary>
    public void Dispose()
    {
        _json.Dispose();
        _stream.Dispose();
    }

    private static string StageName(IoSpanStage stage) => stage switch
    {
        IoSpanStage.Doorbell => "doorbell",
        IoSpanStage.Decoded => "decoded",
        IoSpanStage.Submitted => "submitted",
        IoSpanStage.DriverStart => "driver_start",
        IoSpanStage.DriverEnd => "driver_end",
        IoSpanStage.Queued => "queued",
        IoSpanStage.Delivered => "delivered",
        IoSpanStage.Interrupt => "interrupt",
        _ => "acknowledged",
    };

    private static string PhaseName(IoSpanStage from, IoSpanStage to) => (from, to) switch
    {
        (IoSpanStage.Doorbell, IoSpanStage.Decoded) => "device decode",
        (IoSpanStage.Decoded, IoSpanStage.Submitted) => "device submit",
        (IoSpanStage.Submitted, IoSpanStage.DriverStart) => "wait for worker",
        (IoSpanStage.DriverStart, IoSpanStage.DriverEnd) => "host I/O",
        (IoSpanStage.DriverEnd, IoSpanStage.Queued) => "post completion",
        (IoSpanStage.Queued, IoSpanStage.Delivered) => "wait for fixed point",
        (IoSpanStage.Delivered, IoSpanStage.Interrupt) => "device completion",
        (IoSpanStage.Interrupt, IoSpanStage.Acknowledged) => "guest acknowledge",
        _ => $"{StageName(from)} to {StageName(to)}",
    };

    internal static string OpName(IoTraceOp op) => op switch
    {
        IoTraceOp.Read => "read",
        IoTraceOp.Write => "write",
        IoTraceOp.Flush => "flush",
        IoTraceOp.Discard => "discard",
        IoTraceOp.WriteZeroes => "write_zeroes",
        IoTraceOp.MetadataRead => "metadata read",
        IoTraceOp.MetadataWrite => "metadata write",
        IoTraceOp.CowRead => "cow read",
        IoTraceOp.ReadNoWait => "read nowait",
        IoTraceOp.WriteNoWait => "write nowait",
        _ => "none",
    };

    private void WriteDriver(in IoTraceEntry entry)
    {
        var record = entry.Record;
        var tid = entry.Thread + 1;
        NameThread(BlockLayerPid, tid, ThreadName(entry.Thread));
        var ts = Micros(record.HostTicks);
        if (!_openSlices.TryGetValue(entry.Thread, out var open))
        {
            open = new Stack<string>();
            _openSlices.Add(entry.Thread, open);
        }

        if (record.Stage == IoTraceStage.DriverBegin)
        {
            var name = $"{IoTrace.NameOf(record.Name)} {OpName(record.Op)}";
            open.Push(name);
            Event("B", name, DriverCategory, BlockLayerPid, tid, ts);
            _json.WriteStartObject("args");
            _json.WriteNumber("span", record.Span);
            _json.WriteNumber("offset", record.Offset);
            _json.WriteNumber("length", record.Length);
            _json.WriteNumber("virtual_ns", record.VirtualNs);
            WriteSharedReading(record.SharesPreviousReading);
            _json.WriteEndObject();
            _json.WriteEndObject();
            if (record.Span != 0 && _flowStepped.Add(record.Span))
            {
                Event("t", "request", FlowCategory, BlockLayerPid, tid, ts);
                _json.WriteNumber("id", record.Span);
                _json.WriteEndObject();
            }

            return;
        }

        if (!open.TryPop(out var begun))
        {
            return;
        }

        Event("E", begun, DriverCategory, BlockLayerPid, tid, ts);
        _json.WriteStartObject("args");
        _json.WriteString("result", ResultName(record.Result));
        WriteSharedReading(record.SharesPreviousReading);
        _json.WriteEndObject();
        _json.WriteEndObject();
    }

    /// <summary>Marks a stamp whose host time is the previous stamp's reading on its thread (not measured apart).</summary>
    private void WriteSharedReading(bool shared)
    {
        if (shared)
        {
            _json.WriteBoolean("shared_reading", true);
        }
    }

    private void WriteSpan(IoSpan span)
    {
        _spans++;
        _flowStepped.Remove(span.Id);
        var pid = DeviceQueuePidBase + Math.Max(span.Track, -1) + 1;
        var trackName = span.Track >= 0 ? IoTrace.NameOf(span.Track) : "(no device)";
        NameProcess(pid, trackName, pid);
        NameThread(pid, pid, $"{trackName} submit/complete");
        var title = $"{OpName(span.Op)} {span.Length}";

        var submitted = span[IoSpanStage.Submitted];
        Event("X", "submit", RequestCategory, pid, pid, Micros(submitted.HostTicks));
        _json.WriteNumber("dur", 0);
        _json.WriteStartObject("args");
        _json.WriteNumber("span", span.Id);
        _json.WriteEndObject();
        _json.WriteEndObject();
        Event("s", "request", FlowCategory, pid, pid, Micros(submitted.HostTicks));
        _json.WriteNumber("id", span.Id);
        _json.WriteEndObject();

        var start = span.Start;
        AsyncEvent("b", title, RequestCategory, pid, span.Id, start.HostTicks);
        _json.WriteEndObject();
        IoSpanStage? previous = null;
        for (var stage = IoSpanStage.Doorbell; stage <= IoSpanStage.Acknowledged; stage++)
        {
            if (!span[stage].IsSet || span[stage].HostTicks < start.HostTicks)
            {
                continue;
            }

            if (previous is { } from)
            {
                var phase = PhaseName(from, stage);
                AsyncEvent("b", phase, PhaseCategory, pid, span.Id, span[from].HostTicks);
                _json.WriteStartObject("args");
                _json.WriteNumber("virtual_ns", span[stage].VirtualNs - span[from].VirtualNs);
                WriteSharedReading(OneReading(span[from], span[stage]));
                _json.WriteEndObject();
                _json.WriteEndObject();
                AsyncEvent("e", phase, PhaseCategory, pid, span.Id, span[stage].HostTicks);
                _json.WriteEndObject();
            }

            previous = stage;
        }

        var end = span.End;
        AsyncEvent("e", title, RequestCategory, pid, span.Id, end.HostTicks);
        WriteSpanArgs(span, trackName);
        _json.WriteEndObject();

        if (span[IoSpanStage.Delivered] is { IsSet: true } delivered)
        {
            Event("X", "complete", RequestCategory, pid, pid, Micros(delivered.HostTicks));
            _json.WriteNumber("dur", 0);
            _json.WriteStartObject("args");
            _json.WriteNumber("span", span.Id);
            _json.WriteString("result", ResultName((short)span.Result));
            _json.WriteEndObject();
            _json.WriteEndObject();
            Event("f", "request", FlowCategory, pid, pid, Micros(delivered.HostTicks));
            _json.WriteNumber("id", span.Id);
            _json.WriteString("bp", "e");
            _json.WriteEndObject();
        }
    }

    private void WriteSpanArgs(IoSpan span, string trackName)
    {
        _json.WriteStartObject("args");
        _json.WriteNumber("span", span.Id);
        _json.WriteString("device", trackName);
        _json.WriteString("drive", IoTrace.NameOf(span.Drive));
        _json.WriteString("op", OpName(span.Op));
        _json.WriteNumber("offset", span.Offset);
        _json.WriteNumber("length", span.Length);
        _json.WriteNumber("queue_depth", span.QueueDepth);
        _json.WriteString("result", span.Result < 0 ? "incomplete" : ResultName((short)span.Result));
        if (span[IoSpanStage.Acknowledged].IsSet && span.Start.IsSet)
        {
            _json.WriteNumber("guest_instructions", span[IoSpanStage.Acknowledged].Instructions - span.Start.Instructions);
        }

        if (span.WorkerThread >= 0)
        {
            _json.WriteString("worker", ThreadName(span.WorkerThread));
        }

        _json.WriteStartObject("stages");
        for (var stage = IoSpanStage.Doorbell; stage <= IoSpanStage.Acknowledged; stage++)
        {
            if (span[stage] is { IsSet: true } stamp)
            {
                _json.WriteStartObject(StageName(stage));
                _json.WriteNumber("us", Micros(stamp.HostTicks));
                _json.WriteNumber("vns", stamp.VirtualNs);
                _json.WriteNumber("instr", stamp.Instructions);
                WriteSharedReading(stamp.SharesPreviousReading);
                _json.WriteEndObject();
            }
        }

        _json.WriteEndObject();
        _json.WriteEndObject();
    }

    /// <summary>True when <paramref name="to"/> was stamped with <paramref name="from"/>'s clock reading: the phase between them was not measured.</summary>
    private static bool OneReading(IoStamp from, IoStamp to) => to.SharesPreviousReading && to.HostTicks == from.HostTicks;

    private static string ResultName(short result) => result switch
    {
        IoTrace.ResultPending => "pending",
        IoTrace.ResultNotDone => "would block",
        _ => ((Backend.BlockError)result).ToString(),
    };

    private static string ThreadName(int ordinal)
    {
        foreach (var ring in IoTrace.Rings)
        {
            if (ring.Ordinal == ordinal)
            {
                return ring.ThreadName;
            }
        }

        return $"thread {ordinal}";
    }

    private double Micros(long ticks) => Math.Round((ticks - _baseTicks) * 1_000_000.0 / Stopwatch.Frequency, 3);

    /// <summary>Starts an event object with its common fields; the caller adds the rest and closes it.</summary>
    private void Event(string phase, string name, string category, int pid, int tid, double ts)
    {
        _json.WriteStartObject();
        _json.WriteString("ph", phase);
        _json.WriteString("name", name);
        _json.WriteString("cat", category);
        _json.WriteNumber("pid", pid);
        _json.WriteNumber("tid", tid);
        _json.WriteNumber("ts", ts);
    }

    private void AsyncEvent(string phase, string name, string category, int pid, long id, long ticks)
    {
        Event(phase, name, category, pid, pid, Micros(ticks));
        _json.WriteNumber("id", id);
    }

    private void NameProcess(int pid, string name, int sortIndex)
    {
        if (!_namedProcesses.Add(pid))
        {
            return;
        }

        Metadata("process_name", pid, 0, name);
        _json.WriteStartObject();
        _json.WriteString("ph", "M");
        _json.WriteString("name", "process_sort_index");
        _json.WriteNumber("pid", pid);
        _json.WriteStartObject("args");
        _json.WriteNumber("sort_index", sortIndex);
        _json.WriteEndObject();
        _json.WriteEndObject();
    }

    private void NameThread(int pid, int tid, string name)
    {
        if (_namedThreads.Add((pid << 16) ^ tid))
        {
            Metadata("thread_name", pid, tid, name);
        }
    }

    private void Metadata(string kind, int pid, int tid, string name)
    {
        _json.WriteStartObject();
        _json.WriteString("ph", "M");
        _json.WriteString("name", kind);
        _json.WriteNumber("pid", pid);
        _json.WriteNumber("tid", tid);
        _json.WriteStartObject("args");
        _json.WriteString("name", name);
        _json.WriteEndObject();
        _json.WriteEndObject();
    }
}
