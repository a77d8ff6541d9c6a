using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Reads the metadata the driver keeps but never rewrites (the internal snapshot table and the
/// bitmaps extension) at open, checks it against the rest of the image, and records its clusters in
/// the <see cref="Qcow2Layout"/> so that no later write lands on them.
/// </summary>
internal static class Qcow2KeptMetadata
{
    private const long MaxSnapshotTableBytes = 64L << 20;

    public static List<Qcow2Snapshot> ReadSnapshots(Qcow2Header header, Qcow2Io io, Qcow2Layout layout)
    {
        if (header.SnapshotCount == 0)
        {
            return [];
        }

        var offset = (long)Math.Min(header.SnapshotsOffset, long.MaxValue);
        if (layout.Describe(offset, 0, checkRefcountTable: true) is { } problem || offset >= layout.FileLength)
        {
            throw new BlockOperationException($"The snapshot table at 0x{offset:x} {layout.Describe(offset, 1, true) ?? "lies past the end of the file"}");
        }

        // No more than the header's count of entries can need: a table near the start of a large file
        // must not turn into a read of the whole file.
        var bytes = new byte[Math.Min(Math.Min(MaxSnapshotTableBytes, layout.FileLength - offset), (long)header.SnapshotCount * Qcow2Snapshot.MaxEntryLength)];
        if (io.Read(offset, bytes) != BlockError.None)
        {
            throw new BlockOperationException("Could not read the snapshot table");
        }

        var snapshots = Qcow2Snapshot.ParseTable(bytes, header.SnapshotCount, header.ClusterSize);
        // The last entry's padding to 8 bytes may lie past the end of the file (QEMU does not write it).
        layout.Keep(offset, Math.Min(snapshots.Sum(s => (long)s.EntryLength), layout.FileLength - offset), "the snapshot table", snapshot: true);
        foreach (var snapshot in snapshots)
        {
            layout.Keep((long)Math.Min(snapshot.L1TableOffset, long.MaxValue), snapshot.L1Size * 8L, $"the L1 table of snapshot '{snapshot.Name}'", snapshot: true);
        }

        return snapshots;
    }

    /// <summary>
    /// Records the bitmap directory and tables as metadata no write may land on, while the autoclear
    /// bit says they are valid (a directory that cannot be read is left to <c>check</c> to report).
    /// </summary>
    public static void KeepBitmapTables(Qcow2Header header, Qcow2Io io, Qcow2Layout layout)
    {
        if ((header.Autoclear & Qcow2AutoclearFeatures.Bitmaps) == 0)
        {
            return;
        }

        var ranges = new List<(long Offset, long Length)>();
        Qcow2Bitmaps.ForEachRange(header, io, (offset, length) => ranges.Add((offset, length)), includeData: false);
        for (var i = 0; i < ranges.Count; i++)
        {
            layout.Keep(ranges[i].Offset, ranges[i].Length, i == 0 ? "the bitmap directory" : "a bitmap table");
        }
    }
}
