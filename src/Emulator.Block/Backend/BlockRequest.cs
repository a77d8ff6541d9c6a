using System.Runtime.CompilerServices;

namespace Emulator.Block.Backend;

/// <summary>
/// One asynchronous block request, owned and reused by a device (a device keeps one per command slot,
/// so submitting allocates nothing). Set it up with one of the <c>Prepare…</c> methods, submit it with
/// <see cref="BlockBackend.Submit"/>, and read <see cref="Error"/> and <see cref="ErrorAction"/> in the
/// handler, which always runs on the machine thread after the submitting call has returned.
/// A failed request that the policy stopped on keeps its parameters, so the device resubmits it as is.
/// </summary>
public sealed class BlockRequest
{
    private readonly Action _onDriverCompleted;
    private ConfiguredValueTaskAwaitable<BlockError>.ConfiguredValueTaskAwaiter _awaiter;
    private int _inFlight;

    /// <summary>A reusable request whose completions go to <paramref name="handler"/>; <paramref name="tag"/> is the device's own.</summary>
    public BlockRequest(IBlockCompletionHandler handler, object? tag = null)
    {
        Handler = handler ?? throw new ArgumentNullException(nameof(handler));
        Tag = tag;
        _onDriverCompleted = OnDriverCompleted;
    }

    /// <summary>Called once per submission, on the machine thread, when the request completes.</summary>
    public IBlockCompletionHandler Handler { get; }

    /// <summary>Free for the device (which drive, which queue slot …).</summary>
    public object? Tag { get; set; }

    /// <summary>The operation set by the last <c>Prepare…</c> call.</summary>
    public BlockRequestKind Kind { get; private set; }

    /// <summary>Byte offset into the medium where the request starts (0 for flush).</summary>
    public long Offset { get; private set; }

    /// <summary>Bytes covered: the buffer length for reads and writes, the range for discard and write-zeroes, 0 for flush.</summary>
    public long Length { get; private set; }

    /// <summary>Data to write or room to read into; empty for flush, discard and write-zeroes. The device keeps it alive and untouched while the request is in flight.</summary>
    public Memory<byte> Buffer { get; private set; }

    /// <summary>Modifiers given to <see cref="PrepareWrite"/> or <see cref="PrepareWriteZeroes"/>.</summary>
    public BlockRequestFlags Flags { get; private set; }

    /// <summary>The result, valid in the completion handler.</summary>
    public BlockError Error { get; internal set; }

    /// <summary>What the error policy chose for a failed request (Report for request errors and successes).</summary>
    public BlockErrorAction ErrorAction { get; internal set; }

    /// <summary>The device queue this request belongs to in I/O traces (<c>IoTrace.RegisterTrack</c>); -1 for none.</summary>
    public int TraceTrack { get; set; } = -1;

    /// <summary>True from <see cref="BlockBackend.Submit"/> until just before the handler runs; a request in flight must not be prepared or submitted again. Any thread.</summary>
    public bool IsInFlight => Volatile.Read(ref _inFlight) != 0;

    internal BlockBackend? Backend { get; set; }

    internal long StartTimestamp { get; set; }

    /// <summary>The span id while traced, else 0.</summary>
    internal long TraceSpan { get; set; }

    /// <summary>Intrusive link for the worker and completion queues.</summary>
    internal BlockRequest? Next { get; set; }

    /// <summary>The layer-wide order of submission, by which deterministic delivery orders completions.</summary>
    internal long Sequence { get; set; }

    /// <summary>True when the request was refused before reaching a driver (accounted as invalid).</summary>
    internal bool Invalid { get; set; }

    /// <summary>Sets the request up to read <paramref name="buffer"/>.Length bytes at byte <paramref name="offset"/>.</summary>
    /// <exception cref="InvalidOperationException">The request is still in flight.</exception>
    public void PrepareRead(long offset, Memory<byte> buffer) => Prepare(BlockRequestKind.Read, offset, buffer.Length, buffer, BlockRequestFlags.None);

    /// <summary>Sets the request up to write <paramref name="buffer"/> at byte <paramref name="offset"/> (flags: FUA, compressed).</summary>
    /// <exception cref="InvalidOperationException">The request is still in flight.</exception>
    public void PrepareWrite(long offset, Memory<byte> buffer, BlockRequestFlags flags = BlockRequestFlags.None) =>
        Prepare(BlockRequestKind.Write, offset, buffer.Length, buffer, flags);

    /// <summary>Sets the request up to flush the medium's caches to stable storage.</summary>
    /// <exception cref="InvalidOperationException">The request is still in flight.</exception>
    public void PrepareFlush() => Prepare(BlockRequestKind.Flush, 0, 0, Memory<byte>.Empty, BlockRequestFlags.None);

    /// <summary>Sets the request up to discard <paramref name="length"/> bytes at <paramref name="offset"/> (TRIM/UNMAP).</summary>
    /// <exception cref="InvalidOperationException">The request is still in flight.</exception>
    public void PrepareDiscard(long offset, long length) => Prepare(BlockRequestKind.Discard, offset, length, Memory<byte>.Empty, BlockRequestFlags.None);

    /// <summary>Sets the request up to make <paramref name="length"/> bytes at <paramref name="offset"/> read as zeroes (flags: may-unmap, no-fallback).</summary>
    /// <exception cref="InvalidOperationException">The request is still in flight.</exception>
    public void PrepareWriteZeroes(long offset, long length, BlockRequestFlags flags = BlockRequestFlags.None) =>
        Prepare(BlockRequestKind.WriteZeroes, offset, length, Memory<byte>.Empty, flags);

    internal void MarkInFlight()
    {
        if (Interlocked.Exchange(ref _inFlight, 1) != 0)
        {
            throw new InvalidOperationException("This request is already in flight; a device must wait for its completion before reusing it.");
        }
    }

    internal void ClearInFlight() => Volatile.Write(ref _inFlight, 0);

    /// <summary>Runs the driver operation and hands the result to the completion queue, without blocking on a pending driver.</summary>
    internal void Run(ValueTask<BlockError> operation)
    {
        if (operation.IsCompleted)
        {
            Error = operation.Result;
            Backend!.DriverCompleted(this);
            return;
        }

        _awaiter = operation.ConfigureAwait(false).GetAwaiter();
        _awaiter.OnCompleted(_onDriverCompleted);
    }

    private void Prepare(BlockRequestKind kind, long offset, long length, Memory<byte> buffer, BlockRequestFlags flags)
    {
        if (IsInFlight)
        {
            throw new InvalidOperationException("A request cannot be changed while it is in flight.");
        }

        Kind = kind;
        Offset = offset;
        Length = length;
        Buffer = buffer;
        Flags = flags;
        Error = BlockError.None;
        ErrorAction = BlockErrorAction.Report;
    }

    private void OnDriverCompleted()
    {
        Error = _awaiter.GetResult();
        _awaiter = default;
        Backend!.DriverCompleted(this);
    }
}
