using System.Net.Sockets;

namespace Emulator.Monitor;

/// <summary>The Unix-socket set-up both monitor servers use.</summary>
internal static class UnixSockets
{
    /// <summary>Listens at <paramref name="path"/>, replacing a stale socket file left by an earlier run.</summary>
    public static Socket Listen(string path, int backlog)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(backlog);
        return listener;
    }

    /// <summary>Connects to a socket someone else listens on (libqtest's arrangement).</summary>
    public static Socket Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return socket;
    }
}
