using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Blkdebug;

/// <summary>
/// An error-injection rule: the <see cref="Nth"/> matching request fails with <see cref="Error"/>,
/// and so does every later one unless <see cref="Once"/>. With a range, only requests that touch
/// bytes in [<see cref="RangeStart"/>, <see cref="RangeEnd"/>) match (flushes never do).
/// </summary>
public sealed record BlkdebugRule
{
    public BlkdebugOperations Operations { get; init; } = BlkdebugOperations.All;

    /// <summary>The error to return: <see cref="BlockError.Io"/> or <see cref="BlockError.NoSpace"/> usually.</summary>
    public BlockError Error { get; init; } = BlockError.Io;

    /// <summary>The first matching request that fails, counting from 1.</summary>
    public int Nth { get; init; } = 1;

    /// <summary>Fail only the <see cref="Nth"/> matching request, then let everything through.</summary>
    public bool Once { get; init; }

    public long? RangeStart { get; init; }

    public long? RangeEnd { get; init; }
}
