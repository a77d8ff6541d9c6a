using System.Net;
using System.Net.Sockets;

namespace Emulator.Block.Nbd.Server;

/// <summary>
/// An NBD server (the protocol side of qemu-nbd and QEMU's nbd-server): listens on a TCP or Unix
/// socket, runs the handshake and transmission phase for each client on its own thread, and serves
/// the exports added to it. Clients past <see cref="NbdServerOptions.MaxClients"/> are closed on
/// accept; without <see cref="NbdServerOptions.Persistent"/> the server stops when its last client
/// leaves (<see cref="Finished"/> completes). Exports are nodes of a block graph; the caller keeps
/// them open while they are exported.
/// </summary>
public sealed class NbdServer : IDisposable
{
    /// <summary>How long a hard export removal waits for its disconnected clients' sessions to end.</summary>
    private const int SessionExitLimitMs = 30_000;
    private const int SessionExitPollMs = 10;

    private readonly Socket _listener;
    private readonly NbdServerOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, NbdExport> _exports = new(StringComparer.Ordinal);
    private readonly HashSet<NbdServerSession> _sessions = [];
    private readonly List<Thread> _threads = [];
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _acceptor;
    private readonly string? _unixPath;
    private bool _servedOne;
    private volatile bool _stopping;
    private bool _disposed;

    /// <summary>Binds <paramref name="endPoint"/> (TCP or Unix) and starts accepting clients on a background thread; add exports before clients ask for them.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound (in use, no permission).</exception>
    public NbdServer(EndPoint endPoint, NbdServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _listener = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint is not UnixDomainSocketEndPoint)
        {
            _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }

        _listener.Bind(endPoint);
        _listener.Listen(16);
        LocalEndPoint = _listener.LocalEndPoint!;
        _unixPath = endPoint is UnixDomainSocketEndPoint ? endPoint.ToString() : null;
        _acceptor = new Thread(AcceptLoop) { IsBackground = true, Name = "nbd-accept" };
        _acceptor.Start();
    }

    /// <summary>Where the server listens (with the port chosen when 0 was asked for).</summary>
    public EndPoint LocalEndPoint { get; }

    /// <summary>Completes when the server stops: disposed, or the last client left a non-persistent server.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Clients connected now. Any thread.</summary>
    public int ClientCount
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>A copy of the current exports. Any thread.</summary>
    public IEnumerable<NbdExport> Exports
    {
        get
        {
            lock (_gate)
            {
                return [.. _exports.Values];
            }
        }
    }

    /// <summary>Adds an export; a name already in use is refused.</summary>
    public void AddExport(NbdExport export)
    {
        ArgumentNullException.ThrowIfNull(export);
        lock (_gate)
        {
            if (!_exports.TryAdd(export.Name, export))
            {
                throw new InvalidOperationException($"Block export id '{export.Name}' is already in use");
            }
        }
    }

    /// <summary>
    /// Removes an export (QEMU's block-export-del). While a client uses it, a safe removal is refused
    /// (false); a hard one disconnects those clients and waits for their sessions to end, so the
    /// caller may let go of the exported node afterwards. True when the export is gone (or never was).
    /// </summary>
    public bool RemoveExport(string name, bool disconnectClients)
    {
        NbdServerSession[] users;
        lock (_gate)
        {
            if (!_exports.TryGetValue(name, out var export))
            {
                return true;
            }

            users = [.. _sessions.Where(session => session.Export == export)];
            if (users.Length > 0 && !disconnectClients)
            {
                return false;
            }

            _exports.Remove(name);
        }

        foreach (var session in users)
        {
            session.Close();
        }

        var deadline = Environment.TickCount64 + SessionExitLimitMs;
        while (Environment.TickCount64 < deadline)
        {
            lock (_gate)
            {
                if (!users.Any(_sessions.Contains))
                {
                    break;
                }
            }

            Thread.Sleep(SessionExitPollMs);
        }

        return true;
    }

    /// <summary>The export of this name, or null. Any thread.</summary>
    public NbdExport? FindExport(string name)
    {
        lock (_gate)
        {
            return _exports.GetValueOrDefault(name);
        }
    }

    /// <summary>Stops listening, disconnects every client and waits for their sessions to end.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stopping = true;
        var path = _unixPath;
        _listener.Dispose();
        _acceptor.Join();
        Thread[] threads;
        lock (_gate)
        {
            foreach (var session in _sessions)
            {
                session.Close();
            }

            threads = [.. _threads];
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        if (path is { Length: > 0 } && File.Exists(path))
        {
            File.Delete(path);
        }

        _finished.TrySetResult();
    }

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (SocketException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (client.AddressFamily != AddressFamily.Unix)
            {
                client.NoDelay = true;
            }

            lock (_gate)
            {
                if (_options.MaxClients > 0 && _sessions.Count >= _options.MaxClients)
                {
                    client.Dispose();
                    continue;
                }

                var session = new NbdServerSession(client, this, _options.MaxRequestsPerClient);
                _sessions.Add(session);
                _servedOne = true;
                var thread = new Thread(() => Serve(session)) { IsBackground = true, Name = "nbd-client" };
                _threads.RemoveAll(t => !t.IsAlive);
                _threads.Add(thread);
                thread.Start();
            }
        }
    }

    private void Serve(NbdServerSession session)
    {
        session.Run(_options.HandshakeLimit);
        bool last;
        lock (_gate)
        {
            _sessions.Remove(session);
            last = _sessions.Count == 0 && _servedOne;
        }

        if (last && !_options.Persistent && !_stopping)
        {
            // qemu-nbd without --persistent exits when its client leaves.
            _stopping = true;
            _listener.Dispose();
            _finished.TrySetResult();
        }
    }
}
