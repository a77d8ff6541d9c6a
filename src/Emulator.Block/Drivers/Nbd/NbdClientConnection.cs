using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Emulator.Block.Backend;
using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>
/// One negotiated connection in the transmission phase. Any thread sends a request (header and
/// payload under one send lock); a dedicated receive thread reads replies, matches them to requests
/// by cookie, reads read data straight into the caller's buffer and completes the request. Anything
/// the server sends that breaks the protocol (wrong magic, unknown cookie, a chunk too large or
/// malformed, a truncated stream) ends the connection: every request in flight fails with
/// <see cref="BlockError.Io"/> and <see cref="Closed"/> reports why, once.
/// </summary>
internal sealed class NbdClientConnection : IDisposable
{
    /// <summary>Largest block status payload accepted (we ask for one extent; a server may send more).</summary>
    private const int MaxStatusPayload = 1 << 20;
    private const int MaxErrorMessage = 4096;

    /// <summary>Finished requests held back while more replies are already buffered (see <see cref="CompleteReady"/>).</summary>
    private const int MaxReady = 64;

    /// <summary>Write payloads up to this size go out in one <c>send</c> with their header (copied behind it).</summary>
    private const int InlinePayload = 64 * 1024;

    private const int CorkCapacity = 256 * 1024;

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
    private readonly Lock _gate = new();
    private readonly Lock _sendLock = new();
    private readonly Thread _receiver;
    private readonly NbdReceiveBuffer _rx;
    /// <summary>Requests being sent; while plugged, requests not yet sent (<see cref="_corked"/> bytes).</summary>
    private readonly byte[] _sendBuffer = new byte[CorkCapacity];
    private int _corked;
    private int _plugs;
    private int _plugThread;

    /// <summary>Held by the thread reading replies: the receive thread, or a waiter polling (<see cref="BeginPoll"/>).</summary>
    private readonly Lock _readLock = new();
    private readonly ManualResetEventSlim _stopping = new(false);
    private int _helpersInside;
    private long _helperSeen;
    private int _inFlightCount;

    /// <summary>Why a polling waiter ended the connection (the receive thread reports it).</summary>
    private string? _failure;
    private readonly Stack<NbdPendingRequest> _free = new();
    private readonly Action<NbdPendingRequest> _release;
    private NbdPendingRequest?[] _inFlight = new NbdPendingRequest?[16];
    private NbdPendingRequest[] _all = [];
    private readonly NbdPendingRequest[] _ready = new NbdPendingRequest[MaxReady];
    private int _readyCount;
    private bool _dead;

    public NbdClientConnection(Socket socket, NbdExportInfo info, string server)
    {
        _socket = socket;
        _fd = (int)socket.Handle;
        Info = info;
        Server = server;
        _release = Release;
        _rx = new NbdReceiveBuffer(socket) { BeforeWait = BeforeBlockingRead };
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

    public bool IsDead
    {
        get
        {
            lock (_gate)
            {
                return _dead;
            }
        }
    }

    /// <summary>Starts a request; the result completes when its reply has arrived or the connection ended.</summary>
    public ValueTask<BlockError> Send(NbdCommand command, NbdCommandFlags flags, long offset, long length, ReadOnlySpan<byte> payload, Memory<byte> readBuffer, out NbdPendingRequest? pending, bool keep = false)
    {
        pending = null;
        NbdPendingRequest request;
        lock (_gate)
        {
            if (_dead)
            {
                return new(BlockError.Io);
            }

            request = _free.Count > 0 ? _free.Pop() : NewSlot();
            request.Start(command, offset, length, readBuffer, keep);
            _inFlight[request.Slot] = request;
            _inFlightCount++;
        }

        pending = request;
        var task = request.Task;
        lock (_sendLock)
        {
            const int headerSize = NbdLimits.RequestHeaderSize;

            // A payload that fits goes behind its header (one system call per request); while the sending
            // thread has plugged the connection, requests collect here and go out together at Unplug.
            var inline = payload.Length <= InlinePayload;
            var size = headerSize + (inline ? payload.Length : 0);
            var corking = _plugs > 0 && _plugThread == Environment.CurrentManagedThreadId && inline;
            var sent = _corked + size <= _sendBuffer.Length || FlushCorked();
            new NbdRequestHeader(flags, command, request.Cookie, (ulong)offset, (uint)length).Write(_sendBuffer.AsSpan(_corked));
            if (inline)
            {
                payload.CopyTo(_sendBuffer.AsSpan(_corked + headerSize));
            }

            _corked += size;
            if (!corking)
            {
                sent &= FlushCorked() && (inline || NbdWire.SendAll(_socket, payload));
            }

            if (!sent)
            {
                // The reading thread sees the shutdown and fails every request in flight, this one included.
                Shutdown();
            }
        }

        return task;
    }

    /// <summary>
    /// Holds the requests this thread sends until <see cref="Unplug"/> and sends them in one system call (QEMU's
    /// <c>blk_io_plug</c>): a batch of completions that each submit the next request then reaches the server as
    /// one burst, which it reads at one wake-up and answers with one burst. Requests from other threads are not
    /// held. Should the plugging thread block before unplugging, the receive thread sends them before it sleeps.
    /// </summary>
    public void Plug()
    {
        lock (_sendLock)
        {
            var me = Environment.CurrentManagedThreadId;
            if (_plugs == 0)
            {
                // Only while a waiter polls: the receive thread is then parked and sends held requests at
                // each look (a plugging thread that blocks is not stuck). Otherwise it may sit in recv.
                if (!HelperNearby())
                {
                    return;
                }

                _plugThread = me;
            }

            if (_plugThread == me)
            {
                _plugs++;
            }
        }
    }

    /// <summary>Ends a <see cref="Plug"/>; the last one sends what was held.</summary>
    public void Unplug()
    {
        lock (_sendLock)
        {
            if (_plugs > 0 && _plugThread == Environment.CurrentManagedThreadId && --_plugs == 0 && !FlushCorked())
            {
                Shutdown();
            }
        }
    }

    /// <summary>Sends held requests now (any thread); the receive thread calls it before it sleeps.</summary>
    public void SendHeld()
    {
        lock (_sendLock)
        {
            if (_corked > 0 && !FlushCorked())
            {
                Shutdown();
            }
        }
    }

    /// <summary>Sends the bytes collected in the send buffer. Under the send lock.</summary>
    private bool FlushCorked()
    {
        var count = _corked;
        _corked = 0;
        return count == 0 || NbdWire.SendAll(_socket, _sendBuffer.AsSpan(0, count));
    }

    /// <summary>Returns a request kept with <c>keep</c> after its owner read the result fields.</summary>
    public void Release(NbdPendingRequest request)
    {
        lock (_gate)
        {
            _free.Push(request);
        }
    }

    /// <summary>Sends NBD_CMD_DISC (no reply) and closes.</summary>
    public void Disconnect()
    {
        lock (_sendLock)
        {
            FlushCorked();
            new NbdRequestHeader(NbdCommandFlags.None, NbdCommand.Disconnect, 0, 0, 0).Write(_sendBuffer);
            NbdWire.SendAll(_socket, _sendBuffer.AsSpan(0, NbdLimits.RequestHeaderSize));
        }

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

    private NbdPendingRequest NewSlot()
    {
        var slot = _all.Length;
        if (slot >= _inFlight.Length)
        {
            Array.Resize(ref _inFlight, _inFlight.Length * 2);
        }

        var request = new NbdPendingRequest(slot) { Release = _release };
        Array.Resize(ref _all, slot + 1);
        _all[slot] = request;
        return request;
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
            // Replies that arrived whole keep their results; only the rest fail.
            CompleteReady();
            List<NbdPendingRequest> failed = [];
            lock (_gate)
            {
                _dead = true;
                for (var i = 0; i < _inFlight.Length; i++)
                {
                    if (_inFlight[i] is { } request)
                    {
                        _inFlight[i] = null;
                        failed.Add(request);
                    }
                }

                _inFlightCount = 0;
            }

            Shutdown();
            foreach (var request in failed)
            {
                request.Complete(BlockError.Io);
            }
        }

        Closed?.Invoke(this, reason);
    }

    /// <summary>Before a read that may block: hand on the finished requests, and send any held ones (their replies may be what we wait for).</summary>
    private void BeforeBlockingRead()
    {
        CompleteReady();
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
                CompleteReady();
                if (HelperNearby() && !_stopping.IsSet)
                {
                    return null;
                }
            }

            if (ReadReply() is { } problem)
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
        if (Volatile.Read(ref _inFlightCount) == 0 || !_readLock.TryEnter())
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

        ReceiveAvailable(readable: false);
        return _fd;
    }

    /// <summary>Completes what arrived while the waiter slept (<paramref name="readable"/>: poll said so) and gives the role back.</summary>
    public void EndPoll(bool readable)
    {
        if (_failure is null)
        {
            ReceiveAvailable(readable);
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
    private void ReceiveAvailable(bool readable)
    {
        while (true)
        {
            if (_rx.Buffered == 0)
            {
                CompleteReady();
                if (!readable && Available() == 0)
                {
                    return;
                }

                // Readable with nothing to read is the end of the stream: the read below finds it.
                readable = false;
            }

            if (ReadReply() is { } problem)
            {
                CompleteReady();
                _failure ??= problem;
                Shutdown();
                return;
            }

            RepliesReadByWaiters++;
        }
    }

    private int Available()
    {
        try
        {
            return _socket.Available;
        }
        catch (SocketException)
        {
            return 0;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }

    /// <summary>Reads one whole reply (blocking until it is here) and matches it to its request; returns why the connection must end, or null.</summary>
    private string? ReadReply()
    {
        Span<byte> header = stackalloc byte[NbdLimits.StructuredReplyHeaderSize];
        if (!_rx.ReadExactly(header[..4]))
        {
            return "connection closed by the server";
        }

        var size = NbdReplyHeader.SizeFor(header);
        if (size == 0)
        {
            return $"bad reply magic 0x{BinaryPrimitives.ReadUInt32BigEndian(header):x8}";
        }

        if (!_rx.ReadExactly(header[4..size]))
        {
            return "connection closed in the middle of a reply header";
        }

        var reply = NbdReplyHeader.Read(header);
        NbdPendingRequest? request;
        lock (_gate)
        {
            var slot = (int)(uint)reply.Cookie;
            request = slot < _inFlight.Length && _inFlight[slot] is { } r && r.Cookie == reply.Cookie ? r : null;
        }

        if (request is null)
        {
            return $"reply for unknown cookie 0x{reply.Cookie:x16}";
        }

        var problem = reply.Structured ? ReadChunk(reply, request) : ReadSimple(reply, request);
        if (problem is not null || !reply.IsDone)
        {
            return problem;
        }

        if (request.Error == BlockError.None && request.Command == NbdCommand.Read && request.Received < request.Length)
        {
            return $"read reply at offset {request.Offset} ended after {request.Received} of {request.Length} bytes";
        }

        if (request.Error == BlockError.None && request.Command == NbdCommand.BlockStatus && !request.StatusSeen)
        {
            return "block status reply without an extent";
        }

        if (_readyCount == MaxReady)
        {
            CompleteReady();
        }

        _ready[_readyCount++] = request;
        return null;
    }

    /// <summary>
    /// Completes the requests whose replies have been read. Called when the receive buffer runs dry (before
    /// the thread blocks in <c>recv</c>) rather than once per reply: with many requests in flight one
    /// <c>recv</c> brings many replies, and the waiting machine thread is then woken once for all of them
    /// instead of once each.
    /// </summary>
    private void CompleteReady()
    {
        var count = _readyCount;
        if (count == 0)
        {
            return;
        }

        _readyCount = 0;
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _inFlight[_ready[i].Slot] = null;
            }

            _inFlightCount -= count;
        }

        for (var i = 0; i < count; i++)
        {
            var request = _ready[i];
            _ready[i] = null!;
            request.Complete(request.Error);
        }
    }

    private string? ReadSimple(NbdReplyHeader reply, NbdPendingRequest request)
    {
        if (reply.Error != NbdErrno.None)
        {
            request.Error = NbdErrors.ToBlockError(reply.Error);
            return null;
        }

        if (request.Command == NbdCommand.BlockStatus)
        {
            return "simple reply to a block status request";
        }

        if (request.Command == NbdCommand.Read)
        {
            if (!_rx.ReadExactly(request.ReadBuffer.Span))
            {
                return "connection closed in the middle of read data";
            }

            request.Received = request.Length;
        }

        return null;
    }

    private string? ReadChunk(NbdReplyHeader reply, NbdPendingRequest request)
    {
        var length = reply.Length;
        if (reply.IsError)
        {
            return ReadErrorChunk(reply, request);
        }

        switch (reply.Type)
        {
            case NbdReplyType.None:
                return length != 0 ? "NBD_REPLY_TYPE_NONE chunk with a payload" : !reply.IsDone ? "NBD_REPLY_TYPE_NONE chunk without the done flag" : null;
            case NbdReplyType.OffsetData when request.Command == NbdCommand.Read:
                return ReadData(request, length);
            case NbdReplyType.OffsetHole when request.Command == NbdCommand.Read:
                return ReadHole(request, length);
            case NbdReplyType.BlockStatus when request.Command == NbdCommand.BlockStatus:
                return ReadStatus(request, length);
            default:
                return $"unexpected chunk type {(ushort)reply.Type} for {request.Command}";
        }
    }

    private string? ReadData(NbdPendingRequest request, uint length)
    {
        if (length <= 8 || length - 8 > request.Length)
        {
            return $"data chunk of {length} bytes for a read of {request.Length}";
        }

        Span<byte> offsetBytes = stackalloc byte[8];
        if (!_rx.ReadExactly(offsetBytes))
        {
            return "connection closed in the middle of a data chunk";
        }

        var relative = (long)BinaryPrimitives.ReadUInt64BigEndian(offsetBytes) - request.Offset;
        var count = length - 8;
        if (relative < 0 || relative > request.Length - count)
        {
            return "data chunk outside the requested range";
        }

        if (!_rx.ReadExactly(request.ReadBuffer.Span.Slice((int)relative, (int)count)))
        {
            return "connection closed in the middle of a data chunk";
        }

        request.Received += count;
        return null;
    }

    private string? ReadHole(NbdPendingRequest request, uint length)
    {
        Span<byte> body = stackalloc byte[12];
        if (length != body.Length)
        {
            return $"hole chunk of {length} bytes (12 expected)";
        }

        if (!_rx.ReadExactly(body))
        {
            return "connection closed in the middle of a hole chunk";
        }

        var relative = (long)BinaryPrimitives.ReadUInt64BigEndian(body) - request.Offset;
        var count = BinaryPrimitives.ReadUInt32BigEndian(body[8..]);
        if (count == 0 || relative < 0 || relative > request.Length - count)
        {
            return "hole chunk outside the requested range";
        }

        request.ReadBuffer.Span.Slice((int)relative, (int)count).Clear();
        request.Received += count;
        return null;
    }

    private string? ReadStatus(NbdPendingRequest request, uint length)
    {
        if (length < 12 || length > MaxStatusPayload || (length - 4) % 8 != 0)
        {
            return $"block status chunk of {length} bytes";
        }

        Span<byte> first = stackalloc byte[12];
        if (!_rx.ReadExactly(first) || !_rx.Skip(length - 12))
        {
            return "connection closed in the middle of a block status chunk";
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(first) != Info.AllocationContext)
        {
            return "block status for a metadata context that was not negotiated";
        }

        var extent = BinaryPrimitives.ReadUInt32BigEndian(first[4..]);
        if (extent == 0 || request.StatusSeen)
        {
            return extent == 0 ? "block status extent of length 0" : "more than one block status chunk";
        }

        request.StatusSeen = true;
        request.StatusLength = Math.Min(extent, request.Length);
        request.StatusFlags = (NbdAllocationFlags)BinaryPrimitives.ReadUInt32BigEndian(first[8..]);
        return null;
    }

    private string? ReadErrorChunk(NbdReplyHeader reply, NbdPendingRequest request)
    {
        var length = reply.Length;
        var extra = reply.Type == NbdReplyType.ErrorOffset ? 8u : 0u;
        if (length < 6 + extra || length > 6 + extra + MaxErrorMessage)
        {
            return $"error chunk of {length} bytes";
        }

        Span<byte> head = stackalloc byte[6];
        if (!_rx.ReadExactly(head) || !_rx.Skip(length - 6))
        {
            return "connection closed in the middle of an error chunk";
        }

        var errno = (NbdErrno)BinaryPrimitives.ReadUInt32BigEndian(head);
        if (BinaryPrimitives.ReadUInt16BigEndian(head[4..]) != length - 6 - extra || errno == NbdErrno.None)
        {
            return "malformed error chunk";
        }

        // The first error wins; later chunks of the same reply may still carry data or more errors.
        if (request.Error == BlockError.None)
        {
            request.Error = NbdErrors.ToBlockError(errno);
        }

        return null;
    }
}
