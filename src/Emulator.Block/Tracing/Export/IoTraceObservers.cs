namespace Emulator.Block.Tracing.Export;

/// <summary>
/// Feeds the live observers — <see cref="IoTraceEventSource"/> and <see cref="IoTraceMetrics"/> — from
/// every session's records (the collector calls <see cref="Publish"/> after its sink), and starts a
/// session of its own (records discarded) when an observer is switched on while none runs. Publishing
/// runs on the collector's thread only; the work is skipped when nobody listens.
/// </summary>
internal static class IoTraceObservers
{
    private static readonly Lock Gate = new();
    private static readonly IoSpanAssembler Assembler = new(Finished);
    private static readonly Dictionary<long, int> TrackOfSpan = [];
    private static int s_holders;
    private static IoTraceCollector? s_owned;

    /// <summary>
    /// Creates the EventSource and the meter (once; a device registering its first track calls this), so
    /// dotnet-trace and dotnet-counters attached to a running emulator find them: both only exist, and can
    /// only be switched on, once constructed.
    /// </summary>
    public static void Register()
    {
        _ = IoTraceEventSource.Log;
        IoTraceMetrics.Register();
    }

    /// <summary>An observer was switched on (the EventSource provider): make sure a session runs until <see cref="Release"/>.</summary>
    public static void Acquire()
    {
        lock (Gate)
        {
            s_holders++;
            StartIfIdle();
        }
    }

    public static void Release()
    {
        IoTraceCollector? stop = null;
        lock (Gate)
        {
            if (s_holders > 0 && --s_holders == 0)
            {
                stop = s_owned;
                s_owned = null;
            }
        }

        stop?.Stop();
    }

    /// <summary>A metrics listener asked for values: make sure a session runs (it keeps running; off costs one branch again only when stopped).</summary>
    public static void EnsureRunning()
    {
        lock (Gate)
        {
            StartIfIdle();
        }
    }

    /// <summary>Ends the session an observer started, if one runs (a host at exit; a metrics listener has no "detached" signal).</summary>
    public static void StopOwnedSession()
    {
        IoTraceCollector? stop;
        lock (Gate)
        {
            stop = s_owned;
            s_owned = null;
            s_holders = 0;
        }

        stop?.Stop();
    }

    /// <summary>Collector thread: hands a batch to whichever observer listens.</summary>
    public static void Publish(ReadOnlySpan<IoTraceEntry> entries)
    {
        var events = IoTraceEventSource.Log.IsEnabled();
        if (!events && !IoTraceMetrics.Enabled && s_owned is null)
        {
            return;
        }

        foreach (var entry in entries)
        {
            var record = entry.Record;
            if (record.Stage == IoTraceStage.Submitted)
            {
                TrackOfSpan[record.Span] = record.Track;
                IoTraceMetrics.Submitted(IoTrace.NameOf(record.Track));
            }
            else if (record.Stage == IoTraceStage.Delivered && TrackOfSpan.Remove(record.Span, out var track))
            {
                IoTraceMetrics.Left(IoTrace.NameOf(track));
            }

            Assembler.Add(entry);
        }
    }

    /// <summary>Collector thread, at the end of a session: closes what is still open.</summary>
    public static void Flush()
    {
        Assembler.Flush();
        TrackOfSpan.Clear();
    }

    private static void StartIfIdle()
    {
        if (!IoTraceCollector.IsActive)
        {
            s_owned = IoTraceCollector.Start(new NullSink());
        }
    }

    private static void Finished(IoSpan span)
    {
        var device = IoTrace.NameOf(span.Track);
        var op = TraceEventFileWriter.OpName(span.Op);
        var start = span.Start;
        var delivered = span[IoSpanStage.Delivered];
        var acked = span[IoSpanStage.Acknowledged];
        var service = delivered.IsSet ? Micros(delivered.HostTicks - start.HostTicks) : -1;
        if (delivered.IsSet)
        {
            IoTraceMetrics.Completed(device, op, span.Length, service);
        }

        IoTraceEventSource.Log.Request(
            span.Id,
            device,
            IoTrace.NameOf(span.Drive),
            op,
            span.Offset,
            span.Length,
            span.QueueDepth,
            span.Result,
            service,
            acked.IsSet ? Micros(acked.HostTicks - start.HostTicks) : -1,
            delivered.IsSet ? delivered.VirtualNs - start.VirtualNs : -1,
            acked.IsSet ? acked.Instructions - start.Instructions : -1,
            start.VirtualNs,
            start.Instructions);
    }

    private static double Micros(long ticks) => ticks * 1_000_000.0 / System.Diagnostics.Stopwatch.Frequency;

    private sealed class NullSink : IIoTraceSink
    {
        public void OnEntries(ReadOnlySpan<IoTraceEntry> entries)
        {
        }

        public void Complete(long dropped)
        {
        }
    }
}
