using System.Buffers.Binary;
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

    private readonly Socket _socket;
    private readonly Lock _gate = new();
    private readonly Lock _sendLock = new();
    private readonly Thread _receiver;
    private readonly NbdReceiveBuffer _rx;
    private readonly byte[] _sendHeader = new byte[NbdLimits.RequestHeaderSize];
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
        Info = info;
        Server = server;
        _release = Release;
        _rx = new NbdReceiveBuffer(socket) { BeforeWait = CompleteReady };
        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = $"nbd-recv {server}" };
        _receiver.Start();
    }

    public NbdExportInfo Info { get; }

    public string Server { get; }

    /// <summary>Raised once on the receive thread when the connection ends, with the reason (null when closed by us).</summary>
    public event Action<NbdClientConnection, string?>? Closed;

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
        }

        pending = request;
        var task = request.Task;
        lock (_sendLock)
        {
            new NbdRequestHeader(flags, command, request.Cookie, (ulong)offset, (uint)length).Write(_sendHeader);
            if (!NbdWire.SendAll(_socket, _sendHeader) || !NbdWire.SendAll(_socket, payload))
            {
                // The receive thread sees the shutdown and fails every request in flight, this one included.
                Shutdown();
            }
        }

        return task;
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
            new NbdRequestHeader(NbdCommandFlags.None, NbdCommand.Disconnect, 0, 0, 0).Write(_sendHeader);
            NbdWire.SendAll(_socket, _sendHeader);
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
        var reason = ReceiveReplies();

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
        }

        Shutdown();
        foreach (var request in failed)
        {
            request.Complete(BlockError.Io);
        }

        Closed?.Invoke(this, reason);
    }

    /// <summary>Reads replies until the connection ends; returns why (null for an orderly close by us).</summary>
    private string? ReceiveReplies()
    {
        Span<byte> header = stackalloc byte[NbdLimits.StructuredReplyHeaderSize];
        while (true)
        {
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
            if (problem is not null)
            {
                return problem;
            }

            if (!reply.IsDone)
            {
                continue;
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
        }
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
