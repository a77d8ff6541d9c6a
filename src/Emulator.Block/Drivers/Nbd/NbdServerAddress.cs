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

    public string? Host { get; }

    public int Port { get; }

    /// <summary>The Unix socket path; null for TCP.</summary>
    public string? Path { get; }

    public bool IsUnix => Path is not null;

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

    public EndPoint ListenEndPoint() => Path is { } path
        ? new UnixDomainSocketEndPoint(path)
        : new IPEndPoint(Host is "" or "0.0.0.0" or null ? IPAddress.Any : Dns.GetHostAddresses(Host)[0], Port);

    public override string ToString() => Path is { } path ? $"unix:{path}" : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";
}
