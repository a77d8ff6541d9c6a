using System.Runtime.CompilerServices;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// A compiled guest block: a superblock of instructions in one physical page, at growing offsets from its
/// entry (formation continues across Jcc as side exits and across forward direct JMP/CALL), ending at the
/// first transfer it cannot continue across, the first instruction the tier does not translate, or the page end. Keyed by the physical address of
/// its first byte plus the code-segment and stack-segment sizes (the two facts decoding and stack
/// arithmetic depend on); anything else (CPL, paging, segment bases and limits) is read at run time.
/// </summary>
internal sealed class TranslatedBlock(ulong key, uint page, int count, uint lastOffset, uint endOffset, CompiledCode code)
{
    public ulong Key { get; } = key;

    /// <summary>The physical page number whose invalidation drops this block.</summary>
    public uint Page { get; } = page;

    /// <summary>Instructions in one full pass through the block: the longest path, which the budget check uses (a side exit runs fewer and returns how many).</summary>
    public int Count { get; } = count;

    /// <summary>Byte offset of the last instruction from the first, the furthest one (offsets only grow): the entry check keeps every instruction inside the CS limit as the interpreter's cached fetch path requires.</summary>
    public uint LastOffset { get; } = lastOffset;

    /// <summary>Byte length of the whole block, from the entry to the end of its last instruction (bytes jumped over included).</summary>
    public uint EndOffset { get; } = endOffset;

    private Func<BlockRuntime, long>? _run;

    /// <summary>
    /// Returns instructions counted (≥ 0), or the one's complement of those completed before the one that
    /// faulted. Null while the block compiler's thread is still compiling it (background translation).
    /// Once ready the delegate is kept here, so an entry reads one field instead of going through the
    /// shared <see cref="CompiledCode"/> cell.
    /// </summary>
    public Func<BlockRuntime, long>? Code
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _run ?? (_run = code.Run);
    }

    public bool Valid { get; private set; } = true;

    /// <summary>Evicted or dropped: never run again, and no longer waiting for code that is still being compiled.</summary>
    public void Invalidate()
    {
        if (Valid)
        {
            Valid = false;
            code.Release();
        }
    }

    /// <summary>An empty block (<see cref="Count"/> 0) standing for a start the tier no longer translates (dropped too often).</summary>
    public bool Excluded { get; init; }

    /// <summary>
    /// Linear fetch addresses (CS.base + EIP) of the last two blocks that ran right after this one (the
    /// taken and not-taken targets of its branch, typically), and those blocks. A hint only: the
    /// dispatcher follows a link only after proving it is the block its full lookup would find.
    /// </summary>
    public uint FirstSuccessorLinear;

    public TranslatedBlock? FirstSuccessor;

    public uint SecondSuccessorLinear;

    public TranslatedBlock? SecondSuccessor;

    /// <summary>Remembers <paramref name="successor"/> as the block found at <paramref name="linear"/> after this one; the older of two links gives way.</summary>
    public void Link(uint linear, TranslatedBlock successor)
    {
        if (FirstSuccessor is not null && FirstSuccessorLinear == linear)
        {
            FirstSuccessor = successor;
            return;
        }

        // Shifting also overwrites a stale second link to the same address.
        SecondSuccessorLinear = FirstSuccessorLinear;
        SecondSuccessor = FirstSuccessor;

        FirstSuccessorLinear = linear;
        FirstSuccessor = successor;
    }

    /// <summary>The linked successor at <paramref name="linear"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TranslatedBlock? Successor(uint linear) =>
        FirstSuccessor is not null && FirstSuccessorLinear == linear ? FirstSuccessor
        : SecondSuccessor is not null && SecondSuccessorLinear == linear ? SecondSuccessor
        : null;
}
