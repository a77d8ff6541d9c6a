using Emulator.Block.Backend;

namespace Emulator.Block.Graph;

/// <summary>
/// Registers one driver with the block layer (through DI, one <c>AddXxxDriver()</c> each): its name,
/// kind and options type, format probing, and opening a node.
/// </summary>
public interface IBlockDriverFactory
{
    /// <summary>The driver name in options and on the command line (<c>qcow2</c>, <c>file</c> …); unique in a registry.</summary>
    string Name { get; }

    /// <summary>Whether the driver reaches storage, interprets a format or filters a child.</summary>
    BlockDriverKind Kind { get; }

    /// <summary>The <see cref="BlockNodeOptions"/> subtype that selects this driver.</summary>
    Type OptionsType { get; }

    /// <summary>Format drivers: how sure the driver is that <paramref name="header"/> (the first bytes of the image) is its format; 0 = not.</summary>
    int Probe(ReadOnlySpan<byte> header) => 0;

    /// <summary>Protocol drivers: the options for a filename in this protocol's syntax (<c>nbd://…</c>), false when the name is not one.</summary>
    bool TryParseFilename(string filename, bool readOnly, out BlockNodeOptions? options)
    {
        options = null;
        return false;
    }

    /// <summary>Format drivers: the options of a node of this format with default settings over <paramref name="file"/>.</summary>
    BlockNodeOptions CreateFormatOptions(BlockChildOptions file, string? nodeName, bool readOnly) =>
        throw new NotSupportedException($"Driver '{Name}' is not a format driver.");

    /// <summary>Format drivers that can write a new image of their format (<c>img create</c>); null otherwise.</summary>
    IImageCreator? Creator => null;

    /// <summary>Opens the driver for <paramref name="node"/>, attaching children through <paramref name="graph"/>. Throws <see cref="BlockOperationException"/> with a clear message.</summary>
    internal BlockDriver Open(BlockDriverState node, BlockNodeOptions options, BlockGraph graph);
}
