using Emulator.Block.Backend;

namespace Emulator.Block.Graph;

/// <summary>The answer to a block status query: how the first <see cref="Length"/> bytes of the asked range look.</summary>
public readonly record struct BlockStatus(BlockError Error, long Length, BlockStatusFlags Flags)
{
    public static BlockStatus AllData(long length) => new(BlockError.None, length, BlockStatusFlags.Data | BlockStatusFlags.Allocated);
}
