namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// The decoded L2 entry of one guest cluster. With extended L2 entries (<see cref="SubclusterBits"/>
/// non-zero) <see cref="Kind"/> describes the host cluster (Normal when there is one) and each of the
/// 32 subclusters is allocated, zero or unallocated on its own (<see cref="KindAt"/>).
/// </summary>
/// <param name="Kind">What the cluster maps to.</param>
/// <param name="HostOffset">The host cluster (normal, zero with preallocation) or the byte offset of compressed data.</param>
/// <param name="CompressedLength">Bytes of compressed data that may be read from <paramref name="HostOffset"/>.</param>
/// <param name="Copied">The entry's COPIED flag: the host cluster may be written in place.</param>
internal readonly record struct Qcow2Mapping(Qcow2ClusterKind Kind, long HostOffset, int CompressedLength, bool Copied)
{
    public static Qcow2Mapping Unallocated => default;

    /// <summary>log2 of the subcluster size, or 0 for a standard (8-byte) entry.</summary>
    public int SubclusterBits { get; init; }

    /// <summary>The extended entry's bitmap: allocated subclusters in bits 0–31, zero ones in bits 32–63.</summary>
    public ulong Bitmap { get; init; }

    /// <summary>What the byte at <paramref name="inCluster"/> reads from.</summary>
    public Qcow2ClusterKind KindAt(int inCluster)
    {
        if (SubclusterBits == 0 || Kind == Qcow2ClusterKind.Compressed)
        {
            return Kind;
        }

        var bit = 1UL << (inCluster >> SubclusterBits);
        return (Bitmap & bit) != 0 ? Qcow2ClusterKind.Normal
            : (Bitmap & (bit << Qcow2Entry.ZeroBitmapShift)) != 0 ? Qcow2ClusterKind.Zero
            : Qcow2ClusterKind.Unallocated;
    }

    /// <summary>Where the run of bytes reading like <paramref name="inCluster"/> ends inside the cluster.</summary>
    public int RunEnd(int inCluster, int clusterSize)
    {
        if (SubclusterBits == 0 || Kind == Qcow2ClusterKind.Compressed)
        {
            return clusterSize;
        }

        var kind = KindAt(inCluster);
        var end = ((inCluster >> SubclusterBits) + 1) << SubclusterBits;
        while (end < clusterSize && KindAt(end) == kind)
        {
            end += 1 << SubclusterBits;
        }

        return end;
    }
}
