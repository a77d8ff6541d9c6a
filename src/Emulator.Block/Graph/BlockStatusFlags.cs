namespace Emulator.Block.Graph;

/// <summary>What a node knows about a range of its data (QEMU's <c>BDRV_BLOCK_*</c> bits, <c>qemu-img map</c>'s fields).</summary>
[Flags]
public enum BlockStatusFlags : byte
{
    /// <summary>Nothing known: the range reads from a backing node (or as zeroes without one).</summary>
    None = 0,

    /// <summary>The range reads from stored data.</summary>
    Data = 1,

    /// <summary>The range reads as zeroes.</summary>
    Zero = 2,

    /// <summary>This node itself decides what the range reads (it does not come from a backing node).</summary>
    Allocated = 4,

    /// <summary><see cref="BlockStatus.Offset"/> is where the data lies in <see cref="BlockStatus.File"/>.</summary>
    OffsetValid = 8,
}
