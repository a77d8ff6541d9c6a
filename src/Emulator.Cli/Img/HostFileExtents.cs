using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Emulator.Cli.Img;

/// <summary>Data and holes of a host file (lseek SEEK_DATA/SEEK_HOLE), which <c>img map</c> reports for raw layers as qemu-img does.</summary>
internal sealed partial class HostFileExtents : IDisposable
{
    private const int SeekData = 3;
    private const int SeekHole = 4;

    private readonly SafeFileHandle _handle;
    private readonly long _length;

    public HostFileExtents(string path)
    {
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        _length = RandomAccess.GetLength(_handle);
    }

    /// <summary>Whether <paramref name="offset"/> is in data or a hole, and how far (at most <paramref name="limit"/> bytes) that lasts.</summary>
    public (bool Data, long Length) At(long offset, long limit)
    {
        if (offset >= _length)
        {
            return (false, limit);
        }

        var fd = (int)_handle.DangerousGetHandle();
        var data = Lseek(fd, offset, SeekData);
        if (data < 0)
        {
            // ENXIO: only a hole follows. Filesystems without SEEK_DATA: everything is data.
            return Marshal.GetLastPInvokeError() == 6 ? (false, limit) : (true, limit);
        }

        if (data > offset)
        {
            return (false, Math.Min(limit, data - offset));
        }

        var hole = Lseek(fd, offset, SeekHole);
        return (true, hole < 0 ? limit : Math.Min(limit, hole - offset));
    }

    public void Dispose() => _handle.Dispose();

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Lseek(int fd, long offset, int whence);
}
