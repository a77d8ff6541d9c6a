namespace Emulator.Block.Drivers.Blkdebug;

/// <summary>Which requests a blkdebug rule or breakpoint matches.</summary>
[Flags]
public enum BlkdebugOperations : byte
{
    /// <summary>Reads.</summary>
    Read = 1,
    /// <summary>Writes.</summary>
    Write = 2,
    /// <summary>Flushes.</summary>
    Flush = 4,
    /// <summary>Discards.</summary>
    Discard = 8,
    /// <summary>Write-zeroes.</summary>
    WriteZeroes = 16,
    /// <summary>Every request type.</summary>
    All = Read | Write | Flush | Discard | WriteZeroes,
}
