using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Where the fixed metadata of an image lies (header cluster, active L1 table, refcount table, and
/// the metadata the driver keeps but never rewrites: the snapshot table, the snapshots' L1 tables,
/// the bitmap directory and bitmap tables), and the checks every table offset read from the image
/// must pass before it is used: inside the file, no arithmetic overflow, no overlap with the other
/// metadata. QEMU's overlap checks ("cached" mode) refuse a write onto any of these; so do ours,
/// through <see cref="Describe"/> and <see cref="DescribeKept"/>.
/// </summary>
internal sealed class Qcow2Layout
{
    private readonly List<(long Offset, long Length, string What, bool Snapshot)> _kept = [];

    public Qcow2Layout(Qcow2Header header, long fileLength)
    {
        FileLength = fileLength;
        ClusterSize = header.ClusterSize;
        L1Offset = (long)Math.Min(header.L1TableOffset, long.MaxValue);
        L1Bytes = (long)header.L1Size * 8;
        RefcountTableOffset = (long)Math.Min(header.RefcountTableOffset, long.MaxValue);
        RefcountTableBytes = (long)header.RefcountTableClusters << header.ClusterBits;
    }

    /// <summary>The file's length when the checks were last (re)done: at open, and when the snapshot table changes.</summary>
    public long FileLength { get; set; }

    public int ClusterSize { get; }

    public long L1Offset { get; set; }

    public long L1Bytes { get; set; }

    public long RefcountTableOffset { get; set; }

    public long RefcountTableBytes { get; set; }

    /// <summary>Checks the L1 and refcount tables against the file and each other. Throws <see cref="BlockOperationException"/>.</summary>
    public void CheckFixedTables()
    {
        CheckInsideFile(L1Offset, L1Bytes, "The active L1 table");
        CheckInsideFile(RefcountTableOffset, RefcountTableBytes, "The refcount table");
        if (L1Bytes > 0 && L1Offset < ClusterSize)
        {
            throw new BlockOperationException("The active L1 table overlaps the qcow2 header");
        }

        if (RefcountTableOffset < ClusterSize)
        {
            throw new BlockOperationException("The refcount table overlaps the qcow2 header");
        }

        if (L1Bytes > 0 && Overlaps(L1Offset, L1Bytes, RefcountTableOffset, RefcountTableBytes))
        {
            throw new BlockOperationException("The active L1 table overlaps the refcount table");
        }
    }

    /// <summary>Checks one cluster-sized (or larger) table: inside the file, not on the header, the L1 table or (optionally) the refcount table.</summary>
    public void CheckTable(long offset, long length, string what, bool checkRefcountTable)
    {
        if (Describe(offset, length, checkRefcountTable) is { } problem)
        {
            throw new BlockOperationException($"{what} at 0x{offset:x} {problem}");
        }
    }

    /// <summary>Why a table at <paramref name="offset"/> cannot be right, or null when it can.</summary>
    public string? Describe(long offset, long length, bool checkRefcountTable)
    {
        if (offset < 0 || length < 0 || offset > FileLength - length)
        {
            return "lies past the end of the file";
        }

        if (offset < ClusterSize)
        {
            return "overlaps the qcow2 header";
        }

        if (L1Bytes > 0 && Overlaps(offset, length, L1Offset, L1Bytes))
        {
            return "overlaps the active L1 table";
        }

        return checkRefcountTable && Overlaps(offset, length, RefcountTableOffset, RefcountTableBytes)
            ? "overlaps the refcount table"
            : DescribeKept(offset, length);
    }

    /// <summary>
    /// Records metadata the driver keeps untouched (snapshot table, snapshot L1 tables, bitmap
    /// directory and tables) after checking it against everything recorded so far. Throws
    /// <see cref="BlockOperationException"/> naming <paramref name="what"/> when it cannot be right.
    /// </summary>
    public void Keep(long offset, long length, string what, bool snapshot = false)
    {
        if (length <= 0)
        {
            return;
        }

        CheckTable(offset, length, char.ToUpperInvariant(what[0]) + what[1..], checkRefcountTable: true);
        _kept.Add((offset, length, what, snapshot));
    }

    /// <summary>Forgets the snapshot table and snapshot L1 tables recorded (the table was rewritten; they are recorded again).</summary>
    public void ForgetSnapshots() => _kept.RemoveAll(kept => kept.Snapshot);

    /// <summary>Which kept metadata a host range overlaps ("overlaps the snapshot table"), or null.</summary>
    public string? DescribeKept(long offset, long length)
    {
        foreach (var (keptOffset, keptLength, what, _) in _kept)
        {
            if (Overlaps(offset, length, keptOffset, keptLength))
            {
                return $"overlaps {what}";
            }
        }

        return null;
    }

    public static bool Overlaps(long a, long aLength, long b, long bLength) => a < b + bLength && b < a + aLength;

    private void CheckInsideFile(long offset, long length, string what)
    {
        if (offset < 0 || offset > FileLength - length)
        {
            throw new BlockOperationException($"{what} (0x{offset:x}, {length} bytes) lies past the end of the file ({FileLength} bytes)");
        }
    }
}
