using System.Buffers.Binary;
using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Qcow2;

internal sealed class Qcow2DriverFactory : IBlockDriverFactory
{
    /// <summary>A magic number match beats raw's fallback score by far.</summary>
    private const int MagicScore = 100;

    private readonly BlockDriverEvents _events;

    public Qcow2DriverFactory(BlockDriverEvents events)
    {
        _events = events;
    }

    public string Name => "qcow2";

    public BlockDriverKind Kind => BlockDriverKind.Format;

    public IImageCreator? Creator { get; } = new Qcow2ImageCreator();

    public Type OptionsType => typeof(Qcow2NodeOptions);

    public int Probe(ReadOnlySpan<byte> header) =>
        header.Length >= 8
        && BinaryPrimitives.ReadUInt32BigEndian(header) == Qcow2Header.Magic
        && BinaryPrimitives.ReadUInt32BigEndian(header[4..]) >= 2
            ? MagicScore
            : 0;

    public BlockNodeOptions CreateFormatOptions(BlockChildOptions file, string? nodeName, bool readOnly) =>
        new Qcow2NodeOptions(file) { NodeName = nodeName, ReadOnly = readOnly };

    public BlockDriver Open(BlockDriverState node, BlockNodeOptions options, BlockGraph graph) =>
        new Qcow2Driver(node, (Qcow2NodeOptions)options, graph, _events);
}
