namespace Emulator.Block.Backend;

/// <summary>How a backend is created (the -drive/-blockdev backend options: id, rerror, werror, cache.writeback).</summary>
public sealed record BlockBackendOptions
{
    /// <summary>User-visible name (monitor-owned backend), or null for an anonymous one.</summary>
    public string? Name { get; init; }

    /// <summary>The policy for failed reads (<c>rerror=</c>); QEMU's default, report.</summary>
    public BlockErrorPolicy ReadErrorPolicy { get; init; } = BlockErrorPolicy.Report;

    /// <summary>The policy for failed writes (<c>werror=</c>); QEMU's default, enospc (stop on a full disk, report other errors).</summary>
    public BlockErrorPolicy WriteErrorPolicy { get; init; } = BlockErrorPolicy.Enospc;

    /// <summary>Guest-visible write cache; when off, every write is FUA.</summary>
    public bool WriteCache { get; init; } = true;

    /// <summary>For an empty drive: whether a medium inserted later is opened read-only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>detect-zeroes: all-zero writes become write-zeroes (<see cref="Backend.DetectZeroes"/>).</summary>
    public DetectZeroes DetectZeroes { get; init; }
}
