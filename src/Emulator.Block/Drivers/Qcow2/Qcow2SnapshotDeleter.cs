using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Deletes an internal snapshot (what <c>qemu-img snapshot -d</c> does): a new snapshot table
/// without the entry is written and the header switched to it first, so a crash afterwards leaves
/// only refcounts that are too high (leaks); then every L2 table and cluster the snapshot's L1 table
/// reaches loses one reference, its L1 table is freed, and the active image's COPIED flags are set
/// again where a refcount dropped back to one. Called with the driver's metadata lock held.
/// </summary>
internal static class Qcow2SnapshotDeleter
{
    public static BlockError Delete(Qcow2Driver driver, Qcow2Snapshot snapshot)
    {
        var error = driver.Map.WriteBack();
        error = error == BlockError.None ? driver.Refcounts.WriteBack() : error;
        if (error != BlockError.None)
        {
            return error;
        }

        error = Qcow2SnapshotTable.Read(driver, out var oldTable);
        if (error != BlockError.None)
        {
            return error;
        }

        var table = new List<byte>();
        var position = 0;
        foreach (var entry in driver.Snapshots)
        {
            if (!ReferenceEquals(entry, snapshot))
            {
                table.AddRange(oldTable.AsSpan(position, entry.EntryLength));
            }

            position += entry.EntryLength;
        }

        error = Qcow2SnapshotTable.Replace(driver, [.. table], driver.Snapshots.Count - 1);
        error = error == BlockError.None ? Unshare(driver, snapshot) : error;
        error = error == BlockError.None ? driver.Io.Barrier() : error;
        error = error == BlockError.None ? RestoreCopied(driver) : error;
        return error == BlockError.None ? driver.Map.WriteBack() : error;
    }

    /// <summary>Drops the references the snapshot's L1 table held, then its L1 table.</summary>
    private static BlockError Unshare(Qcow2Driver driver, Qcow2Snapshot snapshot)
    {
        var l1 = Qcow2ClusterMap.LoadL1(driver.Io, (long)snapshot.L1TableOffset, snapshot.L1Size);
        var error = UnreferenceTree(driver, l1);
        for (var i = 0; error == BlockError.None && i < driver.ClustersFor(l1.Length * 8L); i++)
        {
            error = driver.Refcounts.Change((long)snapshot.L1TableOffset + ((long)i * driver.ClusterSize), -1);
        }

        return error;
    }

    /// <summary>Drops one reference from every L2 table and cluster an L1 table reaches.</summary>
    public static BlockError UnreferenceTree(Qcow2Driver driver, IReadOnlyList<ulong> l1)
    {
        var map = driver.Map;
        var entriesPerL2 = driver.Map.EntriesPerTable;
        for (var i = 0; i < l1.Count; i++)
        {
            var l2Offset = (long)(l1[i] & Qcow2Entry.OffsetMask);
            if (l2Offset == 0)
            {
                continue;
            }

            var error = BlockError.None;
            for (var j = 0; error == BlockError.None && j < entriesPerL2; j++)
            {
                error = map.ReadTableEntry(i, j, l2Offset, out _, out _, out var mapping);
                error = error == BlockError.None ? Qcow2Writer.Unreference(driver, mapping) : error;
            }

            error = error == BlockError.None ? driver.Refcounts.Change(l2Offset, -1) : error;
            if (error != BlockError.None)
            {
                return error;
            }
        }

        return BlockError.None;
    }

    /// <summary>Sets COPIED again on active L1 and L2 entries whose cluster is now referenced once.</summary>
    public static BlockError RestoreCopied(Qcow2Driver driver)
    {
        var map = driver.Map;
        var entriesPerL2 = driver.Map.EntriesPerTable;
        for (var i = 0; i < map.L1.Count; i++)
        {
            var l2Offset = (long)(map.L1[i] & Qcow2Entry.OffsetMask);
            if (l2Offset == 0)
            {
                continue;
            }

            var error = driver.Refcounts.Get(l2Offset, out var l2Count);
            if (error == BlockError.None && l2Count == 1 && (map.L1[i] & Qcow2Entry.Copied) == 0)
            {
                error = map.SetL1(i, map.L1[i] | Qcow2Entry.Copied);
            }

            for (var j = 0; error == BlockError.None && l2Count == 1 && j < entriesPerL2; j++)
            {
                error = map.ReadTableEntry(i, j, l2Offset, out var guest, out var raw, out var mapping);
                if (error != BlockError.None || mapping.Kind is not (Qcow2ClusterKind.Normal or Qcow2ClusterKind.Zero) || mapping.HostOffset == 0 || mapping.Copied)
                {
                    continue;
                }

                error = driver.Refcounts.Get(mapping.HostOffset, out var count);
                error = error == BlockError.None && count == 1 ? map.SetL2Standard(guest, l2Offset, raw | Qcow2Entry.Copied) : error;
            }

            if (error != BlockError.None)
            {
                return error;
            }
        }

        return BlockError.None;
    }
}
