using System.Threading.Tasks.Sources;
using Emulator.Block.Backend;
using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>
/// One request in flight on a connection, reused from request to request (the driver's path allocates
/// nothing per request). Its slot index is the low half of the cookie; the high half is a generation
/// that changes on every reuse, so a reply for a finished request is an unknown cookie. Completed
/// only by the connection's receive thread, so the buffer is never written after completion.
/// </summary>
internal sealed class NbdPendingRequest : IValueTaskSource<BlockError>
{
    private ManualResetValueTaskSourceCore<BlockError> _core;

    public NbdPendingRequest(int slot)
    {
        Slot = slot;
        // Inline: the continuation only hands the request to the block layer's completion queue.
        _core.RunContinuationsAsynchronously = false;
    }

    public int Slot { get; }

    public uint Generation { get; private set; }

    public ulong Cookie => ((ulong)Generation << 32) | (uint)Slot;

    public NbdCommand Command { get; private set; }

    public long Offset { get; private set; }

    public long Length { get; private set; }

    public Memory<byte> ReadBuffer { get; private set; }

    /// <summary>Data bytes delivered so far (reads), to catch a reply that ends short.</summary>
    public long Received { get; set; }

    public BlockError Error { get; set; }

    /// <summary>Block status: the first extent's length and flags.</summary>
    public long StatusLength { get; set; }

    public NbdAllocationFlags StatusFlags { get; set; }

    public bool StatusSeen { get; set; }

    /// <summary>True while the owner still has to read the status fields after the result (block status).</summary>
    public bool KeepAfterResult { get; private set; }

    public Action<NbdPendingRequest>? Release { get; set; }

    public ValueTask<BlockError> Task => new(this, _core.Version);

    public void Start(NbdCommand command, long offset, long length, Memory<byte> readBuffer, bool keepAfterResult)
    {
        Generation++;
        _core.Reset();
        Command = command;
        Offset = offset;
        Length = length;
        ReadBuffer = readBuffer;
        Received = 0;
        Error = BlockError.None;
        StatusSeen = false;
        StatusLength = 0;
        StatusFlags = NbdAllocationFlags.Data;
        KeepAfterResult = keepAfterResult;
    }

    public void Complete(BlockError error)
    {
        ReadBuffer = Memory<byte>.Empty;
        _core.SetResult(error);
    }

    public BlockError GetResult(short token)
    {
        var result = _core.GetResult(token);
        if (!KeepAfterResult)
        {
            Release?.Invoke(this);
        }

        return result;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
