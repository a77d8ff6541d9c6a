namespace Emulator.Machine.Cpu;

/// <summary>
/// Decoded instructions that start in one 4 KiB physical page, looked up by page offset. Separate
/// offset maps for 16- and 32-bit code, because the same bytes decode differently (mode-switch
/// thunks mix both in one page). A bitmap marks every byte a cached instruction was decoded from,
/// so a write beside the code (a stack below a boot sector, variables between routines) is told
/// apart from a write into it with a bit test, and a write into it forgets only the instructions
/// whose bytes it overlaps (<see cref="Forget"/>).
/// </summary>
internal sealed class CodePage
{
    /// <summary>
    /// Entries a page may hold before it is cleared as a whole: forgotten instructions keep their entry
    /// (a slot reused at once could be the one an executing instruction still refers to), and the maps
    /// store index + 1 in 16 bits. Both maps full is 2 × 4096; a page patched that often is rebuilt.
    /// </summary>
    public const int MaxEntries = 2 * Memory.GuestMemory.PageSize;

    private const int InitialEntries = 64;
    private const int BigFlag = 1 << 16;
    private const int MaxInstructionLength = 15;
    private const int BitsPerWord = 64;
    private const int WordShift = 6;
    private const int BitMask = BitsPerWord - 1;

    /// <summary>Where each entry sits in the maps (offset, plus <see cref="BigFlag"/> for 32-bit code), so a clear touches only those slots.</summary>
    private int[] _slots = new int[InitialEntries];

    /// <summary>
    /// One bit per byte of the page: set for the bytes of every instruction decoded since the last
    /// <see cref="Clear"/>. Kept conservative: <see cref="Forget"/> leaves the bits of what it forgets, so a
    /// later write there only looks in the maps and finds nothing to drop.
    /// </summary>
    private readonly ulong[] _codeBytes = new ulong[Memory.GuestMemory.PageSize / BitsPerWord];

    public DecodedInstruction[] Entries { get; private set; } = new DecodedInstruction[InitialEntries];

    /// <summary>Entries in use, forgotten ones included.</summary>
    public int Count { get; private set; }

    /// <summary>Offset map for 16-bit code; entry values are index + 1, zero for "not decoded".</summary>
    public ushort[] Map16 { get; } = new ushort[Memory.GuestMemory.PageSize];

    /// <summary>Offset map for 32-bit code.</summary>
    public ushort[] Map32 { get; } = new ushort[Memory.GuestMemory.PageSize];

    public ushort[] Map(bool big) => big ? Map32 : Map16;

    public bool Full => Count == MaxEntries;

    /// <summary>Reserves a slot for an instruction of <paramref name="length"/> bytes at <paramref name="offset"/> (the page must not be <see cref="Full"/>).</summary>
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
        Mark(offset, length);
        return ref Entries[Count++];
    }

    /// <summary>Whether any of the <paramref name="length"/> bytes at <paramref name="offset"/> were decoded from (<paramref name="length"/> ≥ 1, inside the page).</summary>
    public bool TouchesCode(int offset, int length)
    {
        var end = offset + length;
        var word = offset >> WordShift;
        var lastWord = (end - 1) >> WordShift;
        var first = ~0UL << (offset & BitMask);
        for (; word < lastWord; word++)
        {
            if ((_codeBytes[word] & first) != 0)
            {
                return true;
            }

            first = ~0UL;
        }

        var last = ~0UL >> (BitMask - ((end - 1) & BitMask));
        return (_codeBytes[lastWord] & first & last) != 0;
    }

    /// <summary>
    /// Forgets the instructions (either code size) whose bytes overlap the <paramref name="length"/> bytes at
    /// <paramref name="offset"/>: they start at most 14 bytes before it. Their entries stay allocated until
    /// <see cref="Clear"/>, so a reference the interpreter holds to the instruction it is executing stays valid.
    /// </summary>
    public void Forget(int offset, int length)
    {
        var end = offset + length;
        for (var start = Math.Max(0, offset - (MaxInstructionLength - 1)); start < end; start++)
        {
            ForgetAt(Map16, start, offset);
            ForgetAt(Map32, start, offset);
        }
    }

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
        Array.Clear(_codeBytes);
    }

    private void ForgetAt(ushort[] map, int start, int writeStart)
    {
        var index = map[start];
        if (index != 0 && start + Entries[index - 1].Length > writeStart)
        {
            map[start] = 0;
        }
    }

    private void Mark(int offset, int length)
    {
        for (var at = offset; at < offset + length; at++)
        {
            _codeBytes[at >> WordShift] |= 1UL << (at & BitMask);
        }
    }
}
