namespace Emulator.Block.Backend;

/// <summary>The device side of an asynchronous request: called on the machine thread when the request completes.</summary>
public interface IBlockCompletionHandler
{
    /// <summary>
    /// Called once for each submission of <paramref name="request"/>, on the machine thread, after <see cref="BlockBackend.Submit"/>
    /// has returned; the request may be prepared and submitted again from here.
    /// </summary>
    void OnBlockRequestCompleted(BlockRequest request);
}
