namespace Emulator.Block.Backend;

/// <summary>Accounting classes of <c>query-blockstats</c>.</summary>
public enum BlockAcctType : byte
{
    Read,
    Write,
    Flush,
    Unmap,
}
