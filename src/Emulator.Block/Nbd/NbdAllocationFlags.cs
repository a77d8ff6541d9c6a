namespace Emulator.Block.Nbd;

/// <summary>Status flags of the <c>base:allocation</c> metadata context.</summary>
[Flags]
internal enum NbdAllocationFlags : uint
{
    /// <summary>Allocated data.</summary>
    Data = 0,

    /// <summary>Unallocated: a hole.</summary>
    Hole = 1 << 0,

    /// <summary>Reads as zeroes.</summary>
    Zero = 1 << 1,
}
