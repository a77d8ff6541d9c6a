using Emulator.Block.Backend;
using Emulator.Block.Tracing;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// A least-recently-used cache of cluster-sized metadata tables (L2 tables, refcount blocks), keyed
/// by host offset. Buffers are allocated once per slot and reused, so a lookup in steady state
/// allocates nothing. Updates are either written through at once, in the order the caller makes
/// them, or held dirty (L2 entries; refcounts with lazy refcounts) and written back at flush or
/// eviction, after a barrier (<see cref="Qcow2Io.Barrier"/>) makes everything they may point at
/// durable first (see <see cref="Qcow2Driver"/>). Not thread-safe: the driver's metadata lock guards it.
/// </summary>
internal sealed class Qcow2TableCache
{
    private readonly Qcow2Io _io;
    private readonly int _tableSize;
    private readonly long[] _offsets;
    private readonly long[] _stamps;
    private readonly byte[][] _tables;
    private readonly Dictionary<long, int> _slots;
    private readonly bool[] _dirty;
    private readonly bool[] _verified;
    private long _clock;
    private int _lastHit;

    public Qcow2TableCache(Qcow2Io io, int tableSize, int capacity)
    {
        _io = io;
        _tableSize = tableSize;
        capacity = Math.Max(2, capacity);
        _offsets = new long[capacity];
        _stamps = new long[capacity];
        _tables = new byte[capacity][];
        _dirty = new bool[capacity];
        _verified = new bool[capacity];
        _slots = new Dictionary<long, int>(capacity);
        Array.Fill(_offsets, -1);
    }

    public int Capacity => _offsets.Length;

    /// <summary>The table at <paramref name="offset"/>, read from the file when it is not cached.</summary>
    public BlockError Get(long offset, out byte[] table)
    {
        var error = SlotFor(offset, out var slot, out var cached);
        if (error != BlockError.None)
        {
            table = [];
            return error;
        }

        if (!cached)
        {
            var buffer = _tables[slot] ??= new byte[_tableSize];
            Evict(_offsets[slot]);
            error = _io.Read(offset, buffer, IoTraceOp.MetadataRead);
            if (error != BlockError.None)
            {
                table = buffer;
                return error;
            }

            Assign(slot, offset);
        }

        _stamps[slot] = ++_clock;
        table = _tables[slot];
        return BlockError.None;
    }

    /// <summary>The slot caching <paramref name="offset"/> (<paramref name="cached"/>), else a slot freed for it; an error when none can be freed.</summary>
    private BlockError SlotFor(long offset, out int slot, out bool cached)
    {
        slot = Find(offset);
        cached = slot >= 0;
        return cached ? BlockError.None : Victim(out slot);
    }

    /// <summary>The table at <paramref name="offset"/> when it is cached; never reads the file.</summary>
    public bool TryGetCached(long offset, out byte[] table)
    {
        var slot = Find(offset);
        if (slot < 0)
        {
            table = [];
            return false;
        }

        _stamps[slot] = ++_clock;
        table = _tables[slot];
        return true;
    }

    /// <summary>Caches a table just created (all zero) without reading it; the caller writes it.</summary>
    public BlockError Create(long offset, out byte[] table)
    {
        var error = SlotFor(offset, out var slot, out _);
        if (error != BlockError.None)
        {
            table = [];
            return error;
        }

        var buffer = _tables[slot] ??= new byte[_tableSize];
        Array.Clear(buffer);
        Assign(slot, offset);
        _dirty[slot] = false;
        _stamps[slot] = ++_clock;
        table = buffer;
        return BlockError.None;
    }

    /// <summary>
    /// Whether the cached table at <paramref name="offset"/> passed the owner's consistency check since it
    /// was read (<see cref="MarkVerified"/>); a table read again, created or reassigned starts unverified.
    /// </summary>
    public bool IsVerified(long offset) => Find(offset) is var slot && slot >= 0 && _verified[slot];

    /// <summary>Records that the cached table at <paramref name="offset"/> passed the owner's consistency check.</summary>
    public void MarkVerified(long offset)
    {
        var slot = Find(offset);
        if (slot >= 0)
        {
            _verified[slot] = true;
        }
    }

    /// <summary>Marks a cached table as changed in memory only (lazy refcounts): it is written back on eviction or <see cref="WriteBack"/>.</summary>
    public void MarkDirty(long offset)
    {
        var slot = Find(offset);
        if (slot >= 0)
        {
            _dirty[slot] = true;
        }
    }

    /// <summary>Writes every table changed in memory back to the file, after a barrier.</summary>
    public BlockError WriteBack()
    {
        if (!HasDirty)
        {
            return BlockError.None;
        }

        var barrier = _io.Barrier();
        if (barrier != BlockError.None)
        {
            return barrier;
        }

        for (var slot = 0; slot < _offsets.Length; slot++)
        {
            if (_dirty[slot] && _offsets[slot] >= 0)
            {
                var error = _io.WriteMetadata(_offsets[slot], _tables[slot]);
                if (error != BlockError.None)
                {
                    return error;
                }

                _dirty[slot] = false;
            }
        }

        return BlockError.None;
    }

    public bool HasDirty => Array.IndexOf(_dirty, true) >= 0;

    /// <summary>Writes <paramref name="length"/> bytes of the cached table at <paramref name="offset"/> from <paramref name="start"/> through to the file.</summary>
    public BlockError WriteThrough(long offset, byte[] table, int start, int length) =>
        _io.WriteMetadata(offset + start, table.AsMemory(start, length));

    /// <summary>Forgets a table (it was freed or rewritten elsewhere).</summary>
    public void Evict(long offset)
    {
        var slot = Find(offset);
        if (slot >= 0)
        {
            _slots.Remove(offset);
            _offsets[slot] = -1;
            _dirty[slot] = false;
        }
    }

    public void Clear()
    {
        _slots.Clear();
        Array.Fill(_offsets, -1);
    }

    private int Find(long offset)
    {
        if (_offsets[_lastHit] == offset)
        {
            return _lastHit;
        }

        if (_slots.TryGetValue(offset, out var slot))
        {
            _lastHit = slot;
            return slot;
        }

        return -1;
    }

    private void Assign(int slot, long offset)
    {
        if (_offsets[slot] >= 0)
        {
            _slots.Remove(_offsets[slot]);
        }

        _offsets[slot] = offset;
        _slots[offset] = slot;
        _verified[slot] = false;
    }

    /// <summary>The slot to reuse: a free one, else the least recently used (written back first when it is dirty).</summary>
    private BlockError Victim(out int victim)
    {
        victim = 0;
        for (var i = 0; i < _offsets.Length; i++)
        {
            if (_offsets[i] < 0)
            {
                victim = i;
                return BlockError.None;
            }

            if (_stamps[i] < _stamps[victim])
            {
                victim = i;
            }
        }

        if (_dirty[victim])
        {
            var error = _io.Barrier();
            error = error == BlockError.None ? _io.WriteMetadata(_offsets[victim], _tables[victim]) : error;
            if (error != BlockError.None)
            {
                return error;
            }

            _dirty[victim] = false;
        }

        return BlockError.None;
    }
}
