using System.Runtime.InteropServices;

namespace Emulator.Block.Drivers.File;

/// <summary>The few Linux calls the file protocol needs that .NET does not expose (O_DIRECT, flock, fdatasync, fallocate).</summary>
internal static partial class LinuxFile
{
    public const int ReadOnly = 0;
    public const int ReadWrite = 2;
    public const int Direct = 0x4000;
    public const int CloseOnExec = 0x80000;

    public const int LockShared = 1;
    public const int LockExclusive = 2;
    public const int LockNonBlocking = 4;

    public const int FallocKeepSize = 0x01;
    public const int FallocPunchHole = 0x02;
    public const int FallocZeroRange = 0x10;

    /// <summary>preadv2/pwritev2 flag: fail with EAGAIN instead of waiting for the disk.</summary>
    public const int RwfNoWait = 0x08;

    public const int ErrNoEntry = 2;
    public const int ErrIo = 5;
    public const int ErrNoDeviceOrAddress = 6;
    public const int ErrWouldBlock = 11;
    public const int ErrAccess = 13;
    public const int ErrIsDirectory = 21;
    public const int ErrInvalid = 22;
    public const int ErrNoSpace = 28;
    public const int ErrReadOnlyFs = 30;
    public const int ErrNotSupported = 95;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int FdataSync(int fd);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "preadv2", SetLastError = true)]
    public static unsafe partial nint Preadv2(int fd, IoVec* iov, int iovcnt, long offset, int flags);

    [LibraryImport("libc", EntryPoint = "pwritev2", SetLastError = true)]
    public static unsafe partial nint Pwritev2(int fd, IoVec* iov, int iovcnt, long offset, int flags);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long Lseek(int fd, long offset, int whence);

    public const int SeekData = 3;
    public const int SeekHole = 4;

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    public static unsafe partial int Fstat(int fd, byte* statBuffer);

    /// <summary>Size of struct stat on x86-64 Linux, and where st_blocks (512-byte units) sits in it.</summary>
    public const int StatSize = 144;
    public const int StatBlocksOffset = 64;

    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    public static string Describe(int errno) => errno switch
    {
        ErrNoEntry => "No such file or directory",
        ErrAccess => "Permission denied",
        ErrIsDirectory => "Is a directory",
        ErrReadOnlyFs => "Read-only file system",
        ErrWouldBlock => "Resource temporarily unavailable",
        _ => Marshal.GetPInvokeErrorMessage(errno),
    };
}
