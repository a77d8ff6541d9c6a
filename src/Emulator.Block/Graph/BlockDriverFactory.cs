namespace Emulator.Block.Graph;

/// <summary>
/// The registration of a driver that needs nothing beyond its name, its kind and a constructor: no
/// format probing, no filename syntax, no image creation (<c>file</c>, <c>null-co</c>, <c>blkdebug</c>).
/// Drivers that have any of those implement <see cref="IBlockDriverFactory"/> in their own folder.
/// </summary>
internal sealed class BlockDriverFactory<TOptions>(
    string name,
    BlockDriverKind kind,
    Func<BlockDriverState, TOptions, BlockGraph, BlockDriver> open) : IBlockDriverFactory
    where TOptions : BlockNodeOptions
{
    public string Name => name;

    public BlockDriverKind Kind => kind;

    public Type OptionsType => typeof(TOptions);

    public BlockDriver Open(BlockDriverState node, BlockNodeOptions options, BlockGraph graph) =>
        open(node, (TOptions)options, graph);
}
