using System.Net.Sockets;
using Emulator.Block.Graph;
using Emulator.Block.Nbd;
using Emulator.Block.Nbd.Server;

namespace Emulator.Block.Tests.Nbd;

/// <summary>
/// A misbehaving NBD server for fault tests: a correct handshake (our server's), then each request is
/// answered by the test's script, which may send garbage, stay silent or hang up.
/// </summary>
internal sealed class FakeNbdServer : IDisposable
{
    private readonly Socket _listener;
    private readonly Thread _thread;
    private readonly Func<Socket, NbdRequestHeader, bool> _script;
    private readonly NbdExport _export;
    private Socket? _client;

    /// <summary>Listens on <paramref name="path"/>, exporting <paramref name="node"/> as "e"; <paramref name="script"/> answers each request (false ends the connection).</summary>
    public FakeNbdServer(string path, BlockDriverState node, Func<Socket, NbdRequestHeader, bool> script)
    {
        _script = script;
        _export = new NbdExport("e", node, writable: true);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(1);
        _thread = new Thread(Serve) { IsBackground = true };
        _thread.Start();
    }

    /// <summary>Hangs up on the client (a dropped connection).</summary>
    public void Drop() => _client?.Shutdown(SocketShutdown.Both);

    public void Dispose()
    {
        _listener.Dispose();
        _client?.Dispose();
        _thread.Join(TimeSpan.FromSeconds(10));
    }

    private void Serve()
    {
        try
        {
            _client = _listener.Accept();
        }
        catch (SocketException)
        {
            return;
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        var handshake = new NbdServerHandshake(_client, name => name == "e" ? _export : null, () => [_export]);
        if (handshake.Run() is null)
        {
            return;
        }

        var header = new byte[NbdLimits.RequestHeaderSize];
        while (NbdWire.ReceiveExactly(_client, header) && NbdRequestHeader.TryRead(header, out var request))
        {
            if (request.Command == NbdCommand.Write && !NbdWire.Skip(_client, request.Length, new byte[65536]))
            {
                return;
            }

            if (!_script(_client, request))
            {
                _client.Shutdown(SocketShutdown.Both);
                return;
            }
        }
    }
}
