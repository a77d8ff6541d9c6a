namespace Emulator.Block.Graph;

/// <summary>The outcome of a consistency check, counted as <c>qemu-img check</c> counts it.</summary>
public record ImageCheckResult
{
    public int Corruptions { get; init; }

    public int Leaks { get; init; }

    /// <summary>Errors that kept the check from completing (unreadable metadata, an image too large to check).</summary>
    public int CheckErrors { get; init; }

    public int CorruptionsFixed { get; init; }

    public int LeaksFixed { get; init; }

    public long ImageEndOffset { get; init; }

    public long TotalClusters { get; init; }

    public long AllocatedClusters { get; init; }

    public long FragmentedClusters { get; init; }

    public long CompressedClusters { get; init; }

    /// <summary>One line per problem found, in QEMU's wording where there is one.</summary>
    public IReadOnlyList<string> Messages { get; init; } = [];
}
