using System.Net.Sockets;
using Emulator.Machine.Loop;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Qtest;

/// <summary>
/// The qtest endpoint: libqtest listens on a Unix socket and the emulator connects to it
/// (<c>-qtest unix:PATH</c>); listening is offered too for tools that connect themselves. Every
/// session writes to <paramref name="log"/> (<c>-qtest-log</c>) when there is one.
/// </summary>
public sealed class QtestServer(PcMachine machine, IMonitorExecutor executor, QtestLog? log = null) : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Socket> _sockets = [];
    private readonly Lock _lock = new();

    /// <summary>Connects to the harness listening at <paramref name="path"/> (<c>-qtest unix:PATH</c>) and serves it in the background.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">Nothing listens there.</exception>
    public void ConnectUnix(string path)
    {
        var socket = UnixSockets.Connect(path);
        Serve(socket);
    }

    /// <summary>Listens on a Unix socket at <paramref name="path"/> (replacing a stale socket file) and serves each client that connects, each on its own thread.</summary>
    public void ListenUnix(string path)
    {
        var listener = UnixSockets.Listen(path, 1);
        Track(listener);
        _ = AcceptLoop(listener);
    }

    /// <summary>Stops serving and closes every socket; the sessions end in the background.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        lock (_lock)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        _stopping.Dispose();
        log?.Dispose();
    }

    private async Task AcceptLoop(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            if (await ListenerAccept.NextAsync(listener, _stopping.Token).ConfigureAwait(false) is not { } client)
            {
                return;
            }

            Serve(client);
        }
    }

    private void Serve(Socket socket)
    {
        Track(socket);
        var stream = new NetworkStream(socket, ownsSocket: false);
        var session = new QtestSession(stream, machine, executor, log);
        new Thread(session.Run) { IsBackground = true, Name = "qtest" }.Start();
    }

    private void Track(Socket socket)
    {
        lock (_lock)
        {
            _sockets.Add(socket);
        }
    }
}
