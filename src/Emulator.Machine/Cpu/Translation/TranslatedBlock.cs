using System.Runtime.CompilerServices;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// A compiled guest block: a superblock of instructions in one physical page, at growing offsets from its
/// entry (formation continues across Jcc, across forward direct JMP/CALL, and past a JMP or RET where an earlier
/// branch lands; branches to the block's own instructions stay inside its code, others leave it), ending at the
/// first transfer it cannot continue across, the first instruction the tier does not translate, or the page end. Keyed by the physical address of
/// its first byte plus the code-segment and stack-segment sizes (the two facts decoding and stack
/// arithmetic depend on); anything else (CPL, paging, segment bases and limits) is read at run time.
/// </summary>
internal sealed class TranslatedBlock(ulong key, uint page, int count, uint lastOffset, uint endOffset, CompiledCode code)
{
    public ulong Key { get; } = key;

    /// <summary>The physical page number whose invalidation drops this block.</summary>
    public uint Page { get; } = page;

    /// <summary>
    /// The most instructions one entry runs before its first backward branch or exit: the longest path along fall-through
    /// and forward branches (<see cref="BlockInstruction.Bound"/> of the entry), which the budget check at the entry uses
    /// (an exit runs fewer and returns how many; a backward branch inside the block checks the budget again).
    /// </summary>
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
    /// Linear fetch addresses (CS.base + EIP) of the last <see cref="Links"/> different blocks that ran right after
    /// this one, the most recent first, and those blocks: the taken and not-taken targets of a branch, or the
    /// return addresses a RET block went back to. A hint only: the dispatcher follows a link only after
    /// proving it is the block its full lookup would find.
    /// </summary>
    public const int Links = 4;

    private uint _linear0;
    private uint _linear1;
    private uint _linear2;
    private uint _linear3;
    private TranslatedBlock? _successor0;
    private TranslatedBlock? _successor1;
    private TranslatedBlock? _successor2;
    private TranslatedBlock? _successor3;

    /// <summary>
    /// Remembers <paramref name="successor"/> as the block found at <paramref name="linear"/> after this one, in
    /// front; an older link to the same address goes, and when all are taken the least recent gives way.
    /// </summary>
    public void Link(uint linear, TranslatedBlock successor)
    {
        // Shift down to the slot that held this address (a stale link to it is dropped), or through the last.
        if (!(_successor0 is not null && _linear0 == linear))
        {
            if (!(_successor1 is not null && _linear1 == linear))
            {
                if (!(_successor2 is not null && _linear2 == linear))
                {
                    (_linear3, _successor3) = (_linear2, _successor2);
                }

                (_linear2, _successor2) = (_linear1, _successor1);
            }

            (_linear1, _successor1) = (_linear0, _successor0);
        }

        (_linear0, _successor0) = (linear, successor);
    }

    /// <summary>The linked successor at <paramref name="linear"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TranslatedBlock? Successor(uint linear) =>
        _linear0 == linear && _successor0 is not null ? _successor0
        : _linear1 == linear && _successor1 is not null ? _successor1
        : _linear2 == linear && _successor2 is not null ? _successor2
        : _linear3 == linear ? _successor3
        : null;
}
