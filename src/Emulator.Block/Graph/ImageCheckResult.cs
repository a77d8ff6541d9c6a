namespace Emulator.Block.Graph;

/// <summary>The outcome of a consistency check, counted as <c>qemu-img check</c> counts it.</summary>
public record ImageCheckResult
{
    /// <summary>Inconsistencies that can lose or damage data (a cluster referenced more than its refcount says, bad offsets …), left after any repair.</summary>
    public int Corruptions { get; init; }

    /// <summary>Clusters counted as used that nothing references (space wasted, data safe), left after any repair.</summary>
    public int Leaks { get; init; }

    /// <summary>Errors that kept the check from completing (unreadable metadata, an image too large to check).</summary>
    public int CheckErrors { get; init; }

    /// <summary>Corruptions the repair fixed.</summary>
    public int CorruptionsFixed { get; init; }

    /// <summary>Leaked clusters the repair released.</summary>
    public int LeaksFixed { get; init; }

    /// <summary>The file offset just past the last byte in use (<c>image-end-offset</c>).</summary>
    public long ImageEndOffset { get; init; }

    /// <summary>Clusters the guest-visible size spans.</summary>
    public long TotalClusters { get; init; }

    /// <summary>Of those, clusters that are allocated in this image.</summary>
    public long AllocatedClusters { get; init; }

    /// <summary>Allocated clusters not stored right after the previous one.</summary>
    public long FragmentedClusters { get; init; }

    /// <summary>Allocated clusters stored compressed.</summary>
    public long CompressedClusters { get; init; }

    /// <summary>One line per problem found, in QEMU's wording where there is one.</summary>
    public IReadOnlyList<string> Messages { get; init; } = [];
}
