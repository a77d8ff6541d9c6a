using System.Buffers.Binary;
using Emulator.Block.Backend;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// The host clusters the bitmaps extension uses (qcow2.txt, "Bitmaps extension" and "Bitmap
/// directory"): the directory, each bitmap table, and each data cluster a table points to. The
/// driver keeps bitmaps untouched; the checker only needs to count these clusters as referenced
/// while the autoclear bit says the bitmaps are valid.
/// </summary>
internal static class Qcow2Bitmaps
{
    private const int ExtensionLength = 24;
    private const int DirectoryEntryLength = 24;
    private const long MaxDirectoryBytes = 64L << 20;

    /// <summary>
    /// Calls <paramref name="reference"/> with (offset, length) of every range the bitmaps use (only
    /// the directory and the bitmap tables when <paramref name="includeData"/> is false); false when
    /// the extension or directory cannot be read or is malformed.
    /// </summary>
    public static bool ForEachRange(Qcow2Header header, Qcow2Io io, Action<long, long> reference, bool includeData = true)
    {
        var extension = header.Extensions.FirstOrDefault(e => e.Type == Qcow2HeaderExtensionType.Bitmaps);
        if (extension is null || extension.Data.Length < ExtensionLength)
        {
            return extension is null;
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(extension.Data);
        var directorySize = BinaryPrimitives.ReadUInt64BigEndian(extension.Data.AsSpan(8));
        var directoryOffset = BinaryPrimitives.ReadUInt64BigEndian(extension.Data.AsSpan(16));
        // The directory and tables lie in clusters of the file: one claimed past its end is malformed,
        // and is not read (a hostile size would otherwise be allocated whole, up to the limit, on every open).
        var fileLength = io.File.Length;
        if (directorySize > MaxDirectoryBytes || directoryOffset > long.MaxValue || (long)directorySize > fileLength - (long)Math.Min(directoryOffset, (ulong)fileLength))
        {
            return false;
        }

        var directory = new byte[directorySize];
        if (io.Read((long)directoryOffset, directory) != BlockError.None)
        {
            return false;
        }

        reference((long)directoryOffset, (long)directorySize);
        var position = 0;
        for (var i = 0; i < count; i++)
        {
            if (directory.Length - position < DirectoryEntryLength)
            {
                return false;
            }

            var entry = directory.AsSpan(position);
            var tableOffset = BinaryPrimitives.ReadUInt64BigEndian(entry);
            var tableEntries = BinaryPrimitives.ReadUInt32BigEndian(entry[8..]);
            var nameLength = BinaryPrimitives.ReadUInt16BigEndian(entry[18..]);
            var extraLength = BinaryPrimitives.ReadUInt32BigEndian(entry[20..]);
            if (tableOffset > long.MaxValue || (ulong)tableEntries * 8 > Qcow2Header.MaxL1Bytes
                || (long)tableEntries * 8 > fileLength - (long)Math.Min(tableOffset, (ulong)fileLength))
            {
                return false;
            }

            var table = new byte[tableEntries * 8];
            if (io.Read((long)tableOffset, table) != BlockError.None)
            {
                return false;
            }

            reference((long)tableOffset, table.Length);
            for (var j = 0; j < tableEntries && includeData; j++)
            {
                var data = (long)(BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan(j * 8)) & Qcow2Entry.OffsetMask);
                if (data != 0)
                {
                    reference(data, header.ClusterSize);
                }
            }

            // The entry's own length (extra data and name, padded to 8) must stay inside the directory.
            var entryLength = (DirectoryEntryLength + (long)extraLength + nameLength + 7) & ~7L;
            if (entryLength > directory.Length - position)
            {
                return false;
            }

            position += (int)entryLength;
        }

        return true;
    }
}
