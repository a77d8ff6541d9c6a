using System.Buffers.Binary;
using System.Text;
using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>One entry of the internal snapshot table (qcow2.txt, "Snapshots"): its L1 table, names, times and the disk size it had.</summary>
internal sealed record Qcow2Snapshot(
    ulong L1TableOffset,
    uint L1Size,
    string Id,
    string Name,
    uint DateSeconds,
    uint DateNanoseconds,
    ulong VmClockNanoseconds,
    ulong VmStateSize,
    ulong? DiskSize,
    ulong? Icount,
    int EntryLength)
    : ImageSnapshot(Id, Name, DateSeconds, DateNanoseconds, VmClockNanoseconds, VmStateSize, Icount)
{
    /// <summary>The fixed part of an entry, before its extra data, ID and name.</summary>
    public const int FixedLength = 40;

    /// <summary>QEMU's QCOW_MAX_SNAPSHOT_EXTRA_DATA: more extra data than this in one entry is refused.</summary>
    public const int MaxExtraLength = 1024;

    /// <summary>The longest entry a table can hold: the fixed part, the most extra data, the longest id and name, padding.</summary>
    public const int MaxEntryLength = FixedLength + MaxExtraLength + ushort.MaxValue + ushort.MaxValue + 7;

    /// <summary>Parses <paramref name="count"/> entries from the table bytes; throws <see cref="BlockOperationException"/> when one runs off the end or is malformed.</summary>
    public static List<Qcow2Snapshot> ParseTable(ReadOnlySpan<byte> table, uint count, int clusterSize)
    {
        var snapshots = new List<Qcow2Snapshot>();
        var position = 0;
        for (var i = 0; i < count; i++)
        {
            if (table.Length - position < FixedLength)
            {
                throw new BlockOperationException($"Snapshot table entry {i} runs past the end of the snapshot table");
            }

            var entry = table[position..];
            var l1Offset = BinaryPrimitives.ReadUInt64BigEndian(entry);
            var l1Size = BinaryPrimitives.ReadUInt32BigEndian(entry[8..]);
            var idLength = BinaryPrimitives.ReadUInt16BigEndian(entry[12..]);
            var nameLength = BinaryPrimitives.ReadUInt16BigEndian(entry[14..]);
            var vmStateSize = (ulong)BinaryPrimitives.ReadUInt32BigEndian(entry[32..]);
            var extraLength = BinaryPrimitives.ReadUInt32BigEndian(entry[36..]);
            if (extraLength > MaxExtraLength)
            {
                throw new BlockOperationException($"Too much extra metadata in snapshot table entry {i}");
            }

            var length = (long)FixedLength + extraLength + idLength + nameLength;
            if (length > table.Length - position)
            {
                throw new BlockOperationException($"Snapshot table entry {i} runs past the end of the snapshot table");
            }

            if (l1Offset % (ulong)clusterSize != 0 || (ulong)l1Size * 8 > Qcow2Header.MaxL1Bytes)
            {
                throw new BlockOperationException($"Snapshot {i} has an invalid L1 table (0x{l1Offset:x}, {l1Size} entries)");
            }

            var extra = entry.Slice(FixedLength, (int)extraLength);
            ulong? diskSize = null;
            if (extra.Length >= 8)
            {
                vmStateSize = BinaryPrimitives.ReadUInt64BigEndian(extra);
            }

            if (extra.Length >= 16)
            {
                diskSize = BinaryPrimitives.ReadUInt64BigEndian(extra[8..]);
            }

            ulong? icount = null;
            if (extra.Length >= 24 && BinaryPrimitives.ReadUInt64BigEndian(extra[16..]) != ulong.MaxValue)
            {
                icount = BinaryPrimitives.ReadUInt64BigEndian(extra[16..]);
            }

            var idStart = FixedLength + (int)extraLength;
            snapshots.Add(new Qcow2Snapshot(
                l1Offset,
                l1Size,
                Encoding.UTF8.GetString(entry.Slice(idStart, idLength)),
                Encoding.UTF8.GetString(entry.Slice(idStart + idLength, nameLength)),
                BinaryPrimitives.ReadUInt32BigEndian(entry[16..]),
                BinaryPrimitives.ReadUInt32BigEndian(entry[20..]),
                BinaryPrimitives.ReadUInt64BigEndian(entry[24..]),
                vmStateSize,
                diskSize,
                icount,
                (int)((length + 7) & ~7L)));
            position += (int)((length + 7) & ~7L);
        }

        return snapshots;
    }
}
