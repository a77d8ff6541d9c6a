using System.Diagnostics;
using System.Net.Sockets;
using Emulator.Block.Backend;
using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>
/// One negotiated connection in the transmission phase. Any thread sends a request
/// (<see cref="NbdRequestSender"/>); replies are read (<see cref="NbdReplyReader"/>) by whichever thread
/// holds the reading role: a waiting thread that polls (<see cref="BeginPoll"/>), or else the connection's
/// receive thread. Anything the server sends that breaks the protocol (wrong magic, unknown cookie, a chunk
/// too large or malformed, a truncated stream) ends the connection: every request in flight fails with
/// <see cref="BlockError.Io"/> and <see cref="Closed"/> reports why, once.
/// </summary>
internal sealed class NbdClientConnection : IDisposable
{
    /// <summary>
    /// How long the receive thread leaves the socket to a waiting thread after that thread last polled
    /// (<see cref="BeginPoll"/>): long enough that a tool's wait loop, which polls again microseconds after it
    /// ran its completions, never wakes the receive thread; short enough that replies are read soon after
    /// the waiter stops polling (a synchronous caller blocked on a task).
    /// </summary>
    private static readonly long HelperGraceTicks = Stopwatch.Frequency / 200;

    private const int ParkMilliseconds = 5;

    private readonly Socket _socket;
    private readonly int _fd;
    private readonly Thread _receiver;
    private readonly NbdReceiveBuffer _rx;
    private readonly NbdRequestTable _requests = new();
    private readonly NbdReplyReader _replies;
    private readonly NbdRequestSender _sender;

    /// <summary>Held by the thread reading replies: the receive thread, or a waiter polling (<see cref="BeginPoll"/>).</summary>
    private readonly Lock _readLock = new();

    /// <summary>
    /// Set when the connection ends; the receive thread also parks on it. No spinning before it blocks: the
    /// park comes every <see cref="ParkMilliseconds"/> while a waiter polls, and spinning there (the default
    /// of 35 rounds with yields) took CPU from the waiter and the server on a busy host.
    /// </summary>
    private readonly ManualResetEventSlim _stopping = new(false, spinCount: 0);
    private int _helpersInside;
    private long _helperSeen;

    /// <summary>Why a polling waiter ended the connection (the receive thread reports it).</summary>
    private string? _failure;

    public NbdClientConnection(Socket socket, NbdExportInfo info, string server)
    {
        _socket = socket;
        _fd = (int)socket.Handle;
        Info = info;
        Server = server;
        _rx = new NbdReceiveBuffer(socket) { BeforeWait = BeforeBlockingRead };
        _replies = new NbdReplyReader(_rx, _requests, info.AllocationContext);
        _sender = new NbdRequestSender(socket) { Failed = Shutdown, CanPlug = HelperNearby };
        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = $"nbd-recv {server}" };
        _receiver.Start();
    }

    public NbdExportInfo Info { get; }

    public string Server { get; }

    /// <summary>Raised once on the receive thread when the connection ends, with the reason (null when closed by us).</summary>
    public event Action<NbdClientConnection, string?>? Closed;

    /// <summary>Raised on the receive thread when it has left the socket to waiters (see <see cref="BeginPoll"/>).</summary>
    public Action? Yielded { get; set; }

    /// <summary>Replies read by waiting threads rather than the receive thread (the poll path's share; for tests).</summary>
    public long RepliesReadByWaiters { get; private set; }

    public bool IsDead => _requests.IsDead;

    /// <summary>Starts a request; the result completes when its reply has arrived or the connection ended.</summary>
    public ValueTask<BlockError> Send(NbdCommand command, NbdCommandFlags flags, long offset, long length, ReadOnlySpan<byte> payload, Memory<byte> readBuffer, out NbdPendingRequest? pending, bool keep = false)
    {
        pending = _requests.Start(command, offset, length, readBuffer, keep);
        if (pending is null)
        {
            return new(BlockError.Io);
        }

        // Taken before sending: once sent, the reply may complete (and recycle) the request at any moment.
        var task = pending.Task;

        // On a failed send the reading thread sees the shutdown and fails every request in flight, this one included.
        _sender.Send(new NbdRequestHeader(flags, command, pending.Cookie, (ulong)offset, (uint)length), payload);
        return task;
    }

    /// <inheritdoc cref="NbdRequestSender.Plug"/>
    public void Plug() => _sender.Plug();

    /// <inheritdoc cref="NbdRequestSender.Unplug"/>
    public void Unplug() => _sender.Unplug();

    /// <inheritdoc cref="NbdRequestSender.SendHeld"/>
    public void SendHeld() => _sender.SendHeld();

    /// <summary>Returns a request kept with <c>keep</c> after its owner read the result fields.</summary>
    public void Release(NbdPendingRequest request) => _requests.Release(request);

    /// <summary>Sends NBD_CMD_DISC (no reply) and closes.</summary>
    public void Disconnect()
    {
        _sender.SendDisconnect();
        Dispose();
    }

    public void Dispose()
    {
        Shutdown();
        if (Thread.CurrentThread != _receiver)
        {
            _receiver.Join();
        }

        _socket.Dispose();
    }

    private void Shutdown()
    {
        _stopping.Set();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer: the receive thread ends either way.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    private void ReceiveLoop()
    {
        string? reason = null;
        while (reason is null)
        {
            if (!_stopping.IsSet && HelperNearby())
            {
                // A waiter reads the replies (BeginPoll): stay out of its way, look again later. Not holding
                // the role here matters: a thread blocked on the lock would be woken at every release.
                _stopping.Wait(ParkMilliseconds);
                SendHeld();
                continue;
            }

            lock (_readLock)
            {
                reason = _failure ?? ReceiveWhileAlone();
            }

            if (reason is null)
            {
                // A waiter that found the role taken sleeps until something is posted; let it take the role now.
                Yielded?.Invoke();
            }
        }

        lock (_readLock)
        {
            Shutdown();
            _requests.FailAll();
        }

        Closed?.Invoke(this, reason);
    }

    /// <summary>Before a read that may block: hand on the finished requests, and send any held ones (their replies may be what we wait for).</summary>
    private void BeforeBlockingRead()
    {
        _requests.CompleteReady();
        SendHeld();
    }

    /// <summary>True while a waiter polls this connection or did so within <see cref="HelperGraceTicks"/>.</summary>
    private bool HelperNearby() =>
        Volatile.Read(ref _helpersInside) > 0 || Stopwatch.GetTimestamp() - Volatile.Read(ref _helperSeen) < HelperGraceTicks;

    /// <summary>
    /// Reads replies, blocking for more, until the connection ends (returns why) or a waiter has started
    /// polling (returns null, with nothing half read: the check comes only between replies, with the buffer empty).
    /// </summary>
    private string? ReceiveWhileAlone()
    {
        while (true)
        {
            if (_rx.Buffered == 0)
            {
                _requests.CompleteReady();
                if (HelperNearby() && !_stopping.IsSet)
                {
                    return null;
                }
            }

            if (_replies.ReadReply() is { } problem)
            {
                return _failure ?? problem;
            }
        }
    }

    /// <summary>
    /// Called by a thread about to wait for completions (<see cref="BlockCompletionQueue.WaitForPending"/>):
    /// takes the reading role when the receive thread is not inside a read, completes the replies already
    /// here, and returns the socket's descriptor to poll; -1 when the role is taken, the connection is
    /// over or nothing is in flight. A role taken is given back by <see cref="EndPoll"/>.
    /// </summary>
    public int BeginPoll()
    {
        Interlocked.Increment(ref _helpersInside);
        if (_requests.InFlightCount == 0 || !_readLock.TryEnter())
        {
            LeaveHelper();
            return -1;
        }

        if (_failure is not null || IsDead)
        {
            _readLock.Exit();
            LeaveHelper();
            return -1;
        }

        ReceiveAvailable();
        return _fd;
    }

    /// <summary>Completes what arrived while the waiter slept and gives the role back (one non-blocking recv tells more than poll's <paramref name="readable"/>).</summary>
    public void EndPoll(bool readable)
    {
        if (_failure is null)
        {
            ReceiveAvailable();
        }

        _readLock.Exit();
        LeaveHelper();
    }

    private void LeaveHelper()
    {
        Volatile.Write(ref _helperSeen, Stopwatch.GetTimestamp());
        Interlocked.Decrement(ref _helpersInside);
    }

    /// <summary>
    /// Reads every reply that has arrived without waiting for more (a reply that arrived in part is read to
    /// its end). A protocol error shuts the connection; the receive thread reports it and fails the rest.
    /// </summary>
    private void ReceiveAvailable()
    {
        while (true)
        {
            // One non-blocking recv per look (it used to be FIONREAD, then a recv: two calls, 29 000 ioctls in
            // 50 000 writes). An end of stream or a failed recv counts as something there: the read below finds it.
            if (_rx.Buffered == 0)
            {
                _requests.CompleteReady();
                if (!_rx.FillAvailable())
                {
                    return;
                }
            }

            if (_replies.ReadReply() is { } problem)
            {
                _requests.CompleteReady();
                _failure ??= problem;
                Shutdown();
                return;
            }

            RepliesReadByWaiters++;
        }
    }
}
