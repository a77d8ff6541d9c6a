using System.Buffers.Binary;
using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Resize (<c>block_resize</c>, <c>img resize</c>). Growing enlarges the L1 table when needed (new
/// table written first, then one header write). Shrinking frees every cluster past the new end
/// (data, then L2 tables that cover nothing any more) before the header records the new size.
/// </summary>
internal static class Qcow2Resizer
{
    public static BlockError Resize(Qcow2Driver driver, long length)
    {
        if (length < 0 || length % 512 != 0)
        {
            return BlockError.InvalidArgument;
        }

        if (driver.Snapshots.Count > 0)
        {
            // QEMU refuses too: "Can't resize an image which has snapshots".
            return BlockError.Unsupported;
        }

        lock (driver.MetadataLock)
        {
            var old = driver.Length;
            var error = driver.MarkDirty();
            var needed = Qcow2Header.L1EntriesFor((ulong)length, driver.ClusterBits, driver.Header.ExtendedL2);
            if (needed * 8 > Qcow2Header.MaxL1Bytes)
            {
                return BlockError.InvalidArgument;
            }

            if (error == BlockError.None && needed > driver.Map.L1.Count)
            {
                error = driver.Map.GrowL1((int)needed);
            }

            if (error == BlockError.None && length < old)
            {
                error = FreeTail(driver, length, old);
            }

            if (error != BlockError.None)
            {
                return error;
            }

            var size = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(size, (ulong)length);
            error = driver.Io.Write(Qcow2Header.SizeField, size);
            if (error == BlockError.None)
            {
                driver.SetLength(length);
            }

            return error;
        }
    }

    private static BlockError FreeTail(Qcow2Driver driver, long length, long old)
    {
        var map = driver.Map;
        var l1Coverage = (long)driver.ClusterSize * driver.Map.EntriesPerTable;
        var firstCluster = (length + driver.ClusterMask) & ~driver.ClusterMask;
        for (var offset = firstCluster; offset < old;)
        {
            var l1Index = offset / l1Coverage;
            var l2Entry = map.L1[(int)l1Index];
            var l2Offset = (long)(l2Entry & Qcow2Entry.OffsetMask);
            if (l2Offset == 0)
            {
                offset = (l1Index + 1) * l1Coverage;
                continue;
            }

            var error = map.Lookup(offset, out var mapping);
            if (error == BlockError.None && mapping.Kind != Qcow2ClusterKind.Unallocated)
            {
                error = map.SetL2(offset, l2Offset, 0);
                error = error == BlockError.None ? Qcow2Writer.Release(driver, mapping) : error;
            }

            if (error != BlockError.None)
            {
                return error;
            }

            offset += driver.ClusterSize;
        }

        // L2 tables wholly past the new end are unlinked, then freed.
        var keep = Qcow2Header.L1EntriesFor((ulong)length, driver.ClusterBits, driver.Header.ExtendedL2);
        for (var i = keep; i < map.L1.Count; i++)
        {
            var l2Offset = (long)(map.L1[(int)i] & Qcow2Entry.OffsetMask);
            if (l2Offset == 0)
            {
                continue;
            }

            var error = map.SetL1(i, 0);
            map.EvictL2(l2Offset);
            error = error == BlockError.None ? driver.Io.Barrier() : error;
            error = error == BlockError.None ? driver.Refcounts.Change(l2Offset, -1) : error;
            if (error != BlockError.None)
            {
                return error;
            }
        }

        return BlockError.None;
    }
}
