using System.Runtime.InteropServices;

namespace Emulator.Block.Backend;

/// <summary>
/// The Linux calls the completion queue needs to sleep on a driver's socket and on other threads' posts
/// at once (.NET has no poll over a socket and an event together): eventfd and poll(2).
/// </summary>
internal static partial class LinuxEvents
{
    /// <summary>EFD_NONBLOCK | EFD_CLOEXEC.</summary>
    public const int EventFlags = 0x800 | 0x80000;

    /// <summary>POLLIN: data (or an end of stream, or an error) to read.</summary>
    public const short PollIn = 0x1;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Returned;
    }

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(int fd, void* buffer, nuint count);

    /// <summary>Adds one to an eventfd counter (wakes a poll on it).</summary>
    public static unsafe void Signal(int fd)
    {
        ulong one = 1;
        Write(fd, &one, sizeof(ulong));
    }

    /// <summary>Resets an eventfd counter (non-blocking: nothing to read is fine).</summary>
    public static unsafe void Clear(int fd)
    {
        ulong value;
        Read(fd, &value, sizeof(ulong));
    }
}
