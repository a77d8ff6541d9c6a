using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>Options of a <c>qcow2</c> format node (QEMU's blockdev-add qcow2 arguments that this driver knows).</summary>
public sealed record Qcow2NodeOptions(BlockChildOptions File) : BlockNodeOptions
{
    /// <summary>Default size of the L2 table cache in bytes (8 MiB, enough to map 64 GiB with 64 KiB clusters).</summary>
    public const long DefaultL2CacheSize = 8L << 20;
    /// <summary>Default size of the refcount block cache in bytes (1 MiB).</summary>
    public const long DefaultRefcountCacheSize = 1L << 20;

    /// <inheritdoc/>
    public override string Driver => "qcow2";

    /// <summary>The backing node; null = the one the header names (opened read-only, format from backing_fmt or probed).</summary>
    public BlockChildOptions? Backing { get; init; }

    /// <summary>Open without the backing file the header names (QEMU's <c>backing: null</c>): unallocated clusters read as zeroes.</summary>
    public bool NoBacking { get; init; }

    /// <summary>Bytes of L2 tables to cache (QEMU's l2-cache-size); at least two tables are always cached.</summary>
    public long L2CacheSize { get; init; } = DefaultL2CacheSize;

    /// <summary>Bytes of refcount blocks to cache (QEMU's refcount-cache-size).</summary>
    public long RefcountCacheSize { get; init; } = DefaultRefcountCacheSize;

    /// <summary>Open an internal snapshot (by id or name) instead of the active image; the node is read-only.</summary>
    public string? Snapshot { get; init; }

    /// <summary>The images above this one in its backing chain (full paths), to refuse a chain that loops.</summary>
    public IReadOnlyList<string> ChainAbove { get; init; } = [];
}
