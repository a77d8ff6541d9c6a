namespace Emulator.Block.Drivers.Blkdebug;

/// <summary>Which requests a blkdebug rule or breakpoint matches.</summary>
[Flags]
public enum BlkdebugOperations : byte
{
    Read = 1,
    Write = 2,
    Flush = 4,
    Discard = 8,
    WriteZeroes = 16,
    All = Read | Write | Flush | Discard | WriteZeroes,
}
