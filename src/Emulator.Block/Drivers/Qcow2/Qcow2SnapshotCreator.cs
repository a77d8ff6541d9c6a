using System.Buffers.Binary;
using System.Text;
using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Creates an internal snapshot (qcow2.txt, "Snapshots"; what <c>qemu-img snapshot -c</c> does): every
/// L2 table and cluster the active L1 table reaches gains one reference and loses its COPIED flag
/// (it is now shared, so the next write copies it), a copy of the L1 table and a new snapshot table
/// with the new entry appended are written to new clusters, and one header write switches to the new
/// table, after which the old table is freed. Barriers separate the steps: a crash before the header
/// write leaves only refcounts that are too high (leaks), never a snapshot that is not counted.
/// Called with the driver's metadata lock held, on an image open read-write.
/// </summary>
internal static class Qcow2SnapshotCreator
{
    /// <summary>Extra data QEMU writes: vm_state_size_large, disk_size, icount.</summary>
    private const int ExtraDataLength = 24;

    /// <summary>qemu-img snapshot -c zero-fills the snapshot it creates, so its icount is 0 (the list shows "0").</summary>
    private const ulong ToolIcount = 0;

    public static BlockError Create(Qcow2Driver driver, string name, DateTimeOffset now)
    {
        var error = driver.Map.WriteBack();
        error = error == BlockError.None ? driver.Refcounts.WriteBack() : error;
        error = error == BlockError.None ? ReferenceTree(driver, driver.Map.L1, new Dictionary<long, long>(), clearCopied: false) : error;
        error = error == BlockError.None ? ReferenceTree(driver, driver.Map.L1, null, clearCopied: true) : error;
        error = error == BlockError.None ? driver.Map.WriteBack() : error;
        error = error == BlockError.None ? driver.Io.Barrier() : error;
        if (error != BlockError.None)
        {
            return error;
        }

        var map = driver.Map;
        var l1 = new byte[map.L1.Count * 8];
        for (var i = 0; i < map.L1.Count; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(l1.AsSpan(i * 8), map.L1[i]);
        }

        var l1Offset = 0L;
        if (l1.Length > 0)
        {
            error = driver.Refcounts.Allocate(driver.ClustersFor(l1.Length), out l1Offset);
            error = error == BlockError.None ? driver.Io.Write(l1Offset, l1) : error;
        }

        if (error != BlockError.None)
        {
            return error;
        }

        error = Qcow2SnapshotTable.Read(driver, out var oldTable);
        if (error != BlockError.None)
        {
            return error;
        }

        var entry = Entry(driver, NextId(driver.Snapshots), name, l1Offset, map.L1.Count, now);
        var table = new byte[oldTable.Length + entry.Length];
        oldTable.CopyTo(table, 0);
        entry.CopyTo(table, oldTable.Length);
        return Qcow2SnapshotTable.Replace(driver, table, driver.Snapshots.Count + 1);
    }

    /// <summary>
    /// One more reference for every L2 table and cluster an L1 table reaches; with
    /// <paramref name="clearCopied"/> (the active table) COPIED is cleared on the way. With
    /// <paramref name="dryRun"/> (cluster to references added) nothing is changed: the pass only
    /// refuses, before anything is written, a refcount the width cannot hold (as QEMU refuses with EINVAL).
    /// </summary>
    public static BlockError ReferenceTree(Qcow2Driver driver, IReadOnlyList<ulong> l1, Dictionary<long, long>? dryRun, bool clearCopied)
    {
        var map = driver.Map;
        var entriesPerL2 = map.EntriesPerTable;
        for (var i = 0; i < l1.Count; i++)
        {
            var l2Offset = (long)(l1[i] & Qcow2Entry.OffsetMask);
            if (l2Offset == 0)
            {
                continue;
            }

            var error = Reference(driver, l2Offset, dryRun);
            for (var j = 0; error == BlockError.None && j < entriesPerL2; j++)
            {
                error = map.ReadTableEntry(i, j, l2Offset, out var guest, out var raw, out var mapping);
                error = error == BlockError.None ? ReferenceData(driver, mapping, dryRun) : error;
                if (error == BlockError.None && dryRun is null && clearCopied && (raw & Qcow2Entry.Copied) != 0 && (raw & Qcow2Entry.Compressed) == 0)
                {
                    error = map.SetL2Standard(guest, l2Offset, raw & ~Qcow2Entry.Copied);
                }
            }

            error = error == BlockError.None && dryRun is null && clearCopied ? map.SetL1(i, map.L1[i] & ~Qcow2Entry.Copied) : error;
            if (error != BlockError.None)
            {
                return error;
            }
        }

        return BlockError.None;
    }

    private static BlockError ReferenceData(Qcow2Driver driver, Qcow2Mapping mapping, Dictionary<long, long>? dryRun)
    {
        if (mapping.Kind == Qcow2ClusterKind.Compressed)
        {
            var first = mapping.HostOffset & ~driver.ClusterMask;
            var last = (mapping.HostOffset + mapping.CompressedLength - 1) & ~driver.ClusterMask;
            for (var cluster = first; cluster <= last; cluster += driver.ClusterSize)
            {
                var error = Reference(driver, cluster, dryRun);
                if (error != BlockError.None)
                {
                    return error;
                }
            }

            return BlockError.None;
        }

        return mapping.Kind is Qcow2ClusterKind.Normal or Qcow2ClusterKind.Zero && mapping.HostOffset != 0
            ? Reference(driver, mapping.HostOffset, dryRun)
            : BlockError.None;
    }

    /// <summary>Adds a reference (or, in a dry run, counts it), refusing when the refcount width cannot hold it.</summary>
    private static BlockError Reference(Qcow2Driver driver, long cluster, Dictionary<long, long>? dryRun)
    {
        var error = driver.Refcounts.Get(cluster, out var count);
        if (error != BlockError.None || dryRun is null)
        {
            return error != BlockError.None ? error : driver.Refcounts.Change(cluster, 1);
        }

        var added = dryRun.GetValueOrDefault(cluster) + 1;
        dryRun[cluster] = added;
        return count + (ulong)added > driver.Refcounts.MaxRefcount ? BlockError.InvalidArgument : BlockError.None;
    }

    /// <summary>The next free numeric ID (QEMU numbers snapshots 1, 2, ... and skips IDs taken).</summary>
    private static string NextId(IReadOnlyList<Qcow2Snapshot> snapshots)
    {
        var max = 0L;
        foreach (var snapshot in snapshots)
        {
            if (long.TryParse(snapshot.Id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                max = Math.Max(max, id);
            }
        }

        return (max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Entry(Qcow2Driver driver, string id, string name, long l1Offset, int l1Size, DateTimeOffset now)
    {
        var idBytes = Encoding.UTF8.GetBytes(id);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var length = Qcow2Snapshot.FixedLength + ExtraDataLength + idBytes.Length + nameBytes.Length;
        var entry = new byte[(length + 7) & ~7];
        var span = entry.AsSpan();
        BinaryPrimitives.WriteUInt64BigEndian(span, (ulong)l1Offset);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], (uint)l1Size);
        BinaryPrimitives.WriteUInt16BigEndian(span[12..], (ushort)idBytes.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span[14..], (ushort)nameBytes.Length);
        var unixNanoseconds = (now - DateTimeOffset.UnixEpoch).Ticks * 100;
        BinaryPrimitives.WriteUInt32BigEndian(span[16..], (uint)(unixNanoseconds / 1_000_000_000));
        BinaryPrimitives.WriteUInt32BigEndian(span[20..], (uint)(unixNanoseconds % 1_000_000_000));
        BinaryPrimitives.WriteUInt32BigEndian(span[36..], ExtraDataLength);
        BinaryPrimitives.WriteUInt64BigEndian(span[(Qcow2Snapshot.FixedLength + 8)..], (ulong)driver.Length);
        BinaryPrimitives.WriteUInt64BigEndian(span[(Qcow2Snapshot.FixedLength + 16)..], ToolIcount);
        idBytes.CopyTo(span[(Qcow2Snapshot.FixedLength + ExtraDataLength)..]);
        nameBytes.CopyTo(span[(Qcow2Snapshot.FixedLength + ExtraDataLength + idBytes.Length)..]);
        return entry;
    }
}
