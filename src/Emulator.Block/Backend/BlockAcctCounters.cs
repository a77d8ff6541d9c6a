namespace Emulator.Block.Backend;

/// <summary>A snapshot of one accounting class: what <c>query-blockstats</c> reports as rd_/wr_/flush_/unmap_ fields.</summary>
public readonly record struct BlockAcctCounters(
    long Bytes,
    long Operations,
    long FailedOperations,
    long InvalidOperations,
    long Merged,
    long TotalTimeNs);
