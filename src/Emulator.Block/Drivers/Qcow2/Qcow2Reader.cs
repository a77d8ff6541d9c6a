using Emulator.Block.Backend;
using Emulator.Block.Memory;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// The read side of <see cref="Qcow2Driver"/>: each guest cluster is looked up under the metadata
/// lock, then read outside it (contiguous host clusters in one request); unallocated clusters come
/// from the backing node, zero clusters are cleared, compressed ones inflated.
/// </summary>
internal static class Qcow2Reader
{
    /// <summary>
    /// A read inside one cluster whose L2 table is cached: served inline when the data is in the host
    /// page cache (or is zeroes), so a cached read needs no hop to an I/O thread, as with raw images.
    /// </summary>
    public static bool TryReadNoWait(Qcow2Driver driver, long offset, Memory<byte> buffer, out BlockError error)
    {
        error = BlockError.None;
        var inCluster = (int)(offset & driver.ClusterMask);
        if (inCluster + buffer.Length > driver.ClusterSize)
        {
            return false;
        }

        Qcow2Mapping mapping;
        lock (driver.MetadataLock)
        {
            if (!driver.Map.TryLookupCached(offset, out mapping))
            {
                return false;
            }
        }

        if (inCluster + buffer.Length > mapping.RunEnd(inCluster, driver.ClusterSize))
        {
            return false;
        }

        switch (mapping.KindAt(inCluster))
        {
            case Qcow2ClusterKind.Normal:
                return driver.Data.File.TryReadNoWait(mapping.HostOffset + inCluster, buffer, out error);
            case Qcow2ClusterKind.Zero:
            case Qcow2ClusterKind.Unallocated when driver.BackingNode is null:
                buffer.Span.Clear();
                return true;
            case Qcow2ClusterKind.Unallocated when driver.BackingNode is { } backing && offset <= backing.Length - buffer.Length:
                return backing.TryReadNoWait(offset, buffer, out error);
            default:
                return false;
        }
    }

    public static BlockError Read(Qcow2Driver driver, long offset, Memory<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var inCluster = (int)(offset & driver.ClusterMask);
            var chunk = (int)Math.Min(buffer.Length, driver.ClusterSize - inCluster);
            Qcow2Mapping mapping;
            Qcow2ClusterKind kind;
            BlockError error;
            lock (driver.MetadataLock)
            {
                error = driver.Map.Lookup(offset, out mapping);

                // With subclusters, one run of subclusters that read alike.
                chunk = Math.Min(chunk, mapping.RunEnd(inCluster, driver.ClusterSize) - inCluster);
                kind = mapping.KindAt(inCluster);

                // Contiguous host clusters are read in one request.
                while (error == BlockError.None && kind == Qcow2ClusterKind.Normal && chunk < buffer.Length && ((offset + chunk) & driver.ClusterMask) == 0)
                {
                    error = driver.Map.Lookup(offset + chunk, out var next);
                    if (error != BlockError.None || next.KindAt(0) != Qcow2ClusterKind.Normal || next.HostOffset != mapping.HostOffset + inCluster + chunk)
                    {
                        error = BlockError.None;
                        break;
                    }

                    chunk += Math.Min(buffer.Length - chunk, next.RunEnd(0, driver.ClusterSize));
                }
            }

            if (error != BlockError.None)
            {
                return error;
            }

            var part = buffer[..chunk];
            error = kind switch
            {
                Qcow2ClusterKind.Normal => driver.Data.Read(mapping.HostOffset + inCluster, part),
                Qcow2ClusterKind.Unallocated => driver.ReadBacking(offset, part.Span, part),
                Qcow2ClusterKind.Compressed => ReadCompressedPart(driver, mapping, inCluster, part.Span),
                _ => Clear(part.Span),
            };
            if (error != BlockError.None)
            {
                return error;
            }

            offset += chunk;
            buffer = buffer[chunk..];
        }

        return BlockError.None;
    }

    private static BlockError ReadCompressedPart(Qcow2Driver driver, Qcow2Mapping mapping, int inCluster, Span<byte> destination)
    {
        var cluster = AlignedBufferPool.Shared.Rent(driver.ClusterSize);
        try
        {
            var error = driver.ReadCompressed(mapping, cluster.Span[..driver.ClusterSize]);
            if (error == BlockError.None)
            {
                cluster.Span.Slice(inCluster, destination.Length).CopyTo(destination);
            }

            return error;
        }
        finally
        {
            AlignedBufferPool.Shared.Return(cluster);
        }
    }

    private static BlockError Clear(Span<byte> span)
    {
        span.Clear();
        return BlockError.None;
    }
}
