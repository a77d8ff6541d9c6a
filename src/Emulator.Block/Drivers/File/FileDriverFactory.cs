using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.File;

internal sealed class FileDriverFactory : IBlockDriverFactory
{
    public string Name => "file";

    public BlockDriverKind Kind => BlockDriverKind.Protocol;

    public Type OptionsType => typeof(FileNodeOptions);

    public BlockDriver Open(BlockDriverState node, BlockNodeOptions options, BlockGraph graph) =>
        new FileDriver(node, (FileNodeOptions)options);
}
