using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Emulator.Block.Backend;
using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>Where an NBD server listens (QAPI SocketAddress: <c>type=inet</c> with host and port, or <c>type=unix</c> with a path).</summary>
public sealed record NbdServerAddress
{
    private NbdServerAddress(string? host, int port, string? path)
    {
        Host = host;
        Port = port;
        Path = path;
    }

    /// <summary>The TCP host name or address; null for a Unix socket.</summary>
    public string? Host { get; }

    /// <summary>The TCP port (1–65535); 0 for a Unix socket.</summary>
    public int Port { get; }

    /// <summary>The Unix socket path; null for TCP.</summary>
    public string? Path { get; }

    /// <summary>True for a Unix socket address.</summary>
    public bool IsUnix => Path is not null;

    /// <summary>A TCP address; <paramref name="port"/> defaults to NBD's 10809.</summary>
    /// <exception cref="BlockOperationException">The host is empty or the port is outside 1–65535.</exception>
    public static NbdServerAddress Inet(string host, int port = NbdLimits.DefaultPort)
    {
        if (string.IsNullOrEmpty(host))
        {
            throw new BlockOperationException("Parameter 'server.host' is missing");
        }

        if (port is < 1 or > 65535)
        {
            throw new BlockOperationException($"Invalid NBD port {port.ToString(CultureInfo.InvariantCulture)}");
        }

        return new NbdServerAddress(host, port, null);
    }

    /// <summary>A Unix socket address.</summary>
    /// <exception cref="BlockOperationException">The path is empty.</exception>
    public static NbdServerAddress Unix(string path) =>
        string.IsNullOrEmpty(path) ? throw new BlockOperationException("Parameter 'server.path' is missing") : new NbdServerAddress(null, 0, path);

    /// <summary>A connected stream socket (blocking, Nagle off for TCP so small requests are not held back).</summary>
    public Socket Connect()
    {
        if (Path is { } path)
        {
            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                unix.Connect(new UnixDomainSocketEndPoint(path));
                return unix;
            }
            catch (SocketException)
            {
                unix.Dispose();
                throw;
            }
        }

        var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            tcp.Connect(Host!, Port);
            return tcp;
        }
        catch (SocketException)
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>The end point a server binds to: the Unix path, or the host resolved by DNS (an empty host or 0.0.0.0 = every IPv4 address). Throws <see cref="SocketException"/> when the host does not resolve.</summary>
    public EndPoint ListenEndPoint() => Path is { } path
        ? new UnixDomainSocketEndPoint(path)
        : new IPEndPoint(Host is "" or "0.0.0.0" or null ? IPAddress.Any : Dns.GetHostAddresses(Host)[0], Port);

    /// <c>unix:PATH</c> or <c>HOST:PORT</c>, for messages.
    public override string ToString() => Path is { } path ? $"unix:{path}" : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";
}
