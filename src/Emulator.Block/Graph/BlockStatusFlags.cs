namespace Emulator.Block.Graph;

/// <summary>What a range of a node holds (QEMU's BDRV_BLOCK_DATA / _ZERO / _ALLOCATED).</summary>
[Flags]
public enum BlockStatusFlags : byte
{
    None = 0,

    /// <summary>The range is backed by stored data.</summary>
    Data = 1 << 0,

    /// <summary>The range reads as zeroes.</summary>
    Zero = 1 << 1,

    /// <summary>This layer (not a backing file) decides what the range reads.</summary>
    Allocated = 1 << 2,
}
