namespace Emulator.Devices.Virtio;

/// <summary>
/// One virtio-blk request between pop and completion: its chain, the parsed header, and where its
/// data sits inside a backend operation (<see cref="VirtioBlkIo"/>), possibly shared with merged
/// neighbours. Pooled by the device.
/// </summary>
internal sealed class VirtioBlkRequest
{
    public VirtqChain Chain { get; } = new();

    public int Queue { get; set; }

    /// <summary>The queue's generation when popped: a queue or device reset since makes the completion stale.</summary>
    public int Generation { get; set; }

    public VirtioBlkRequestType Type { get; set; }

    public ulong Sector { get; set; }

    /// <summary>Data bytes: the readable bytes after the header (OUT) or the writable bytes before the status (IN).</summary>
    public int DataBytes { get; set; }

    /// <summary>Offset of this request's data inside its operation's buffer.</summary>
    public int BufferOffset { get; set; }

    /// <summary>The next request merged into the same operation.</summary>
    public VirtioBlkRequest? Next { get; set; }
}
