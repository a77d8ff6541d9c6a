using System.Runtime.InteropServices;

namespace Emulator.Block.Nbd;

/// <summary>
/// recv(2) with MSG_DONTWAIT on a blocking socket: .NET's <c>SocketFlags</c> has no DONTWAIT, and asking
/// FIONREAD first (<c>Socket.Available</c>) costs a second system call for each look at the socket.
/// </summary>
internal static partial class LinuxSockets
{
    /// <summary>MSG_DONTWAIT: this call does not block, whatever the socket's mode.</summary>
    public const int DontWait = 0x40;

    /// <summary>EAGAIN (= EWOULDBLOCK): nothing to read now.</summary>
    public const int WouldBlock = 11;

    /// <summary>EINTR: interrupted by a signal before anything was read.</summary>
    public const int Interrupted = 4;

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static unsafe partial nint Receive(int fd, byte* buffer, nuint length, int flags);
}
