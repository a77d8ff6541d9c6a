using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Raw;

internal sealed class RawDriverFactory : IBlockDriverFactory
{
    /// <summary>Raw is the fallback: any other format that recognises the header wins.</summary>
    private const int FallbackScore = 1;

    public string Name => "raw";

    public BlockDriverKind Kind => BlockDriverKind.Format;

    public IImageCreator? Creator { get; } = new RawImageCreator();

    public Type OptionsType => typeof(RawNodeOptions);

    public int Probe(ReadOnlySpan<byte> header) => FallbackScore;

    public BlockNodeOptions CreateFormatOptions(BlockChildOptions file, string? nodeName, bool readOnly) =>
        new RawNodeOptions(file) { NodeName = nodeName, ReadOnly = readOnly };

    public BlockDriver Open(BlockDriverState node, BlockNodeOptions options, BlockGraph graph) =>
        new RawDriver(node, (RawNodeOptions)options, graph);
}
