using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Tests.Support;

/// <summary>A protocol driver registered by the tests through DI that records the flags each write and write-zeroes reached it with.</summary>
internal sealed record RecordingNodeOptions : BlockNodeOptions
{
    public override string Driver => "recording";
}

internal sealed class RecordingDriver(BlockDriverState node) : BlockDriver(node)
{
    public List<BlockRequestFlags> WriteFlags { get; } = [];

    public List<BlockRequestFlags> WriteZeroesFlags { get; } = [];

    public override bool IsNonBlocking => true;

    public override long Length => 1 << 20;

    public override ValueTask<BlockError> ReadAsync(long offset, Memory<byte> buffer) => Done(BlockError.None);

    public override ValueTask<BlockError> WriteAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags)
    {
        WriteFlags.Add(flags);
        return Done(BlockError.None);
    }

    public override ValueTask<BlockError> WriteZeroesAsync(long offset, long length, BlockRequestFlags flags)
    {
        WriteZeroesFlags.Add(flags);
        return Done(BlockError.None);
    }
}

internal sealed class RecordingDriverFactory : IBlockDriverFactory
{
    public string Name => "recording";

    public BlockDriverKind Kind => BlockDriverKind.Protocol;

    public Type OptionsType => typeof(RecordingNodeOptions);

    public BlockDriver Open(BlockDriverState node, BlockNodeOptions options, BlockGraph graph) => new RecordingDriver(node);
}
