using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Reverts the active image to an internal snapshot (what <c>qemu-img snapshot -a</c> does): every L2
/// table and cluster the snapshot reaches gains a reference (refused before any write when a
/// refcount would overflow), a barrier, the active L1 table takes the snapshot's entries, a barrier,
/// the old active tree loses its references, and COPIED is set again where a refcount is one. A
/// crash at any point leaves at worst leaked clusters. Snapshots of another disk size are refused.
/// Called with the driver's metadata lock held.
/// </summary>
internal static class Qcow2SnapshotApplier
{
    public static BlockError Apply(Qcow2Driver driver, Qcow2Snapshot snapshot)
    {
        var map = driver.Map;
        var error = map.WriteBack();
        error = error == BlockError.None ? driver.Refcounts.WriteBack() : error;
        if (error != BlockError.None)
        {
            return error;
        }

        var l1 = Qcow2ClusterMap.LoadL1(driver.Io, (long)snapshot.L1TableOffset, snapshot.L1Size);
        error = Qcow2SnapshotCreator.ReferenceTree(driver, l1, new Dictionary<long, long>(), clearCopied: false);
        error = error == BlockError.None ? Qcow2SnapshotCreator.ReferenceTree(driver, l1, null, clearCopied: false) : error;
        error = error == BlockError.None ? driver.Io.Barrier() : error;
        error = error == BlockError.None && l1.Length > map.L1.Count ? map.GrowL1(l1.Length) : error;
        if (error != BlockError.None)
        {
            return error;
        }

        var old = map.L1.ToArray();
        for (var i = 0; error == BlockError.None && i < map.L1.Count; i++)
        {
            var entry = i < l1.Length ? l1[i] & ~Qcow2Entry.Copied : 0;
            if (map.L1[i] != entry)
            {
                map.EvictL2((long)(map.L1[i] & Qcow2Entry.OffsetMask));
                error = map.SetL1(i, entry);
            }
        }

        error = error == BlockError.None ? driver.Io.Barrier() : error;
        error = error == BlockError.None ? Qcow2SnapshotDeleter.UnreferenceTree(driver, old) : error;
        error = error == BlockError.None ? driver.Io.Barrier() : error;
        error = error == BlockError.None ? Qcow2SnapshotDeleter.RestoreCopied(driver) : error;
        return error == BlockError.None ? map.WriteBack() : error;
    }
}
