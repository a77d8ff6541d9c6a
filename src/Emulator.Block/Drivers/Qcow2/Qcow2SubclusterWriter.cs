using Emulator.Block.Backend;
using Emulator.Block.Memory;
using Emulator.Block.Tracing;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Writes with extended L2 entries (qcow2.txt, "Extended L2 Entries"): a write allocates only the
/// subclusters it touches. The host cluster is the one the image already owns, or a new one; a
/// subcluster written in part is first filled with what it read before (zeroes or the backing node:
/// copy-on-write of the subcluster, not the cluster); then the data goes to the host cluster and,
/// after it, the entry's bitmap marks those subclusters allocated (the crash-safe order of
/// <see cref="Qcow2Writer"/>: data, barrier before the L2 table is written back). Zeroing whole
/// subclusters only sets their zero bits. Called under the metadata lock.
/// </summary>
internal static class Qcow2SubclusterWriter
{
    /// <summary>True when [<paramref name="inCluster"/>, +<paramref name="length"/>) is whole subclusters of an image with them.</summary>
    public static bool CoversSubclusters(Qcow2Driver driver, int inCluster, int length)
    {
        var bits = driver.Map.SubclusterBits;
        var mask = (1 << bits) - 1;
        return bits != 0 && ((inCluster | length) & mask) == 0;
    }

    public static BlockError Write(Qcow2Driver driver, long clusterStart, int inCluster, ReadOnlyMemory<byte> data, Qcow2Mapping old)
    {
        var clusterSize = driver.ClusterSize;
        var bits = driver.Map.SubclusterBits;
        var first = inCluster >> bits;
        var last = (inCluster + data.Length - 1) >> bits;
        var spanStart = first << bits;
        var spanEnd = Math.Min((last + 1) << bits, clusterSize);
        var l2Offset = 0L;
        var host = old.HostOffset;
        var error = driver.MarkDirty();
        error = error == BlockError.None ? driver.Map.PrepareL2(clusterStart, out l2Offset) : error;
        if (error == BlockError.None && old.Kind != Qcow2ClusterKind.Normal)
        {
            error = driver.AllocateDataCluster(clusterStart, out host);
        }

        if (error != BlockError.None)
        {
            return error;
        }

        var buffer = AlignedBufferPool.Shared.Rent(clusterSize);
        try
        {
            var cluster = buffer.Memory[..clusterSize];
            var dataEnd = inCluster + data.Length;
            error = inCluster > spanStart ? ReadGuestView(driver, clusterStart, old, cluster, spanStart, inCluster) : BlockError.None;
            error = error == BlockError.None && dataEnd < spanEnd ? ReadGuestView(driver, clusterStart, old, cluster, dataEnd, spanEnd) : error;
            if (error != BlockError.None)
            {
                return error;
            }

            data.Span.CopyTo(cluster.Span[inCluster..]);
            error = driver.Data.Write(host + spanStart, cluster[spanStart..spanEnd]);
            var mask = Mask(first, last);
            var bitmap = (old.Bitmap | mask) & ~(mask << Qcow2Entry.ZeroBitmapShift);
            return error == BlockError.None ? driver.Map.SetL2(clusterStart, l2Offset, (ulong)host | Qcow2Entry.Copied, bitmap) : error;
        }
        finally
        {
            AlignedBufferPool.Shared.Return(buffer);
        }
    }

    /// <summary>Marks whole subclusters as reading zeroes (their host space stays with the cluster). A compressed cluster is rewritten instead.</summary>
    public static BlockError Zero(Qcow2Driver driver, long clusterStart, int inCluster, int length, ReadOnlyMemory<byte> zeroes)
    {
        var error = driver.Map.Lookup(clusterStart, out var old);
        if (error != BlockError.None)
        {
            return error;
        }

        if (old.Kind == Qcow2ClusterKind.Compressed)
        {
            return Qcow2Writer.Write(driver, clusterStart + inCluster, zeroes[..length], BlockRequestFlags.None);
        }

        var l2Offset = 0L;
        error = driver.MarkDirty();
        error = error == BlockError.None ? driver.Map.PrepareL2(clusterStart, out l2Offset) : error;
        var bits = driver.Map.SubclusterBits;
        var mask = Mask(inCluster >> bits, (inCluster + length - 1) >> bits);
        var entry = old.Kind != Qcow2ClusterKind.Normal ? 0 : (ulong)old.HostOffset | (old.Copied ? Qcow2Entry.Copied : 0);
        var bitmap = (old.Bitmap & ~mask) | (mask << Qcow2Entry.ZeroBitmapShift);
        return error == BlockError.None ? driver.Map.SetL2(clusterStart, l2Offset, entry, bitmap) : error;
    }

    /// <summary>Fills [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="cluster"/> with what the guest reads there now, run by run of subclusters.</summary>
    public static BlockError ReadGuestView(Qcow2Driver driver, long clusterStart, Qcow2Mapping mapping, Memory<byte> cluster, int from, int to)
    {
        var clusterSize = driver.ClusterSize;
        while (from < to)
        {
            var end = Math.Min(mapping.RunEnd(from, clusterSize), to);
            var part = cluster[from..end];
            var error = mapping.KindAt(from) switch
            {
                Qcow2ClusterKind.Normal => driver.Data.Read(mapping.HostOffset + from, part, IoTraceOp.CowRead),
                Qcow2ClusterKind.Unallocated => driver.ReadBacking(clusterStart + from, part.Span, part),
                _ => Cleared(part.Span),
            };
            if (error != BlockError.None)
            {
                return error;
            }

            from = end;
        }

        return BlockError.None;
    }

    /// <summary>The allocation bits of subclusters <paramref name="first"/> to <paramref name="last"/>.</summary>
    private static ulong Mask(int first, int last) => (((1UL << (last - first + 1)) - 1) << first) & Qcow2Entry.AllAllocated;

    private static BlockError Cleared(Span<byte> span)
    {
        span.Clear();
        return BlockError.None;
    }
}
