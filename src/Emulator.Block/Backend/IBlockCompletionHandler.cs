namespace Emulator.Block.Backend;

/// <summary>The device side of an asynchronous request: called on the machine thread when the request completes.</summary>
public interface IBlockCompletionHandler
{
    void OnBlockRequestCompleted(BlockRequest request);
}
