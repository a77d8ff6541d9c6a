using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Nbd;

internal sealed class NbdDriverFactory : IBlockDriverFactory
{
    public string Name => "nbd";

    public BlockDriverKind Kind => BlockDriverKind.Protocol;

    public Type OptionsType => typeof(NbdNodeOptions);

    public bool TryParseFilename(string filename, bool readOnly, out BlockNodeOptions? options)
    {
        options = NbdUri.IsNbd(filename) ? NbdUri.Parse(filename, readOnly) : null;
        return options is not null;
    }

    public BlockDriver Open(BlockDriverState node, BlockNodeOptions options, BlockGraph graph) =>
        new NbdDriver(node, (NbdNodeOptions)options);
}
