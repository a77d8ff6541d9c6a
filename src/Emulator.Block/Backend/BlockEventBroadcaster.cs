namespace Emulator.Block.Backend;

/// <summary>The default event sink: forwards every event to the current subscribers.</summary>
public sealed class BlockEventBroadcaster : IBlockEventSink
{
    public event Action<BlockEvent>? Published;

    public void Publish(BlockEvent blockEvent) => Published?.Invoke(blockEvent);
}
