namespace Emulator.Block.Tracing;

/// <summary>
/// A single-producer, single-consumer ring of <see cref="IoTraceRecord"/>s, one per stamping thread,
/// allocated once on that thread's first stamp. The producer writes a slot and then publishes its head
/// with a release store; the collector reads up to the head and publishes its tail. A full ring drops
/// the new record and counts it (the trace reports drops; a stamp never waits).
/// </summary>
internal sealed class IoTraceRing
{
    public const int DefaultCapacity = 1 << 16;

    private readonly IoTraceRecord[] _records;
    private readonly long _mask;
    private long _head;
    private long _tail;
    private long _dropped;

    internal IoTraceRing(int ordinal, string threadName, int capacity = DefaultCapacity)
    {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), "The capacity must be a power of two.");
        }

        Ordinal = ordinal;
        ThreadName = threadName;
        _records = new IoTraceRecord[capacity];
        _mask = capacity - 1;
    }

    /// <summary>Small number naming the thread in exports (0, 1, 2 … in order of first stamp).</summary>
    public int Ordinal { get; }

    public string ThreadName { get; }

    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Producer side (the owning thread only).</summary>
    internal void Write(in IoTraceRecord record)
    {
        var head = _head;
        if (head - Volatile.Read(ref _tail) >= _records.Length)
        {
            _dropped++;
            return;
        }

        _records[head & _mask] = record;
        Volatile.Write(ref _head, head + 1);
    }

    /// <summary>Consumer side (the collector only).</summary>
    internal bool TryRead(out IoTraceRecord record)
    {
        var tail = _tail;
        if (tail == Volatile.Read(ref _head))
        {
            record = default;
            return false;
        }

        record = _records[tail & _mask];
        Volatile.Write(ref _tail, tail + 1);
        return true;
    }

    /// <summary>Consumer side: forgets everything written so far (a new session starts clean).</summary>
    internal void Discard() => Volatile.Write(ref _tail, Volatile.Read(ref _head));
}
