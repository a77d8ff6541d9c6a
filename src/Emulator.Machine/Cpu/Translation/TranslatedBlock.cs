namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// A compiled guest block: straight-line instructions in one physical page ending at the first branch,
/// the first instruction the tier does not translate, or the page end. Keyed by the physical address of
/// its first byte plus the code-segment and stack-segment sizes (the two facts decoding and stack
/// arithmetic depend on); anything else (CPL, paging, segment bases and limits) is read at run time.
/// </summary>
internal sealed class TranslatedBlock(ulong key, uint page, int count, uint lastOffset, uint endOffset, Func<BlockRuntime, long> code)
{
    public ulong Key { get; } = key;

    /// <summary>The physical page number whose invalidation drops this block.</summary>
    public uint Page { get; } = page;

    /// <summary>Instructions in one pass through the block.</summary>
    public int Count { get; } = count;

    /// <summary>Byte offset of the last instruction from the first: the entry check keeps every instruction inside the CS limit as the interpreter's cached fetch path requires.</summary>
    public uint LastOffset { get; } = lastOffset;

    /// <summary>Byte length of the whole block.</summary>
    public uint EndOffset { get; } = endOffset;

    /// <summary>Returns instructions counted (≥ 0), or the one's complement of those completed before the one that faulted.</summary>
    public Func<BlockRuntime, long> Code { get; } = code;

    public bool Valid { get; set; } = true;
}
