using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.NullCo;

internal sealed class NullDriverFactory : IBlockDriverFactory
{
    public string Name => "null-co";

    public BlockDriverKind Kind => BlockDriverKind.Protocol;

    public Type OptionsType => typeof(NullNodeOptions);

    public BlockDriver Open(BlockDriverState node, BlockNodeOptions options, BlockGraph graph) =>
        new NullDriver(node, (NullNodeOptions)options);
}
