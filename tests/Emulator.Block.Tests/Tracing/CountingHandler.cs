using Emulator.Block.Backend;

namespace Emulator.Block.Tests.Tracing;

/// <summary>Counts completions without allocating (allocation tests measure the whole request path).</summary>
internal sealed class CountingHandler : IBlockCompletionHandler
{
    public int Completed { get; private set; }

    public BlockError LastError { get; private set; }

    public void OnBlockRequestCompleted(BlockRequest request)
    {
        LastError = request.Error;
        Completed++;
    }
}
