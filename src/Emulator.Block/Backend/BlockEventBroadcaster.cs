namespace Emulator.Block.Backend;

/// <summary>The default event sink: forwards every event to the current subscribers.</summary>
public sealed class BlockEventBroadcaster : IBlockEventSink
{
    /// <summary>Raised for each event, synchronously on the publishing thread (the machine or monitor thread). Handlers must not throw.</summary>
    public event Action<BlockEvent>? Published;

    /// <summary>Hands <paramref name="blockEvent"/> to every <see cref="Published"/> handler, in subscription order.</summary>
    public void Publish(BlockEvent blockEvent) => Published?.Invoke(blockEvent);
}
