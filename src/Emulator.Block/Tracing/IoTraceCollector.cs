using Emulator.Block.Tracing.Export;
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
    private readonly List<Queue<IoTraceEntry>> _pending = [];
    private readonly PriorityQueue<int, (long Ticks, int Ring)> _heads = new();
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Thread _thread;
    private long _droppedAtStart;
    private bool _stopped;

    private IoTraceCollector(IIoTraceSink sink, TimeSpan interval, TimeSpan reorderWindow)
    {
        _sink = sink;
        _interval = interval;
        _reorderTicks = (long)(reorderWindow.TotalSeconds * Stopwatch.Frequency);
        // Below normal: the exporter must not take a core from the guest on a small host.
        _thread = new Thread(DrainLoop) { IsBackground = true, Name = "io-trace-collector", Priority = ThreadPriority.BelowNormal };
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

    /// <summary>
    /// Starts the one I/O trace session of the process, writing into a Trace Event Format file: tracing is
    /// switched on and a background thread moves records from the per-thread rings to
    /// <paramref name="writer"/> every <paramref name="interval"/> (default 20 ms), holding them back for
    /// <paramref name="reorderWindow"/> (default 50 ms) so they arrive in host-time order. Stop or dispose
    /// the collector to end the session; the writer is completed then, not disposed.
    /// </summary>
    /// <exception cref="InvalidOperationException">A session is already running.</exception>
    public static IoTraceCollector Start(TraceEventFileWriter writer, TimeSpan? interval = null, TimeSpan? reorderWindow = null) =>
        Start((IIoTraceSink)writer, interval, reorderWindow);

    /// <summary>Starts the one session of the process; throws when one is already running.</summary>
    internal static IoTraceCollector Start(IIoTraceSink sink, TimeSpan? interval = null, TimeSpan? reorderWindow = null)
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

    /// <summary>Same as <see cref="Stop"/>.</summary>
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

    /// <summary>
    /// Reads every ring into its own queue (each is in time order already) and merges them by host time
    /// (ring order on ties) up to the reorder horizon: O(n log rings), no sort of the whole batch.
    /// </summary>
    private void Drain(bool final)
    {
        var rings = IoTrace.Rings;
        while (_pending.Count < rings.Count)
        {
            _pending.Add(new Queue<IoTraceEntry>());
        }

        var total = 0;
        foreach (var ring in rings)
        {
            var queue = _pending[ring.Ordinal];
            while (ring.TryRead(out var record))
            {
                queue.Enqueue(new IoTraceEntry(record, ring.Ordinal));
            }

            total += queue.Count;
        }

        if (total == 0)
        {
            return;
        }

        var horizon = final ? long.MaxValue : Stopwatch.GetTimestamp() - _reorderTicks;
        _heads.Clear();
        for (var i = 0; i < _pending.Count; i++)
        {
            if (_pending[i].TryPeek(out var head) && head.Record.HostTicks <= horizon)
            {
                _heads.Enqueue(i, (head.Record.HostTicks, i));
            }
        }

        var batch = new List<IoTraceEntry>(total);
        while (_heads.TryDequeue(out var ring, out _))
        {
            var queue = _pending[ring];
            batch.Add(queue.Dequeue());
            if (queue.TryPeek(out var next) && next.Record.HostTicks <= horizon)
            {
                _heads.Enqueue(ring, (next.Record.HostTicks, ring));
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        var entries = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch);
        _sink.OnEntries(entries);
        Export.IoTraceObservers.Publish(entries);
    }
}
