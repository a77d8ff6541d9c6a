using Emulator.Block.Backend;
using Emulator.Block.Memory;
using Emulator.Block.Tracing;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// The write side of <see cref="Qcow2Driver"/>: in-place writes, allocating writes with copy-on-write,
/// compressed writes, zeroing and discarding whole clusters. Each allocation keeps the crash-safe
/// order: refcount of the new cluster and its data, a barrier (<see cref="Qcow2Io.Barrier"/>), the
/// L2 entry (held in the L2 cache until the next flush; the barrier comes first when it is written
/// back), then, only when an old cluster is dropped, the L2 table is written back, another barrier,
/// and the old cluster's refcount drops.
/// </summary>
internal static class Qcow2Writer
{
    public static BlockError Write(Qcow2Driver driver, long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags)
    {
        var clusterSize = driver.ClusterSize;
        while (buffer.Length > 0)
        {
            var inCluster = (int)(offset & driver.ClusterMask);
            var chunk = Math.Min(buffer.Length, clusterSize - inCluster);
            var part = buffer[..chunk];
            BlockError error;
            if ((flags & BlockRequestFlags.WriteCompressed) != 0 && inCluster == 0 && (chunk == clusterSize || offset + chunk == driver.Length))
            {
                error = WriteCompressed(driver, offset, part.Span);
            }
            else
            {
                Qcow2Mapping mapping;
                bool inPlace;
                lock (driver.MetadataLock)
                {
                    error = driver.Map.Lookup(offset, out mapping);
                    inPlace = mapping.Kind == Qcow2ClusterKind.Normal && mapping.Copied
                        && mapping.KindAt(inCluster) == Qcow2ClusterKind.Normal && inCluster + chunk <= mapping.RunEnd(inCluster, clusterSize);
                    // Every path below that keeps the entry's host cluster writes into it: make sure it is the entry's own.
                    if (error == BlockError.None && mapping.Copied && mapping.HostOffset != 0 && mapping.Kind != Qcow2ClusterKind.Compressed)
                    {
                        error = driver.Map.CheckInPlace(offset, mapping);
                    }

                    if (error == BlockError.None && !inPlace)
                    {
                        // Subclusters of a cluster the image owns (or of none yet) are allocated one by one;
                        // a compressed or shared cluster is copied whole.
                        error = driver.Map.SubclusterBits != 0 && mapping.Kind != Qcow2ClusterKind.Compressed && (mapping.HostOffset == 0 || mapping.Copied)
                            ? Qcow2SubclusterWriter.Write(driver, offset - inCluster, inCluster, part, mapping)
                            : Allocate(driver, offset - inCluster, inCluster, part, mapping);
                    }
                }

                if (error == BlockError.None && inPlace)
                {
                    error = driver.Data.Write(mapping.HostOffset + inCluster, part);
                }
            }

            if (error != BlockError.None)
            {
                return error;
            }

            offset += chunk;
            buffer = buffer[chunk..];
        }

        return BlockError.None;
    }

    /// <summary>Zeroes (or discards) a range: whole clusters through the zero flag or deallocation, partial ones by writing zeroes (discard leaves them).</summary>
    /// <summary>
    /// True when <see cref="Zero"/> (not a discard) would change only metadata over [offset, +length): every
    /// piece a whole cluster or whole subclusters, zero clusters available (version 3, or no backing file
    /// to hide) and no raw data file to write zeroes into.
    /// </summary>
    public static bool ZeroesWithoutData(Qcow2Driver driver, long offset, long length)
    {
        if (driver.DataFileRaw || (driver.Header.Version < 3 && driver.BackingNode is not null))
        {
            return false;
        }

        while (length > 0)
        {
            var inCluster = (int)(offset & driver.ClusterMask);
            var chunk = (int)Math.Min(length, driver.ClusterSize - inCluster);
            var whole = inCluster == 0 && (chunk == driver.ClusterSize || offset + chunk == driver.Length);
            if (!whole && !Qcow2SubclusterWriter.CoversSubclusters(driver, inCluster, chunk))
            {
                return false;
            }

            offset += chunk;
            length -= chunk;
        }

        return true;
    }

    public static BlockError Zero(Qcow2Driver driver, long offset, long length, bool discard, bool unmap)
    {
        var zeroes = AlignedBufferPool.Shared.Rent(driver.ClusterSize);
        try
        {
            zeroes.Span.Clear();

            // A raw data file must read as the guest sees it: zeroes are written there, and discard (advisory) does nothing.
            var writeZeroes = driver.DataFileRaw;
            while (length > 0 && !(writeZeroes && discard))
            {
                var inCluster = (int)(offset & driver.ClusterMask);
                var chunk = (int)Math.Min(length, driver.ClusterSize - inCluster);
                var whole = inCluster == 0 && (chunk == driver.ClusterSize || offset + chunk == driver.Length);
                BlockError error;
                if (writeZeroes)
                {
                    error = Write(driver, offset, zeroes.Memory[..chunk], BlockRequestFlags.None);
                }
                else if (whole)
                {
                    lock (driver.MetadataLock)
                    {
                        error = ZeroCluster(driver, offset, discard, unmap);
                    }
                }
                else if (!discard && Qcow2SubclusterWriter.CoversSubclusters(driver, inCluster, chunk))
                {
                    lock (driver.MetadataLock)
                    {
                        error = Qcow2SubclusterWriter.Zero(driver, offset - inCluster, inCluster, chunk, zeroes.Memory);
                    }
                }
                else
                {
                    error = discard ? BlockError.None : Write(driver, offset, zeroes.Memory[..chunk], BlockRequestFlags.None);
                }

                if (error != BlockError.None)
                {
                    return error;
                }

                offset += chunk;
                length -= chunk;
            }

            return BlockError.None;
        }
        finally
        {
            AlignedBufferPool.Shared.Return(zeroes);
        }
    }

    /// <summary>
    /// Drops what an L2 (or L1) entry referenced, after the entry no longer points at it. The update
    /// of the entry is made durable first: a refcount that reached zero on disk while an entry still
    /// pointed at the cluster would let it be handed out twice after a power loss.
    /// </summary>
    public static BlockError Release(Qcow2Driver driver, Qcow2Mapping old)
    {
        if (old.Kind == Qcow2ClusterKind.Compressed || (old.Kind is Qcow2ClusterKind.Normal or Qcow2ClusterKind.Zero && old.HostOffset != 0))
        {
            var error = driver.Map.WriteBack();
            error = error == BlockError.None ? driver.Io.Barrier() : error;
            if (error != BlockError.None)
            {
                return error;
            }
        }

        return Unreference(driver, old);
    }

    /// <summary>Drops one reference from each host cluster a mapping uses (no barrier; see <see cref="Release"/>).</summary>
    public static BlockError Unreference(Qcow2Driver driver, Qcow2Mapping old)
    {
        switch (old.Kind)
        {
            case Qcow2ClusterKind.Compressed:
                var first = old.HostOffset & ~driver.ClusterMask;
                var last = (old.HostOffset + old.CompressedLength - 1) & ~driver.ClusterMask;
                for (var cluster = first; cluster <= last; cluster += driver.ClusterSize)
                {
                    var error = driver.Refcounts.Change(cluster, -1);
                    if (error != BlockError.None)
                    {
                        return error;
                    }
                }

                return BlockError.None;
            case Qcow2ClusterKind.Normal or Qcow2ClusterKind.Zero when old.HostOffset != 0 && !driver.HasDataFile:
                return driver.Refcounts.Change(old.HostOffset, -1);
            default:
                return BlockError.None;
        }
    }

    private static BlockError Allocate(Qcow2Driver driver, long clusterStart, int inCluster, ReadOnlyMemory<byte> data, Qcow2Mapping old)
    {
        var clusterSize = driver.ClusterSize;
        var l2Offset = 0L;
        var error = driver.MarkDirty();
        error = error == BlockError.None ? driver.Map.PrepareL2(clusterStart, out l2Offset) : error;
        if (error != BlockError.None)
        {
            return error;
        }

        // A new cluster lies past the old end of the image and was never written, so it already reads
        // as zeroes: when the rest of the cluster would be zeroes anyway only the data is written
        // (a 4 KiB write into a 64 KiB cluster then writes 4 KiB, not 64).
        var zeroSource = old.Kind == Qcow2ClusterKind.Zero
            || (old.Kind == Qcow2ClusterKind.Unallocated && (driver.BackingNode is not { } backing || clusterStart >= backing.Length));
        // Not so in an external data file, where the guest cluster's own offset may hold older data.
        if (zeroSource && !driver.HasDataFile && !(old.Kind == Qcow2ClusterKind.Zero && old.HostOffset != 0 && old.Copied))
        {
            error = driver.AllocateDataCluster(clusterStart, out var fresh);
            if (error != BlockError.None)
            {
                return error;
            }

            error = driver.Data.Write(fresh + inCluster, data);
            if (error != BlockError.None)
            {
                // The write's own error is what the guest hears; a cluster that cannot be given back only leaks.
                GiveBack(driver, fresh);
                return error;
            }

            error = driver.Map.SetL2(clusterStart, l2Offset, (ulong)fresh | Qcow2Entry.Copied);
            return error == BlockError.None ? Release(driver, old) : error;
        }

        var buffer = AlignedBufferPool.Shared.Rent(clusterSize);
        try
        {
            var cluster = buffer.Memory[..clusterSize];
            if (data.Length < clusterSize && old.SubclusterBits != 0 && old.Kind != Qcow2ClusterKind.Compressed)
            {
                error = Qcow2SubclusterWriter.ReadGuestView(driver, clusterStart, old, cluster, 0, clusterSize);
            }
            else if (data.Length < clusterSize)
            {
                error = old.Kind switch
                {
                    Qcow2ClusterKind.Normal => driver.Data.Read(old.HostOffset, cluster, IoTraceOp.CowRead),
                    Qcow2ClusterKind.Compressed => driver.ReadCompressed(old, cluster.Span),
                    Qcow2ClusterKind.Unallocated => driver.ReadBacking(clusterStart, cluster.Span, cluster),
                    _ => Cleared(cluster.Span),
                };
                if (error != BlockError.None)
                {
                    return error;
                }
            }

            data.Span.CopyTo(cluster.Span[inCluster..]);

            // A preallocated zero cluster the image owns alone is rewritten where it is.
            var reuse = old.Kind == Qcow2ClusterKind.Zero && old.HostOffset != 0 && old.Copied;
            var host = old.HostOffset;
            if (!reuse)
            {
                error = driver.AllocateDataCluster(clusterStart, out host);
                if (error != BlockError.None)
                {
                    return error;
                }
            }

            error = driver.Data.Write(host, cluster);
            if (error != BlockError.None)
            {
                if (!reuse)
                {
                    GiveBack(driver, host);
                }

                return error;
            }

            error = error == BlockError.None ? driver.Map.SetL2(clusterStart, l2Offset, (ulong)host | Qcow2Entry.Copied) : error;
            return error == BlockError.None && !reuse ? Release(driver, old) : error;
        }
        finally
        {
            AlignedBufferPool.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Returns a data cluster whose write failed (QEMU's qcow2_alloc_cluster_abort), so a retry after
    /// ENOSPC allocates it again instead of leaking one; clusters in an external data file are not refcounted.
    /// </summary>
    private static void GiveBack(Qcow2Driver driver, long host)
    {
        if (!driver.HasDataFile)
        {
            _ = driver.Refcounts.Abandon(host);
        }
    }

    private static BlockError ZeroCluster(Qcow2Driver driver, long offset, bool discard, bool unmap)
    {
        var error = driver.Map.Lookup(offset, out var old);
        if (error != BlockError.None)
        {
            return error;
        }

        var hasBacking = driver.BackingNode is not null;
        var v3 = driver.Header.Version >= 3;
        if (old.Kind == Qcow2ClusterKind.Unallocated && !hasBacking)
        {
            return BlockError.None;
        }

        ulong entry;
        if (v3 && (hasBacking || !discard))
        {
            var keep = !unmap && !discard && (old.Kind is Qcow2ClusterKind.Normal or Qcow2ClusterKind.Zero) && old.Copied && old.HostOffset != 0;
            entry = Qcow2Entry.Zero | (keep ? (ulong)old.HostOffset | Qcow2Entry.Copied : 0);
            if (keep)
            {
                old = Qcow2Mapping.Unallocated;
            }
        }
        else if (!hasBacking)
        {
            entry = 0;
        }
        else if (discard)
        {
            // Version 2 with a backing file cannot hide the backing data without writing zeroes; discard is advisory.
            return BlockError.None;
        }
        else
        {
            var zeroes = new byte[driver.ClusterSize];
            return Allocate(driver, offset, 0, zeroes.AsMemory(0, (int)Math.Min(driver.ClusterSize, driver.Length - offset)), old);
        }

        var l2Offset = 0L;
        error = driver.MarkDirty();
        error = error == BlockError.None ? driver.Map.PrepareL2(offset, out l2Offset) : error;
        error = error == BlockError.None ? driver.Map.SetL2(offset, l2Offset, entry) : error;
        return error == BlockError.None ? Release(driver, old) : error;
    }

    private static BlockError WriteCompressed(Qcow2Driver driver, long offset, ReadOnlySpan<byte> data)
    {
        if (driver.HasDataFile)
        {
            // qcow2.txt: an image with an external data file has no compressed clusters.
            return BlockError.Unsupported;
        }

        var clusterSize = driver.ClusterSize;
        var input = new byte[clusterSize];
        data.CopyTo(input);
        var output = new byte[clusterSize];
        if (!Qcow2Compression.Compress(driver.Header.CompressionType, input, output, clusterSize - Qcow2Entry.CompressedSectorSize, out var length))
        {
            // Incompressible data is stored as a normal cluster, as QEMU does.
            return Write(driver, offset, input.AsMemory(0, data.Length), BlockRequestFlags.None);
        }

        lock (driver.MetadataLock)
        {
            var l2Offset = 0L;
            var start = 0L;
            var error = driver.Map.Lookup(offset, out var old);
            error = error == BlockError.None ? driver.MarkDirty() : error;
            error = error == BlockError.None ? driver.Map.PrepareL2(offset, out l2Offset) : error;
            error = error == BlockError.None ? PlaceCompressed(driver, length, out start) : error;
            if (error != BlockError.None)
            {
                return error;
            }

            error = driver.Io.Write(start, output.AsMemory(0, length));
            var sectors = ((start + length - 1) >> 9) - (start >> 9);
            var entry = Qcow2Entry.Compressed | (ulong)start | ((ulong)sectors << Qcow2Entry.CompressedSizeShift(driver.ClusterBits));
            error = error == BlockError.None ? driver.Map.SetL2(offset, l2Offset, entry) : error;
            return error == BlockError.None ? Release(driver, old) : error;
        }
    }

    /// <summary>
    /// Finds room for <paramref name="length"/> bytes of compressed data: packed after the previous
    /// compressed cluster when that one ended in the last cluster of the image, else in new clusters.
    /// Every host cluster the data touches gets one more reference, before the data is written.
    /// </summary>
    private static BlockError PlaceCompressed(Qcow2Driver driver, int length, out long start)
    {
        var clusterSize = driver.ClusterSize;
        ref var tail = ref driver.CompressedTail;
        var refcounts = driver.Refcounts;
        start = tail;
        var shareable = tail != 0 && ((tail + clusterSize) & ~driver.ClusterMask) == refcounts.NextFree;
        if (shareable)
        {
            var error = refcounts.Get(tail & ~driver.ClusterMask, out var count);
            shareable = error == BlockError.None && count < refcounts.MaxRefcount;
        }

        var result = BlockError.None;
        if (shareable)
        {
            var expected = refcounts.NextFree;
            var spill = start + length - expected;
            var spillClusters = spill > 0 ? (int)((spill + clusterSize - 1) / clusterSize) : 0;
            result = refcounts.Change(start & ~driver.ClusterMask, 1);
            var spillStart = expected;
            if (result == BlockError.None && spillClusters > 0)
            {
                result = refcounts.Allocate(spillClusters, out spillStart);
            }

            if (result == BlockError.None && spillStart != expected)
            {
                // The clusters right after the tail were taken (counted past the end of the file): give
                // back what was just counted and start afresh.
                for (var i = 0; i < spillClusters && result == BlockError.None; i++)
                {
                    result = refcounts.Change(spillStart + ((long)i * clusterSize), -1);
                }

                result = result == BlockError.None ? refcounts.Change(start & ~driver.ClusterMask, -1) : result;
                shareable = false;
            }
        }

        if (result == BlockError.None && !shareable)
        {
            result = refcounts.Allocate((length + clusterSize - 1) / clusterSize, out start);
        }

        var end = start + length;
        tail = (end & driver.ClusterMask) == 0 ? 0 : end;
        return result;
    }

    private static BlockError Cleared(Span<byte> span)
    {
        span.Clear();
        return BlockError.None;
    }
}
