namespace Emulator.Testing.Qos;

/// <summary>
/// libqos's guest memory allocator (QGuestAllocator): first fit over a range of guest RAM, every block
/// aligned to <see cref="PageSize"/>, freed blocks merged with their neighbours. The pc layout
/// (<see cref="ForPc"/>) starts at 1 MiB, as libqos's pc allocator does, clear of the BIOS data and the IVT.
/// </summary>
public sealed class GuestAllocator
{
    /// <summary>The alignment and granule of every block.</summary>
    public const ulong PageSize = 4096;

    /// <summary>Where the pc allocator starts: above the real-mode area and the BIOS ROM.</summary>
    public const ulong PcStart = 1 << 20;

    private readonly SortedDictionary<ulong, ulong> _free = [];
    private readonly Dictionary<ulong, ulong> _used = [];

    /// <summary>An allocator over guest physical [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public GuestAllocator(ulong start, ulong end)
    {
        var first = Align(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(first, end);
        Start = first;
        End = end;
        _free[first] = end - first;
    }

    /// <summary>The first address the allocator hands out.</summary>
    public ulong Start { get; }

    /// <summary>The end of its range (exclusive).</summary>
    public ulong End { get; }

    /// <summary>The bytes not allocated.</summary>
    public ulong FreeBytes => _free.Values.Aggregate(0UL, (sum, length) => sum + length);

    /// <summary>The pc allocator over <paramref name="ramBytes"/> of RAM below 4 GiB (from 1 MiB to the end of RAM).</summary>
    public static GuestAllocator ForPc(ulong ramBytes) => new(PcStart, ramBytes);

    /// <summary>libqos's guest_alloc: <paramref name="size"/> bytes, page-aligned; an exhausted range is an <see cref="InvalidOperationException"/>.</summary>
    public ulong Allocate(ulong size)
    {
        ArgumentOutOfRangeException.ThrowIfZero(size);
        var length = Align(size);
        foreach (var (address, free) in _free)
        {
            if (free < length)
            {
                continue;
            }

            _free.Remove(address);
            if (free > length)
            {
                _free[address + length] = free - length;
            }

            _used[address] = length;
            return address;
        }

        throw new InvalidOperationException($"guest allocator: no {length} free bytes in [{Start:x}, {End:x})");
    }

    /// <summary>libqos's guest_free: gives back a block <see cref="Allocate"/> returned; anything else is an <see cref="ArgumentException"/>.</summary>
    public void Free(ulong address)
    {
        if (!_used.Remove(address, out var length))
        {
            throw new ArgumentException($"0x{address:x} was not allocated here", nameof(address));
        }

        var next = address + length;
        if (_free.Remove(next, out var after))
        {
            length += after;
        }

        var before = _free.Keys.LastOrDefault(k => k < address, ulong.MaxValue);
        if (before != ulong.MaxValue && before + _free[before] == address)
        {
            _free[before] += length;
            return;
        }

        _free[address] = length;
    }

    private static ulong Align(ulong value) => (value + PageSize - 1) & ~(PageSize - 1);
}
