using System.Collections.Concurrent;

namespace Emulator.Block.Backend;

/// <summary>
/// The event sink format drivers publish to (BLOCK_IMAGE_CORRUPTED). A driver may find corruption
/// on an I/O worker thread and knows only its node, so its events wait here and are published on
/// the machine/loop side: at the start of <see cref="BlockCompletionQueue.RunPending"/> (before the
/// completion of the request that hit the corruption is delivered) and when a synchronous backend
/// request returns. The device name is filled in then: the backend whose tree holds the node, or
/// "" for a node no backend uses (QEMU names the backend attached to the image, else "").
/// </summary>
internal sealed class BlockDriverEvents : IBlockEventSink
{
    private readonly ConcurrentQueue<BlockEvent> _pending = new();
    private readonly IBlockEventSink _target;

    public BlockDriverEvents(IBlockEventSink target)
    {
        _target = target;
    }

    /// <summary>Queues the event; any thread.</summary>
    public void Publish(BlockEvent blockEvent) => _pending.Enqueue(blockEvent);

    /// <summary>Publishes the queued events, naming the device through <paramref name="deviceOf"/> (node name to backend name). Machine/loop thread.</summary>
    internal void Drain(Func<string, string> deviceOf)
    {
        while (_pending.TryDequeue(out var blockEvent))
        {
            _target.Publish(blockEvent is BlockImageCorruptedEvent { Device: "" } corrupted
                ? corrupted with { Device = deviceOf(corrupted.NodeName) }
                : blockEvent);
        }
    }

    internal bool IsEmpty => _pending.IsEmpty;
}
