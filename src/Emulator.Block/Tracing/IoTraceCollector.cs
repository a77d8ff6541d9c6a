using System.Diagnostics;

namespace Emulator.Block.Tracing;

/// <summary>
/// Owns a tracing session: clears the rings, turns <see cref="IoTrace.Enabled"/> on, drains every ring on
/// its own thread into a sink, and on <see cref="Stop"/> turns tracing off, drains the rest and completes
/// the sink. Each drain merges the rings by host time; records younger than the reorder window wait for
/// the next drain, so a thread that publishes late is not put out of order. Runs outside the I/O path:
/// everything here may allocate.
/// </summary>
public sealed class IoTraceCollector : IDisposable
{
    private static readonly Lock SessionLock = new();
    private static IoTraceCollector? s_active;

    private readonly IIoTraceSink _sink;
    private readonly TimeSpan _interval;
    private readonly long _reorderTicks;
    private readonly List<(IoTraceEntry Entry, long Sequence)> _pending = [];
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Thread _thread;
    private long _sequence;
    private long _droppedAtStart;
    private bool _stopped;

    private IoTraceCollector(IIoTraceSink sink, TimeSpan interval, TimeSpan reorderWindow)
    {
        _sink = sink;
        _interval = interval;
        _reorderTicks = (long)(reorderWindow.TotalSeconds * Stopwatch.Frequency);
        _thread = new Thread(DrainLoop) { IsBackground = true, Name = "io-trace-collector" };
    }

    /// <summary>True while a session records.</summary>
    public static bool IsActive
    {
        get
        {
            lock (SessionLock)
            {
                return s_active is not null;
            }
        }
    }

    /// <summary>Starts the one session of the process; throws when one is already running.</summary>
    public static IoTraceCollector Start(IIoTraceSink sink, TimeSpan? interval = null, TimeSpan? reorderWindow = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (SessionLock)
        {
            if (s_active is not null)
            {
                throw new InvalidOperationException("An I/O trace session is already running.");
            }

            var collector = new IoTraceCollector(sink, interval ?? TimeSpan.FromMilliseconds(20), reorderWindow ?? TimeSpan.FromMilliseconds(50));
            s_active = collector;
            IoTrace.SetEnabled(true);
            collector._droppedAtStart = TotalDropped();
            collector._thread.Start();
            return collector;
        }
    }

    /// <summary>Ends the session: tracing off, everything left drained, the sink completed. Idempotent.</summary>
    public void Stop()
    {
        lock (SessionLock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            IoTrace.SetEnabled(false);
            _stop.Set();
            _thread.Join();
            Drain(final: true);
            _sink.Complete(TotalDropped() - _droppedAtStart);
            Export.IoTraceObservers.Flush();
            s_active = null;
        }
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }

    private static long TotalDropped()
    {
        long dropped = 0;
        foreach (var ring in IoTrace.Rings)
        {
            dropped += ring.Dropped;
        }

        return dropped;
    }

    private void DrainLoop()
    {
        while (!_stop.Wait(_interval))
        {
            Drain(final: false);
        }
    }

    private void Drain(bool final)
    {
        foreach (var ring in IoTrace.Rings)
        {
            while (ring.TryRead(out var record))
            {
                _pending.Add((new IoTraceEntry(record, ring.Ordinal), _sequence++));
            }
        }

        if (_pending.Count == 0)
        {
            return;
        }

        // Host time first; the sequence keeps one thread's records (read in ring order) in their order on ties.
        _pending.Sort(static (a, b) =>
        {
            var byTime = a.Entry.Record.HostTicks.CompareTo(b.Entry.Record.HostTicks);
            return byTime != 0 ? byTime : a.Sequence.CompareTo(b.Sequence);
        });

        var horizon = final ? long.MaxValue : Stopwatch.GetTimestamp() - _reorderTicks;
        var ready = 0;
        while (ready < _pending.Count && _pending[ready].Entry.Record.HostTicks <= horizon)
        {
            ready++;
        }

        if (ready == 0)
        {
            return;
        }

        var batch = new IoTraceEntry[ready];
        for (var i = 0; i < ready; i++)
        {
            batch[i] = _pending[i].Entry;
        }

        _pending.RemoveRange(0, ready);
        _sink.OnEntries(batch);
        Export.IoTraceObservers.Publish(batch);
    }
}
