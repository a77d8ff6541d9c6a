using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>Opens <c>nbd</c> nodes; their drivers let the layer's waiters read replies (<see cref="IBlockCompletionPoller"/>).</summary>
internal sealed class NbdDriverFactory(BlockCompletionQueue completions) : IBlockDriverFactory
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
        new NbdDriver(node, (NbdNodeOptions)options, completions);
}
