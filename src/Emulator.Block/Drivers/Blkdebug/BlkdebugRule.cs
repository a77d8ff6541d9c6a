using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Blkdebug;

/// <summary>
/// An error-injection rule: the <see cref="Nth"/> matching request fails with <see cref="Error"/>,
/// and so does every later one unless <see cref="Once"/>. With a range, only requests that touch
/// bytes in [<see cref="RangeStart"/>, <see cref="RangeEnd"/>) match (flushes never do).
/// </summary>
public sealed record BlkdebugRule
{
    /// <summary>The request types the rule matches (default: all).</summary>
    public BlkdebugOperations Operations { get; init; } = BlkdebugOperations.All;

    /// <summary>The error to return: <see cref="BlockError.Io"/> or <see cref="BlockError.NoSpace"/> usually.</summary>
    public BlockError Error { get; init; } = BlockError.Io;

    /// <summary>The first matching request that fails, counting from 1.</summary>
    public int Nth { get; init; } = 1;

    /// <summary>Fail only the <see cref="Nth"/> matching request, then let everything through.</summary>
    public bool Once { get; init; }

    /// <summary>First byte of the matched range (inclusive); null with <see cref="RangeEnd"/> null = any offset.</summary>
    public long? RangeStart { get; init; }

    /// <summary>End of the matched range (exclusive byte offset).</summary>
    public long? RangeEnd { get; init; }
}
