using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.NullCo;

/// <summary>Options of a <c>null-co</c> node.</summary>
public sealed record NullNodeOptions : BlockNodeOptions
{
    /// <summary>QEMU's default null-co size: 1 GiB.</summary>
    public const long DefaultSize = 1L << 30;

    /// <inheritdoc/>
    public override string Driver => "null-co";

    /// <summary>The device size in bytes (default 1 GiB, QEMU's).</summary>
    public long Size { get; init; } = DefaultSize;

    /// <summary>Reads fill the buffer with zeroes; when false the buffer is left as it is (fastest, for benchmarks).</summary>
    public bool ReadZeroes { get; init; } = true;
}
