namespace Emulator.Block.Tracing.Export;

/// <summary>
/// Turns ordered records into finished <see cref="IoSpan"/>s (docs/io-tracing.md, "The data model"):
/// span events by id; track events by order on the track — a span's doorbell and decode are the last ones
/// before its submit, its interrupt the first after its delivery, its acknowledgement the first after
/// that interrupt. A span the guest never acknowledges closes at the next doorbell on its track or at
/// <see cref="Flush"/>. Driver stages give the span its host I/O window (outermost node only).
/// </summary>
internal sealed class IoSpanAssembler
{
    private readonly Action<IoSpan> _finished;
    private readonly Dictionary<long, IoSpan> _open = [];
    private readonly Dictionary<int, TrackState> _tracks = [];
    private readonly Dictionary<int, int> _driverDepth = [];

    public IoSpanAssembler(Action<IoSpan> finished)
    {
        _finished = finished ?? throw new ArgumentNullException(nameof(finished));
    }

    public void Add(in IoTraceEntry entry)
    {
        var record = entry.Record;
        var stamp = IoStamp.Of(record);
        switch (record.Stage)
        {
            case IoTraceStage.Doorbell:
                var doorbellTrack = Track(record.Track);
                CloseAll(doorbellTrack.AwaitingInterrupt);
                CloseAll(doorbellTrack.AwaitingAck);
                doorbellTrack.LastDoorbell = stamp;
                break;
            case IoTraceStage.Decoded:
                Track(record.Track).LastDecoded = stamp;
                break;
            case IoTraceStage.Submitted:
                var track = Track(record.Track);
                var span = new IoSpan
                {
                    Id = record.Span,
                    Track = record.Track,
                    Drive = record.Name,
                    Op = record.Op,
                    Offset = record.Offset,
                    Length = record.Length,
                    QueueDepth = record.QueueDepth,
                };
                span[IoSpanStage.Doorbell] = track.LastDoorbell;
                span[IoSpanStage.Decoded] = track.LastDecoded;
                span[IoSpanStage.Submitted] = stamp;
                _open[record.Span] = span;
                break;
            case IoTraceStage.DriverBegin:
                var depth = _driverDepth.GetValueOrDefault(entry.Thread);
                _driverDepth[entry.Thread] = depth + 1;
                if (depth == 0 && _open.TryGetValue(record.Span, out var begun) && !begun[IoSpanStage.DriverStart].IsSet)
                {
                    begun[IoSpanStage.DriverStart] = stamp;
                    begun.WorkerThread = entry.Thread;
                }

                break;
            case IoTraceStage.DriverEnd:
                var endDepth = Math.Max(0, _driverDepth.GetValueOrDefault(entry.Thread) - 1);
                _driverDepth[entry.Thread] = endDepth;
                if (endDepth == 0 && record.Result != IoTrace.ResultNotDone && _open.TryGetValue(record.Span, out var ended))
                {
                    ended[IoSpanStage.DriverEnd] = stamp;
                }

                break;
            case IoTraceStage.Queued:
                if (_open.TryGetValue(record.Span, out var queued))
                {
                    queued[IoSpanStage.Queued] = stamp;
                }

                break;
            case IoTraceStage.Delivered:
                if (_open.Remove(record.Span, out var delivered))
                {
                    delivered[IoSpanStage.Delivered] = stamp;
                    delivered.Result = record.Result;
                    if (delivered.Track >= 0)
                    {
                        Track(delivered.Track).AwaitingInterrupt.Add(delivered);
                    }
                    else
                    {
                        _finished(delivered);
                    }
                }

                break;
            case IoTraceStage.Interrupt:
                var raised = Track(record.Track);
                foreach (var waiting in raised.AwaitingInterrupt)
                {
                    waiting[IoSpanStage.Interrupt] = stamp;
                    raised.AwaitingAck.Add(waiting);
                }

                raised.AwaitingInterrupt.Clear();
                break;
            case IoTraceStage.Acknowledged:
                var acked = Track(record.Track);
                foreach (var waiting in acked.AwaitingAck)
                {
                    waiting[IoSpanStage.Acknowledged] = stamp;
                }

                CloseAll(acked.AwaitingAck);
                break;
        }
    }

    /// <summary>Closes every span still open or waiting (the session ended), in id order.</summary>
    public void Flush()
    {
        var rest = new List<IoSpan>(_open.Values);
        _open.Clear();
        foreach (var track in _tracks.Values)
        {
            rest.AddRange(track.AwaitingInterrupt);
            rest.AddRange(track.AwaitingAck);
            track.AwaitingInterrupt.Clear();
            track.AwaitingAck.Clear();
        }

        rest.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        foreach (var span in rest)
        {
            _finished(span);
        }
    }

    private void CloseAll(List<IoSpan> spans)
    {
        foreach (var span in spans)
        {
            _finished(span);
        }

        spans.Clear();
    }

    private TrackState Track(int track)
    {
        if (!_tracks.TryGetValue(track, out var state))
        {
            state = new TrackState();
            _tracks.Add(track, state);
        }

        return state;
    }

    private sealed class TrackState
    {
        public IoStamp LastDoorbell { get; set; }

        public IoStamp LastDecoded { get; set; }

        public List<IoSpan> AwaitingInterrupt { get; } = [];

        public List<IoSpan> AwaitingAck { get; } = [];
    }
}
