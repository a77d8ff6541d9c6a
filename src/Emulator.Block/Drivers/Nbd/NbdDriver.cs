using System.Diagnostics;
using System.Net.Sockets;
using Emulator.Block.Backend;
using Emulator.Block.Graph;
using Emulator.Block.Memory;
using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>
/// The <c>nbd</c> protocol driver: a client of an NBD server (NetworkBlockDevice doc/proto.md) over
/// TCP or a Unix socket. Fixed newstyle handshake with NBD_OPT_GO (NBD_OPT_EXPORT_NAME as fallback),
/// structured replies and <c>base:allocation</c> block status when the server offers them; many
/// requests in flight on one connection, matched by cookie; FLUSH, TRIM, WRITE_ZEROES (NO_HOLE,
/// FAST_ZERO) and FUA as the export's flags allow; a read-only export refuses a writable open.
/// Requests longer than the server's maximum block size are split; reads not aligned to its minimum
/// block size are widened through a bounce buffer, and writes not aligned to it are read-modify-written
/// (one at a time while the export has a minimum block size).
/// <para>
/// When the connection drops (or the server breaks the protocol, which drops it on purpose) the
/// requests in flight fail with <see cref="BlockError.Io"/>, which the backend's error policy handles
/// (werror=stop parks them for a retry at resume). A background thread reconnects at once, then after
/// 1, 2, 4, 8 and 16 s (then every 16 s), as QEMU's connection thread does. New requests meanwhile
/// wait up to <see cref="NbdNodeOptions.ReconnectDelaySeconds"/> from the drop for a new connection
/// (QEMU's reconnect-delay; 0 = fail at once).
/// </para>
/// Limitations: no TLS; a server that stops answering without closing the connection leaves requests waiting
/// (QEMU has no request timeout either).
/// </summary>
internal sealed class NbdDriver : BlockDriver, IBlockCompletionPoller
{
    private static readonly int[] BackoffSeconds = [0, 1, 2, 4, 8, 16];

    private readonly NbdNodeOptions _options;
    private TaskCompletionSource _reconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private volatile NbdClientConnection? _connection;
    private long _droppedAt;
    private Thread? _reconnector;
    private volatile bool _closing;
    private readonly BlockCompletionQueue? _completions;

    /// <summary>The connection whose reading role a waiter holds (<see cref="BeginPoll"/>), or null.</summary>
    private NbdClientConnection? _polled;
    private int _polling;
    private readonly Action _wakeWaiter;

    /// <summary>The connection plugged by the thread running completions (<see cref="Plug"/>), or null.</summary>
    private NbdClientConnection? _plugged;

    internal NbdDriver(BlockDriverState node, NbdNodeOptions options, BlockCompletionQueue? completions = null)
        : base(node)
    {
        if (options.TlsCreds is not null)
        {
            throw new BlockOperationException("NBD: tls-creds is not supported by this NBD client (connect without TLS, or use a TLS-terminating proxy)");
        }

        if (options.ReconnectDelaySeconds < 0)
        {
            throw new BlockOperationException("reconnect-delay cannot be negative");
        }

        _options = options;
        _completions = completions;
        _wakeWaiter = WakeWaiter;
        Filename = options.Server.IsUnix
            ? $"nbd+unix:///{options.Export}?socket={options.Server.Path}"
            : $"nbd://{options.Server.Host}:{options.Server.Port}/{options.Export}";
        var connection = Connect() ?? throw new BlockOperationException(LastError!);
        Info = connection.Info;
        if (Info.Has(NbdTransmissionFlags.ReadOnly) && !node.ReadOnly)
        {
            connection.Disconnect();
            throw new BlockOperationException("Could not open '" + Filename + "': NBD export is read-only");
        }

        Install(connection);
        _completions?.RegisterPoller(this);
    }

    /// <summary>What the first handshake agreed (size, flags, block sizes).</summary>
    public NbdExportInfo Info { get; }

    public override string Filename { get; }

    public override long Length => Info.Size;

    public override long? AllocatedSize => null;

    /// <summary>
    /// Requests run on the caller's thread: sending never waits for a reply (only, briefly, for socket
    /// buffer space) and waiting for a reconnect is asynchronous, so there is no reason for a worker hop.
    /// </summary>
    public override bool IsNonBlocking => true;

    /// <summary>Why the last connection ended or the last attempt failed; null while all is well.</summary>
    public string? LastError { get; private set; }

    /// <summary>
    /// Why the last established connection ended; unlike <see cref="LastError"/> a successful reconnect
    /// does not clear it, so it still names the fault after the client has recovered.
    /// </summary>
    public string? LastConnectionLoss { get; private set; }

    /// <summary>Connections made so far (1 after open; more after reconnects).</summary>
    public int Connections { get; private set; }

    public bool IsConnected => _connection is { IsDead: false };

    /// <summary>Replies on the current connection that a waiting thread read itself (<see cref="BeginPoll"/>).</summary>
    internal long RepliesReadByWaiters => _connection?.RepliesReadByWaiters ?? 0;

    private void WakeWaiter() => _completions?.Wake();

    public override ValueTask<BlockError> ReadAsync(long offset, Memory<byte> buffer)
    {
        if (buffer.Length == 0)
        {
            return Done(BlockError.None);
        }

        if (!IsAligned(offset, buffer.Length) || buffer.Length > Info.MaximumBlock)
        {
            return ReadSlowAsync(offset, buffer);
        }

        return Live() is { } c
            ? c.Send(NbdCommand.Read, NbdCommandFlags.None, offset, buffer.Length, [], buffer, out _)
            : ReadAfterReconnectAsync(offset, buffer);
    }

    public override ValueTask<BlockError> WriteAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags)
    {
        if (Info.Has(NbdTransmissionFlags.ReadOnly))
        {
            return Done(BlockError.ReadOnly);
        }

        if (buffer.Length == 0)
        {
            return Done(BlockError.None);
        }

        // A server with a minimum block size takes whole blocks only: a write that is not aligned is
        // read-modify-written (QEMU's block layer does the same above its nbd driver). Writes to such a
        // server go one at a time so an aligned write cannot land between another's read and write.
        return Info.MinimumBlock > 1 ? WriteSerialisedAsync(offset, buffer, flags) : WriteAlignedAsync(offset, buffer, flags);
    }

    private ValueTask<BlockError> WriteAlignedAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags)
    {
        var fua = (flags & BlockRequestFlags.Fua) != 0;
        if (buffer.Length > Info.MaximumBlock || (fua && !Info.Has(NbdTransmissionFlags.SendFua)))
        {
            return WriteSlowAsync(offset, buffer, fua);
        }

        return Live() is { } c
            ? c.Send(NbdCommand.Write, fua ? NbdCommandFlags.Fua : NbdCommandFlags.None, offset, buffer.Length, buffer.Span, Memory<byte>.Empty, out _)
            : WriteAfterReconnectAsync(offset, buffer, flags);
    }

    public override ValueTask<BlockError> FlushAsync()
    {
        if (!Info.Has(NbdTransmissionFlags.SendFlush))
        {
            return Done(BlockError.None);
        }

        return Live() is { } c
            ? c.Send(NbdCommand.Flush, NbdCommandFlags.None, 0, 0, [], Memory<byte>.Empty, out _)
            : FlushAfterReconnectAsync();
    }

    public override ValueTask<BlockError> DiscardAsync(long offset, long length)
    {
        if (Info.Has(NbdTransmissionFlags.ReadOnly))
        {
            return Done(BlockError.ReadOnly);
        }

        // Discard is advisory: without NBD_FLAG_SEND_TRIM there is nothing to do.
        return Info.Has(NbdTransmissionFlags.SendTrim) && length > 0
            ? RangeAsync(NbdCommand.Trim, NbdCommandFlags.None, offset, length)
            : Done(BlockError.None);
    }

    public override ValueTask<BlockError> WriteZeroesAsync(long offset, long length, BlockRequestFlags flags)
    {
        if (Info.Has(NbdTransmissionFlags.ReadOnly))
        {
            return Done(BlockError.ReadOnly);
        }

        var fast = (flags & BlockRequestFlags.NoFallback) != 0;
        if (!Info.Has(NbdTransmissionFlags.SendWriteZeroes) || (fast && !Info.Has(NbdTransmissionFlags.SendFastZero)))
        {
            return fast ? Done(BlockError.Unsupported) : base.WriteZeroesAsync(offset, length, flags);
        }

        var wire = ((flags & BlockRequestFlags.MayUnmap) != 0 ? NbdCommandFlags.None : NbdCommandFlags.NoHole)
            | (fast ? NbdCommandFlags.FastZero : NbdCommandFlags.None)
            | ((flags & BlockRequestFlags.Fua) != 0 && Info.Has(NbdTransmissionFlags.SendFua) ? NbdCommandFlags.Fua : NbdCommandFlags.None);
        return length == 0 ? Done(BlockError.None) : RangeAsync(NbdCommand.WriteZeroes, wire, offset, length);
    }

    /// <summary>
    /// Block status from the server's base:allocation context. The block layer asks synchronously (img map,
    /// convert, an NBD export of this node), so this waits for the reply; the guest I/O path never asks.
    /// </summary>
    public override BlockError GetBlockStatus(long offset, long length, out BlockStatus status)
    {
        var (error, answer) = QueryStatusAsync(offset, length).AsTask().GetAwaiter().GetResult();
        status = answer;
        return error;
    }

    private async ValueTask<(BlockError Error, BlockStatus Status)> QueryStatusAsync(long offset, long length)
    {
        length = Math.Min(length, Length - offset);
        if (Info.AllocationContext is null || length <= 0)
        {
            return (BlockError.None, new BlockStatus(BlockStatusFlags.Data | BlockStatusFlags.Allocated | BlockStatusFlags.OffsetValid, Math.Max(0, length), offset, Filename));
        }

        var asked = Math.Min(length, AlignDown(uint.MaxValue));
        if (await ConnectionAsync().ConfigureAwait(false) is not { } c)
        {
            return (BlockError.Io, default);
        }

        var task = c.Send(NbdCommand.BlockStatus, NbdCommandFlags.ReqOne, offset, asked, [], Memory<byte>.Empty, out var pending, keep: true);
        var error = await task.ConfigureAwait(false);
        if (pending is null)
        {
            return (error, default);
        }

        var status = pending.StatusFlags;
        var extent = pending.StatusLength;
        c.Release(pending);
        if (error != BlockError.None)
        {
            return (error, default);
        }

        var result = ((status & NbdAllocationFlags.Hole) != 0 ? BlockStatusFlags.None : BlockStatusFlags.Data | BlockStatusFlags.Allocated)
            | ((status & NbdAllocationFlags.Zero) != 0 ? BlockStatusFlags.Zero : BlockStatusFlags.None);
        // As QEMU's nbd driver: the data lies at the same offset of the export.
        return (BlockError.None, new BlockStatus(result | BlockStatusFlags.OffsetValid, extent, offset, Filename));
    }

    /// <inheritdoc/>
    public int BeginPoll()
    {
        if (Interlocked.CompareExchange(ref _polling, 1, 0) != 0)
        {
            return -1;
        }

        var c = Live();
        var fd = c?.BeginPoll() ?? -1;
        if (fd >= 0)
        {
            _polled = c;
        }
        else
        {
            Volatile.Write(ref _polling, 0);
        }

        return fd;
    }

    /// <inheritdoc/>
    public void EndPoll(bool readable)
    {
        _polled!.EndPoll(readable);
        _polled = null;
        Volatile.Write(ref _polling, 0);
    }

    /// <inheritdoc/>
    public void Plug()
    {
        _plugged = Live();
        _plugged?.Plug();
    }

    /// <inheritdoc/>
    public void SendHeld() => _plugged?.SendHeld();

    /// <inheritdoc/>
    public void Unplug()
    {
        _plugged?.Unplug();
        _plugged = null;
    }

    public override void Close()
    {
        _completions?.UnregisterPoller(this);
        _closing = true;
        lock (_gate)
        {
            _reconnected.TrySetResult();
        }

        _reconnector?.Join();
        _connection?.Disconnect();
        _connection = null;
    }

    private bool IsAligned(long offset, int length) =>
        Info.MinimumBlock <= 1 || ((offset | (long)length) & (Info.MinimumBlock - 1)) == 0;

    private long AlignDown(long value) => Info.MinimumBlock <= 1 ? value : value & ~(long)(Info.MinimumBlock - 1);

    /// <summary>The end of the minimum block holding <paramref name="value"/> - 1, not past the export's end.</summary>
    private long AlignUpInExport(long value)
    {
        var min = Math.Max(1u, Info.MinimumBlock);
        return Math.Min(Length, (value + min - 1) / min * min);
    }

    /// <summary>The connection when it is up (the fast path: no waiting, no allocation).</summary>
    private NbdClientConnection? Live() => _connection is { IsDead: false } c && !_closing ? c : null;

    /// <summary>
    /// The live connection, waiting (asynchronously: the caller's thread is never held, which is what
    /// lets requests run inline) for a reconnect within reconnect-delay of a drop; null when there is none.
    /// </summary>
    private async ValueTask<NbdClientConnection?> ConnectionAsync()
    {
        if (Live() is { } live)
        {
            return live;
        }

        var left = _options.ReconnectDelaySeconds * Stopwatch.Frequency - (Stopwatch.GetTimestamp() - Interlocked.Read(ref _droppedAt));
        Task reconnected;
        lock (_gate)
        {
            reconnected = _reconnected.Task;
        }

        if (left > 0 && !_closing)
        {
            await Task.WhenAny(reconnected, Task.Delay(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency))).ConfigureAwait(false);
        }

        return Live();
    }

    // The slow paths below run an operation again once reconnected (within reconnect-delay), else fail it.
    // They are methods of their own, not lambdas: a lambda capturing the fast path's parameters makes the
    // compiler allocate its closure on entry to the fast path, on every request (48 bytes a read, measured
    // with NbdClientBenchmarks' MemoryDiagnoser).
    private async ValueTask<BlockError> ReadAfterReconnectAsync(long offset, Memory<byte> buffer) =>
        await ConnectionAsync().ConfigureAwait(false) is null ? BlockError.Io : await ReadAsync(offset, buffer).ConfigureAwait(false);

    private async ValueTask<BlockError> WriteAfterReconnectAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags) =>
        await ConnectionAsync().ConfigureAwait(false) is null ? BlockError.Io : await WriteAlignedAsync(offset, buffer, flags).ConfigureAwait(false);

    private async ValueTask<BlockError> FlushAfterReconnectAsync() =>
        await ConnectionAsync().ConfigureAwait(false) is null ? BlockError.Io : await FlushAsync().ConfigureAwait(false);

    private NbdClientConnection? Connect()
    {
        Socket? socket = null;
        try
        {
            socket = _options.Server.Connect();
            var info = NbdClientHandshake.Run(socket, _options.Export, _options.Server.ToString());
            return new NbdClientConnection(socket, info, _options.Server.ToString());
        }
        catch (SocketException e)
        {
            socket?.Dispose();
            LastError = $"Failed to connect to '{_options.Server}': {e.Message}";
            return null;
        }
        catch (BlockOperationException e)
        {
            socket?.Dispose();
            LastError = e.Message;
            return null;
        }
    }

    private void Install(NbdClientConnection connection)
    {
        connection.Closed += OnClosed;
        connection.Yielded = _wakeWaiter;
        lock (_gate)
        {
            _connection = connection;
            Connections++;
            _reconnected.TrySetResult();
        }
    }

    private void OnClosed(NbdClientConnection connection, string? reason)
    {
        if (_closing)
        {
            return;
        }

        LastError = LastConnectionLoss = $"NBD connection to {connection.Server} lost: {reason}";
        Console.Error.WriteLine($"emu: {LastError}; reconnecting");
        lock (_gate)
        {
            Interlocked.Exchange(ref _droppedAt, Stopwatch.GetTimestamp());
            _reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _reconnector = new Thread(Reconnect) { IsBackground = true, Name = "nbd-reconnect" };
            _reconnector.Start(connection);
        }
    }

    private void Reconnect(object? state)
    {
        ((NbdClientConnection)state!).Dispose();
        for (var attempt = 0; !_closing; attempt++)
        {
            var wait = TimeSpan.FromSeconds(BackoffSeconds[Math.Min(attempt, BackoffSeconds.Length - 1)]);
            if (wait > TimeSpan.Zero && WaitOrClose(wait))
            {
                return;
            }

            if (Connect() is not { } connection)
            {
                continue;
            }

            if (connection.Info.Size != Info.Size || (connection.Info.Has(NbdTransmissionFlags.ReadOnly) && !Node.ReadOnly))
            {
                LastError = $"NBD server {connection.Server} changed the export (size or read-only) across a reconnect";
                connection.Disconnect();
                continue;
            }

            LastError = null;
            Install(connection);
            return;
        }
    }

    /// <summary>Sleeps for <paramref name="wait"/> unless the node closes first; true when it did.</summary>
    private bool WaitOrClose(TimeSpan wait)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
        while (!_closing && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(50);
        }

        return _closing;
    }

    private async ValueTask<BlockError> ReadSlowAsync(long offset, Memory<byte> buffer)
    {
        var min = Math.Max(1u, Info.MinimumBlock);
        var max = (int)AlignDown(Math.Min(Info.MaximumBlock, (uint)NbdLimits.MaxPayload));
        var start = offset - (offset % min);
        var end = offset + buffer.Length;
        var alignedEnd = AlignUpInExport(end);
        if (start == offset && alignedEnd == end)
        {
            for (var done = 0; done < buffer.Length;)
            {
                var chunk = Math.Min(max, buffer.Length - done);
                var error = await ReadAsync(offset + done, buffer.Slice(done, chunk)).ConfigureAwait(false);
                if (error != BlockError.None)
                {
                    return error;
                }

                done += chunk;
            }

            return BlockError.None;
        }

        var bounce = AlignedBufferPool.Shared.Rent((int)(alignedEnd - start));
        try
        {
            var error = await ReadAsync(start, bounce.Memory[..(int)(alignedEnd - start)]).ConfigureAwait(false);
            if (error == BlockError.None)
            {
                bounce.Span.Slice((int)(offset - start), buffer.Length).CopyTo(buffer.Span);
            }

            return error;
        }
        finally
        {
            AlignedBufferPool.Shared.Return(bounce);
        }
    }

    private async ValueTask<BlockError> WriteSerialisedAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags)
    {
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (IsAligned(offset, buffer.Length))
            {
                return await WriteAlignedAsync(offset, buffer, flags).ConfigureAwait(false);
            }

            var min = Info.MinimumBlock;
            var start = AlignDown(offset);
            var end = offset + buffer.Length;
            var alignedEnd = AlignUpInExport(end);
            var length = (int)(alignedEnd - start);
            var bounce = AlignedBufferPool.Shared.Rent(length);
            try
            {
                var whole = bounce.Memory[..length];

                // Only the first and last blocks keep bytes of their own; the middle is all new data.
                var error = offset > start ? await ReadAsync(start, whole[..(int)Math.Min(min, length)]).ConfigureAwait(false) : BlockError.None;
                var tail = (int)Math.Max(0, AlignDown(end - 1) - start);
                if (error == BlockError.None && end < alignedEnd && (tail > 0 || offset == start))
                {
                    error = await ReadAsync(start + tail, whole[tail..]).ConfigureAwait(false);
                }

                if (error != BlockError.None)
                {
                    return error;
                }

                buffer.Span.CopyTo(whole.Span[(int)(offset - start)..]);
                return await WriteAlignedAsync(start, whole, flags).ConfigureAwait(false);
            }
            finally
            {
                AlignedBufferPool.Shared.Return(bounce);
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async ValueTask<BlockError> WriteSlowAsync(long offset, ReadOnlyMemory<byte> buffer, bool fua)
    {
        var max = (int)AlignDown(Math.Min(Info.MaximumBlock, (uint)NbdLimits.MaxPayload));
        var wireFua = fua && Info.Has(NbdTransmissionFlags.SendFua);
        for (var done = 0; done < buffer.Length;)
        {
            var chunk = Math.Min(max, buffer.Length - done);
            var c = await ConnectionAsync().ConfigureAwait(false);
            if (c is null)
            {
                return BlockError.Io;
            }

            var error = await c.Send(NbdCommand.Write, wireFua ? NbdCommandFlags.Fua : NbdCommandFlags.None, offset + done, chunk, buffer.Span.Slice(done, chunk), Memory<byte>.Empty, out _).ConfigureAwait(false);
            if (error != BlockError.None)
            {
                return error;
            }

            done += chunk;
        }

        // FUA the server cannot do itself: a flush after the write gives the same guarantee.
        return fua && !wireFua ? await FlushAsync().ConfigureAwait(false) : BlockError.None;
    }

    /// <summary>TRIM and WRITE_ZEROES carry a 32-bit length: longer ranges go in aligned pieces.</summary>
    private async ValueTask<BlockError> RangeAsync(NbdCommand command, NbdCommandFlags flags, long offset, long length)
    {
        var max = AlignDown(1L << 30);
        while (length > 0)
        {
            var chunk = Math.Min(max, length);
            if (await ConnectionAsync().ConfigureAwait(false) is not { } c)
            {
                return BlockError.Io;
            }

            var error = await c.Send(command, flags, offset, chunk, [], Memory<byte>.Empty, out _).ConfigureAwait(false);
            if (error != BlockError.None)
            {
                return error;
            }

            offset += chunk;
            length -= chunk;
        }

        return BlockError.None;
    }
}
