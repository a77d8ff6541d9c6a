using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Raw;

/// <summary>Options of a <c>raw</c> format node: the image child and an optional window into it.</summary>
public sealed record RawNodeOptions(BlockChildOptions File) : BlockNodeOptions
{
    /// <inheritdoc/>
    public override string Driver => "raw";

    /// <summary>Where the window starts in the child, in bytes.</summary>
    public long Offset { get; init; }

    /// <summary>The window's size in bytes; null = to the end of the child.</summary>
    public long? Size { get; init; }
}
