using System.Net;
using System.Net.Sockets;

namespace Emulator.Monitor.Qmp;

/// <summary>
/// Serves QMP over a Unix socket (as server, or as client the way libqtest has the emulator connect),
/// TCP on loopback, or a pair of streams (stdio). Each connection is its own <see cref="QmpSession"/>
/// with its own negotiation state; all share one command table, executor and event bus.
/// </summary>
public sealed class QmpServer : IAsyncDisposable, IDisposable
{
    private readonly QmpCommandTable _commands;
    private readonly IMonitorExecutor _executor;
    private readonly MonitorEvents _events;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _tasks = [];
    private readonly List<Socket> _sockets = [];
    private readonly Lock _lock = new();
    private readonly QmpActivity _activity = new();
    private int _disposed;

    /// <summary>A server that answers with <paramref name="commands"/>, runs them through <paramref name="executor"/> and sends <paramref name="events"/> to negotiated sessions. It serves nothing until a Listen/Connect/Serve call.</summary>
    public QmpServer(QmpCommandTable commands, IMonitorExecutor executor, MonitorEvents events)
    {
        _commands = commands;
        _executor = executor;
        _events = events;
    }

    /// <summary>Listens on a Unix socket at <paramref name="path"/> (replacing a stale socket file) and serves every client.</summary>
    public void ListenUnix(string path)
    {
        var listener = UnixSockets.Listen(path, 8);
        Track(listener, AcceptLoop(listener));
    }

    /// <summary>Listens on TCP; only loopback addresses are accepted.</summary>
    public IPEndPoint ListenTcp(IPEndPoint endpoint)
    {
        if (!IPAddress.IsLoopback(endpoint.Address))
        {
            throw new ArgumentException($"QMP over TCP listens on loopback only, not {endpoint.Address}.", nameof(endpoint));
        }

        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(endpoint);
        listener.Listen(8);
        Track(listener, AcceptLoop(listener));
        return (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>Connects to a Unix socket someone else listens on (libqtest's <c>-chardev socket,path=…</c>) and serves it.</summary>
    public void ConnectUnix(string path)
    {
        var socket = UnixSockets.Connect(path);
        Track(socket, ServeSocket(socket));
    }

    /// <summary>
    /// Serves one client on a pair of streams (stdio). Shutting the server down does not wait for this
    /// session: a read from a terminal or pipe cannot be cancelled, and the emulator must leave after
    /// QMP quit even while the client keeps its end open (its replies are written before, as for sockets).
    /// </summary>
    public Task Serve(Stream input, Stream output) =>
        new QmpSession(input, output, _commands, _executor, _events, _activity).RunAsync(_stopping.Token);

    /// <summary>Same as <see cref="DisposeAsync"/>, blocking.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Lets replies in progress go out (up to 2 s), closes every socket and waits for the socket sessions to end. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Replies already being produced (quit's, typically) go out before the sockets close.
        _activity.WaitIdle(TimeSpan.FromSeconds(2));
        await _stopping.CancelAsync().ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        Task[] tasks;
        lock (_lock)
        {
            tasks = [.. _tasks];
        }

        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void Track(Socket socket, Task task)
    {
        lock (_lock)
        {
            _sockets.Add(socket);
            _tasks.Add(task);
        }
    }

    private async Task AcceptLoop(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            if (await ListenerAccept.NextAsync(listener, _stopping.Token).ConfigureAwait(false) is not { } client)
            {
                return;
            }

            Track(client, ServeSocket(client));
        }
    }

    private async Task ServeSocket(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        await new QmpSession(stream, stream, _commands, _executor, _events, _activity).RunAsync(_stopping.Token).ConfigureAwait(false);
    }
}
