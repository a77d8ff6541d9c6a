using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Blkdebug;

internal sealed class BlkdebugDriverFactory : IBlockDriverFactory
{
    public string Name => "blkdebug";

    public BlockDriverKind Kind => BlockDriverKind.Filter;

    public Type OptionsType => typeof(BlkdebugNodeOptions);

    public BlockDriver Open(BlockDriverState node, BlockNodeOptions options, BlockGraph graph) =>
        new BlkdebugDriver(node, (BlkdebugNodeOptions)options, graph);
}
