namespace Emulator.Machine.Cpu;

/// <summary>
/// Decoded instructions that start in one 4 KiB physical page, looked up by page offset. Separate
/// offset maps for 16- and 32-bit code, because the same bytes decode differently (mode-switch
/// thunks mix both in one page). <see cref="Low"/>/<see cref="High"/> bound the bytes the cached
/// instructions cover, so writes elsewhere in the page (a stack below a boot sector) keep the cache.
/// </summary>
internal sealed class CodePage
{
    private const int InitialEntries = 64;
    private const int BigFlag = 1 << 16;

    /// <summary>Where each entry sits in the maps (offset, plus <see cref="BigFlag"/> for 32-bit code), so a clear touches only those slots.</summary>
    private int[] _slots = new int[InitialEntries];

    public DecodedInstruction[] Entries { get; private set; } = new DecodedInstruction[InitialEntries];

    public int Count { get; private set; }

    public int Low { get; private set; } = int.MaxValue;

    public int High { get; private set; }

    /// <summary>Offset map for 16-bit code; entry values are index + 1, zero for "not decoded".</summary>
    public ushort[] Map16 { get; } = new ushort[Memory.GuestMemory.PageSize];

    /// <summary>Offset map for 32-bit code.</summary>
    public ushort[] Map32 { get; } = new ushort[Memory.GuestMemory.PageSize];

    public ushort[] Map(bool big) => big ? Map32 : Map16;

    /// <summary>Reserves a slot for an instruction of <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public ref DecodedInstruction Add(bool big, int offset, int length)
    {
        if (Count == Entries.Length)
        {
            var grown = new DecodedInstruction[Entries.Length * 2];
            Entries.AsSpan().CopyTo(grown);
            Entries = grown;
            Array.Resize(ref _slots, grown.Length);
        }

        _slots[Count] = offset | (big ? BigFlag : 0);
        Map(big)[offset] = (ushort)(Count + 1);
        Low = Math.Min(Low, offset);
        High = Math.Max(High, offset + length);
        return ref Entries[Count++];
    }

    public bool Overlaps(int offset, int length) => offset < High && offset + length > Low;

    /// <summary>
    /// Forgets every decoded instruction. Self-modifying guests (DOS patching an INT number before each
    /// call) clear pages often, so only the map slots in use are zeroed, not the whole 16 KiB of maps.
    /// </summary>
    public void Clear()
    {
        for (var i = 0; i < Count; i++)
        {
            var slot = _slots[i];
            Map((slot & BigFlag) != 0)[slot & (BigFlag - 1)] = 0;
        }

        Count = 0;
        Low = int.MaxValue;
        High = 0;
    }
}
