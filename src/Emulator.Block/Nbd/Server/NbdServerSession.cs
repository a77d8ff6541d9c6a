using System.Buffers.Binary;
using System.Net.Sockets;
using Emulator.Block.Backend;
using Emulator.Block.Graph;
using Emulator.Block.Memory;

namespace Emulator.Block.Nbd.Server;

/// <summary>
/// One client of the server: the handshake, then the transmission phase. A dedicated thread reads and
/// checks each request before anything runs (magic, command, flags, range, length), reads a write's
/// payload into a pooled buffer, and starts the operation on the export's node; replies go out under
/// one send lock as operations finish, so several requests are in flight (at most
/// <see cref="NbdServerOptions.MaxRequestsPerClient"/>: past that the thread stops reading). A bad
/// request is answered with the protocol's error (EINVAL, ENOSPC past the end for writes, EPERM on a
/// read-only export, EOVERFLOW for a read too large for one structured chunk) and the connection stays
/// usable; a wrong magic, a payload too large to skip or a closed stream end it.
/// </summary>
internal sealed class NbdServerSession
{
    private const int PooledLimit = 16 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly NbdServer _server;
    private readonly Lock _sendLock = new();
    private readonly SemaphoreSlim _slots;
    private readonly int _maxRequests;
    private const int CoalesceLimit = 64 * 1024;

    /// <summary>Replies the reading thread batches before it next waits for the client (see <see cref="FlushCork"/>).</summary>
    private const int CorkCapacity = 256 * 1024;

    private readonly byte[] _replyHeader = new byte[NbdLimits.StructuredReplyHeaderSize + 8];
    private readonly byte[] _sendBuffer = new byte[CoalesceLimit + NbdLimits.StructuredReplyHeaderSize + 8];
    private readonly byte[] _cork = new byte[CorkCapacity];
    private int _corked;
    private int _readerThread;
    private NbdExport? _export;
    private bool _structured;
    private bool _allocation;

    public NbdServerSession(Socket socket, NbdServer server, int maxRequests)
    {
        _socket = socket;
        _server = server;
        _maxRequests = maxRequests;
        _slots = new SemaphoreSlim(maxRequests, maxRequests);
    }

    /// <summary>The export the client chose (null during the handshake).</summary>
    public NbdExport? Export => Volatile.Read(ref _export);

    public void Close()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    public void Run(TimeSpan handshakeLimit)
    {
        try
        {
            _socket.ReceiveTimeout = (int)handshakeLimit.TotalMilliseconds;
            var handshake = new NbdServerHandshake(_socket, _server.FindExport, () => _server.Exports);
            _export = handshake.Run();
            _socket.ReceiveTimeout = 0;
            if (_export is null)
            {
                return;
            }

            _structured = handshake.Structured;
            _allocation = handshake.AllocationContext;
            Serve(_export);
        }
        finally
        {
            // Every operation started has replied (or failed to) before the socket goes.
            for (var i = 0; i < _maxRequests; i++)
            {
                _slots.Wait();
            }

            _socket.Dispose();
            _slots.Dispose();
        }
    }

    private void Serve(NbdExport export)
    {
        _readerThread = Environment.CurrentManagedThreadId;
        var rx = new NbdReceiveBuffer(_socket) { BeforeWait = FlushCork };
        try
        {
            ServeRequests(export, rx);
        }
        finally
        {
            FlushCork();
        }
    }

    private void ServeRequests(NbdExport export, NbdReceiveBuffer rx)
    {
        Span<byte> header = stackalloc byte[NbdLimits.RequestHeaderSize];
        while (rx.ReadExactly(header))
        {
            if (!NbdRequestHeader.TryRead(header, out var request))
            {
                return;
            }

            if (request.Command == NbdCommand.Disconnect)
            {
                return;
            }

            var error = Check(export, request);
            var payload = request.Command == NbdCommand.Write ? request.Length : 0u;
            if (payload > NbdLimits.MaxPayload)
            {
                // The payload cannot be skipped safely: say why, then end the connection (as QEMU does).
                SendError(request.Cookie, NbdErrno.Invalid);
                return;
            }

            if (error != NbdErrno.None)
            {
                if (!rx.Skip(payload))
                {
                    return;
                }

                SendError(request.Cookie, error);
                continue;
            }

            if (!_slots.Wait(0))
            {
                // Going to wait for a request to finish: what is batched must reach the client first.
                FlushCork();
                _slots.Wait();
            }

            var buffer = request.Command is NbdCommand.Read or NbdCommand.Write && request.Length > 0 ? Rent((int)request.Length) : null;
            if (payload > 0 && !rx.ReadExactly(buffer!.Span[..(int)payload]))
            {
                Return(buffer);
                _slots.Release();
                return;
            }

            _ = Execute(export.Node, request, buffer);
        }
    }

    /// <summary>Validates a request before it runs (QEMU's nbd_co_receive_request order).</summary>
    private NbdErrno Check(NbdExport export, NbdRequestHeader request)
    {
        var allowed = request.Command switch
        {
            NbdCommand.Read => NbdCommandFlags.DontFragment,
            NbdCommand.Write or NbdCommand.Trim => NbdCommandFlags.Fua,
            NbdCommand.WriteZeroes => NbdCommandFlags.Fua | NbdCommandFlags.NoHole | NbdCommandFlags.FastZero,
            NbdCommand.BlockStatus => NbdCommandFlags.ReqOne,
            NbdCommand.Flush => NbdCommandFlags.None,

            // QEMU accepts FUA on every command; on a prefetch it means nothing.
            NbdCommand.Cache => NbdCommandFlags.Fua,
            _ => (NbdCommandFlags?)null,
        };
        if (allowed is not { } mask || (request.Flags & ~mask) != 0)
        {
            return NbdErrno.Invalid;
        }

        var writes = request.Command is NbdCommand.Write or NbdCommand.WriteZeroes or NbdCommand.Trim;
        if (request.Command is NbdCommand.Read or NbdCommand.Cache && request.Length > NbdLimits.MaxPayload)
        {
            return NbdErrno.Invalid;
        }

        if (request.Command == NbdCommand.Flush && (request.Offset != 0 || request.Length != 0))
        {
            return NbdErrno.Invalid;
        }

        if (request.Command == NbdCommand.BlockStatus && !_allocation)
        {
            return NbdErrno.Invalid;
        }

        var size = (ulong)export.Node.Length;
        if (request.Command != NbdCommand.Flush && (request.Offset > size || request.Length > size - request.Offset))
        {
            return request.Command is NbdCommand.Write or NbdCommand.WriteZeroes ? NbdErrno.NoSpace : NbdErrno.Invalid;
        }

        return writes && !export.Writable ? NbdErrno.Perm : NbdErrno.None;
    }

    private async Task Execute(BlockDriverState node, NbdRequestHeader request, AlignedBuffer? buffer)
    {
        try
        {
            var offset = (long)request.Offset;
            var length = (int)request.Length;
            var fua = (request.Flags & NbdCommandFlags.Fua) != 0 ? BlockRequestFlags.Fua : BlockRequestFlags.None;
            switch (request.Command)
            {
                case NbdCommand.Read:
                    var read = length == 0 ? BlockError.None : await node.ReadAsync(offset, buffer!.Memory[..length]).ConfigureAwait(false);
                    SendRead(request, read, length == 0 ? [] : buffer!.Span[..length]);
                    break;
                case NbdCommand.Write:
                    SendDone(request.Cookie, length == 0 ? BlockError.None : await node.WriteAsync(offset, buffer!.Memory[..length], fua).ConfigureAwait(false));
                    break;
                case NbdCommand.Flush:
                    SendDone(request.Cookie, await node.FlushAsync().ConfigureAwait(false));
                    break;
                case NbdCommand.Trim:
                    var trimmed = await node.DiscardAsync(offset, length).ConfigureAwait(false);
                    SendDone(request.Cookie, trimmed == BlockError.None && fua != 0 ? await node.FlushAsync().ConfigureAwait(false) : trimmed);
                    break;
                case NbdCommand.WriteZeroes:
                    // FAST_ZERO: the node fails with Unsupported (NBD_ENOTSUP) rather than write zero buffers.
                    var unmap = (request.Flags & NbdCommandFlags.NoHole) != 0 ? BlockRequestFlags.None : BlockRequestFlags.MayUnmap;
                    var fast = (request.Flags & NbdCommandFlags.FastZero) != 0 ? BlockRequestFlags.NoFallback : BlockRequestFlags.None;
                    SendDone(request.Cookie, await node.WriteZeroesAsync(offset, length, fua | unmap | fast).ConfigureAwait(false));
                    break;
                case NbdCommand.Cache:
                    SendDone(request.Cookie, await PrefetchAsync(node, offset, length).ConfigureAwait(false));
                    break;
                case NbdCommand.BlockStatus:
                {
                    var error = StatusOf(node, offset, length, out var status);
                    SendStatus(request, error, status);
                    break;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                Return(buffer);
            }

            _slots.Release();
        }
    }

    /// <summary>
    /// NBD_CMD_CACHE: reads the range through the node and drops the data, so the host's page cache and the
    /// format's metadata caches hold it when the client reads. QEMU 7.2 instead copies ranges its top node
    /// does not allocate up from the backing chain (copy-on-read) and skips allocated ones; either way the
    /// client sees only the reply, and a read error is the command's error.
    /// </summary>
    private static async ValueTask<BlockError> PrefetchAsync(BlockDriverState node, long offset, int length)
    {
        const int Chunk = 1024 * 1024;
        if (length == 0)
        {
            return BlockError.None;
        }

        var scratch = AlignedBufferPool.Shared.Rent(Math.Min(length, Chunk));
        try
        {
            for (var done = 0; done < length;)
            {
                var take = Math.Min(Chunk, length - done);
                var error = await node.ReadAsync(offset + done, scratch.Memory[..take]).ConfigureAwait(false);
                if (error != BlockError.None)
                {
                    return error;
                }

                done += take;
            }

            return BlockError.None;
        }
        finally
        {
            AlignedBufferPool.Shared.Return(scratch);
        }
    }

    private void SendRead(NbdRequestHeader request, BlockError error, ReadOnlySpan<byte> data)
    {
        if (error != BlockError.None || data.Length == 0)
        {
            SendDone(request.Cookie, error);
            return;
        }

        lock (_sendLock)
        {
            if (_structured)
            {
                NbdReplyHeader.WriteStructured(_replyHeader, NbdReplyFlags.Done, NbdReplyType.OffsetData, request.Cookie, (uint)data.Length + 8);
                BinaryPrimitives.WriteUInt64BigEndian(_replyHeader.AsSpan(NbdLimits.StructuredReplyHeaderSize), request.Offset);
                Send(_replyHeader, data);
            }
            else
            {
                NbdReplyHeader.WriteSimple(_replyHeader, NbdErrno.None, request.Cookie);
                Send(_replyHeader.AsSpan(0, NbdLimits.SimpleReplyHeaderSize), data);
            }
        }
    }

    /// <summary>
    /// The export's view of [offset, +length) through its backing chain, extended over following ranges
    /// that read the same way (data, hole, zero) so a client walking a large image asks few times.
    /// </summary>
    private static BlockError StatusOf(BlockDriverState node, long offset, long length, out BlockStatus status)
    {
        const int MaxMergedExtents = 1024;
        const BlockStatusFlags Kind = BlockStatusFlags.Data | BlockStatusFlags.Zero;
        if (length == 0)
        {
            status = new BlockStatus(BlockStatusFlags.Data | BlockStatusFlags.Allocated, 0, 0, string.Empty);
            return BlockError.None;
        }

        var error = BlockStatusQuery.Resolve(node, offset, length, out status, out _);
        var covered = status.Length;
        for (var i = 0; error == BlockError.None && covered < length && i < MaxMergedExtents; i++)
        {
            if (BlockStatusQuery.Resolve(node, offset + covered, length - covered, out var next, out _) != BlockError.None
                || (next.Flags & Kind) != (status.Flags & Kind) || next.Length <= 0)
            {
                break;
            }

            covered += next.Length;
        }

        status = status with { Length = covered };
        return error;
    }

    private void SendStatus(NbdRequestHeader request, BlockError error, BlockStatus status)
    {
        if (error != BlockError.None)
        {
            SendDone(request.Cookie, error);
            return;
        }

        Span<byte> body = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(body, NbdServerHandshake.AllocationContextId);
        BinaryPrimitives.WriteUInt32BigEndian(body[4..], (uint)Math.Clamp(status.Length, 1, request.Length));
        var flags = ((status.Flags & BlockStatusFlags.Data) != 0 ? NbdAllocationFlags.Data : NbdAllocationFlags.Hole)
            | ((status.Flags & BlockStatusFlags.Zero) != 0 ? NbdAllocationFlags.Zero : NbdAllocationFlags.Data);
        BinaryPrimitives.WriteUInt32BigEndian(body[8..], (uint)flags);
        lock (_sendLock)
        {
            NbdReplyHeader.WriteStructured(_replyHeader, NbdReplyFlags.Done, NbdReplyType.BlockStatus, request.Cookie, (uint)body.Length);
            Send(_replyHeader.AsSpan(0, NbdLimits.StructuredReplyHeaderSize), body);
        }
    }

    private void SendDone(ulong cookie, BlockError error)
    {
        if (error != BlockError.None)
        {
            SendError(cookie, NbdErrors.FromBlockError(error));
            return;
        }

        lock (_sendLock)
        {
            if (_structured)
            {
                NbdReplyHeader.WriteStructured(_replyHeader, NbdReplyFlags.Done, NbdReplyType.None, cookie, 0);
                Send(_replyHeader.AsSpan(0, NbdLimits.StructuredReplyHeaderSize), []);
            }
            else
            {
                NbdReplyHeader.WriteSimple(_replyHeader, NbdErrno.None, cookie);
                Send(_replyHeader.AsSpan(0, NbdLimits.SimpleReplyHeaderSize), []);
            }
        }
    }

    private void SendError(ulong cookie, NbdErrno error)
    {
        lock (_sendLock)
        {
            if (_structured)
            {
                // Error chunk: errno, an empty message.
                Span<byte> body = stackalloc byte[6];
                BinaryPrimitives.WriteUInt32BigEndian(body, (uint)error);
                BinaryPrimitives.WriteUInt16BigEndian(body[4..], 0);
                NbdReplyHeader.WriteStructured(_replyHeader, NbdReplyFlags.Done, NbdReplyType.Error, cookie, (uint)body.Length);
                Send(_replyHeader.AsSpan(0, NbdLimits.StructuredReplyHeaderSize), body);
            }
            else
            {
                NbdReplyHeader.WriteSimple(_replyHeader, error, cookie);
                Send(_replyHeader.AsSpan(0, NbdLimits.SimpleReplyHeaderSize), []);
            }
        }
    }

    /// <summary>
    /// Sends the replies the reading thread batched. It runs each request that completes at once (a read
    /// from a file) itself and its reply goes into the cork; the cork goes out in one <c>send</c> just
    /// before the thread waits for more requests (or for a request slot), so a client that sent sixteen
    /// requests in one burst gets sixteen replies in one burst and wakes once for them, not sixteen times.
    /// </summary>
    private void FlushCork()
    {
        lock (_sendLock)
        {
            if (_corked > 0)
            {
                FlushCorkLocked();
            }
        }
    }

    /// <summary>Sends a reply (under the send lock); header and a small payload go in one system call.</summary>
    private void Send(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        var size = header.Length + data.Length;
        if (Environment.CurrentManagedThreadId == _readerThread && size <= CorkCapacity)
        {
            if (_corked + size > CorkCapacity && !FlushCorkLocked())
            {
                return;
            }

            header.CopyTo(_cork.AsSpan(_corked));
            data.CopyTo(_cork.AsSpan(_corked + header.Length));
            _corked += size;
            return;
        }

        if (_corked > 0 && !FlushCorkLocked())
        {
            return;
        }

        bool sent;
        if (data.Length <= CoalesceLimit)
        {
            header.CopyTo(_sendBuffer);
            data.CopyTo(_sendBuffer.AsSpan(header.Length));
            sent = NbdWire.SendAll(_socket, _sendBuffer.AsSpan(0, header.Length + data.Length));
        }
        else
        {
            sent = NbdWire.SendAll(_socket, header) && NbdWire.SendAll(_socket, data);
        }

        if (!sent)
        {
            // The client is gone: the reading thread sees the shutdown and ends the session.
            Close();
        }
    }

    /// <summary>Sends the cork (the caller holds the send lock); false, with the session closing, when the client is gone.</summary>
    private bool FlushCorkLocked()
    {
        var sent = NbdWire.SendAll(_socket, _cork.AsSpan(0, _corked));
        _corked = 0;
        if (!sent)
        {
            Close();
        }

        return sent;
    }

    private static AlignedBuffer Rent(int length) =>
        length <= PooledLimit ? AlignedBufferPool.Shared.Rent(length) : new AlignedBuffer(length);

    private static void Return(AlignedBuffer buffer)
    {
        if (buffer.Length <= PooledLimit)
        {
            AlignedBufferPool.Shared.Return(buffer);
        }
        else
        {
            ((IDisposable)buffer).Dispose();
        }
    }
}
