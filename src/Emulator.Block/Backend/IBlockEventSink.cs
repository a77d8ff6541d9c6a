namespace Emulator.Block.Backend;

/// <summary>Receives the block layer's events (the monitor publishes them as QMP events). Called on the machine thread.</summary>
internal interface IBlockEventSink
{
    void Publish(BlockEvent blockEvent);
}
