using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.File;

/// <summary>Data and holes of a host file (lseek SEEK_DATA/SEEK_HOLE): the file protocol's block status, as QEMU's file-posix answers it.</summary>
internal static class FileExtents
{
    /// <summary>Whether <paramref name="offset"/> is in data or a hole, and how far (at most <paramref name="limit"/> bytes) that lasts.</summary>
    public static BlockStatus At(int fd, long fileLength, string file, long offset, long limit)
    {
        const BlockStatusFlags Data = BlockStatusFlags.Data | BlockStatusFlags.Allocated | BlockStatusFlags.OffsetValid;
        const BlockStatusFlags Hole = BlockStatusFlags.Zero | BlockStatusFlags.Allocated | BlockStatusFlags.OffsetValid;
        if (offset >= fileLength)
        {
            return new BlockStatus(Hole, limit, offset, file);
        }

        var data = LinuxFile.Lseek(fd, offset, LinuxFile.SeekData);
        if (data < 0)
        {
            // ENXIO: only a hole follows. Filesystems without SEEK_DATA: everything is data.
            return new BlockStatus(LinuxFile.LastError == LinuxFile.ErrNoDeviceOrAddress ? Hole : Data, limit, offset, file);
        }

        if (data > offset)
        {
            return new BlockStatus(Hole, Math.Min(limit, data - offset), offset, file);
        }

        var hole = LinuxFile.Lseek(fd, offset, LinuxFile.SeekHole);
        return new BlockStatus(Data, hole < 0 ? limit : Math.Min(limit, hole - offset), offset, file);
    }
}
