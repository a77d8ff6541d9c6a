namespace Emulator.Block.Backend;

/// <summary>Accounting classes of <c>query-blockstats</c>.</summary>
public enum BlockAcctType : byte
{
    /// <summary>Reads (<c>rd_*</c> in <c>query-blockstats</c>).</summary>
    Read,
    /// <summary>Writes and write-zeroes (<c>wr_*</c>).</summary>
    Write,
    /// <summary>Cache flushes (<c>flush_*</c>); they move no bytes.</summary>
    Flush,
    /// <summary>Discards (<c>unmap_*</c>).</summary>
    Unmap,
}
