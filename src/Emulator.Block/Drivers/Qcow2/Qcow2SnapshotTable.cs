using System.Buffers.Binary;
using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// The snapshot table on disk as snapshot creation and deletion rewrite it (qcow2.txt, "Snapshots"):
/// read whole, then replaced copy-on-write. The new table goes to new clusters, one header write switches
/// to it, and only then are the old table's clusters freed, with barriers between, so a crash at any point
/// leaves the header pointing at a whole table and at worst leaks clusters.
/// </summary>
internal static class Qcow2SnapshotTable
{
    /// <summary>qcow2.txt header bytes 60-71: nb_snapshots (4 bytes) then snapshots_offset (8 bytes), written together.</summary>
    private const int HeaderFieldsLength = 12;
    private const int OffsetFieldPosition = Qcow2Header.SnapshotsOffsetField - Qcow2Header.SnapshotCountField;

    /// <summary>The table the header points at now, every entry with its padding.</summary>
    public static BlockError Read(Qcow2Driver driver, out byte[] table)
    {
        table = new byte[Length(driver)];
        if (table.Length == 0)
        {
            return BlockError.None;
        }

        // The last entry's padding may lie past the end of the file; it reads as zeroes.
        var offset = (long)driver.Header.SnapshotsOffset;
        var readable = (int)Math.Min(table.Length, driver.FileNode.Length - offset);
        return driver.Io.Read(offset, table.AsMemory(0, Math.Max(0, readable)));
    }

    /// <summary>
    /// Makes <paramref name="table"/> (<paramref name="count"/> entries) the image's snapshot table and frees
    /// the old one. An empty table is not written: the header then says no snapshots, at offset 0.
    /// </summary>
    public static BlockError Replace(Qcow2Driver driver, byte[] table, int count)
    {
        var oldOffset = (long)driver.Header.SnapshotsOffset;
        var oldClusters = driver.ClustersFor(Length(driver));
        var error = BlockError.None;
        var tableOffset = 0L;
        if (table.Length > 0)
        {
            error = driver.Refcounts.Allocate(driver.ClustersFor(table.Length), out tableOffset);
            error = error == BlockError.None ? driver.Io.Write(tableOffset, table) : error;
            error = error == BlockError.None ? driver.Io.Barrier() : error;
        }

        var fields = new byte[HeaderFieldsLength];
        BinaryPrimitives.WriteUInt32BigEndian(fields, (uint)count);
        BinaryPrimitives.WriteUInt64BigEndian(fields.AsSpan(OffsetFieldPosition), (ulong)tableOffset);
        error = error == BlockError.None ? driver.Io.Write(Qcow2Header.SnapshotCountField, fields) : error;
        error = error == BlockError.None ? driver.Io.Barrier() : error;
        for (var i = 0; error == BlockError.None && i < oldClusters; i++)
        {
            error = driver.Refcounts.Change(oldOffset + ((long)i * driver.ClusterSize), -1);
        }

        return error;
    }

    private static long Length(Qcow2Driver driver) => driver.Snapshots.Sum(s => (long)s.EntryLength);
}
