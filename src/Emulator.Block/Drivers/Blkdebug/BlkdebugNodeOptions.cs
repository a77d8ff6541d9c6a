using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Blkdebug;

/// <summary>Options of a <c>blkdebug</c> filter node over its <c>image</c> child.</summary>
public sealed record BlkdebugNodeOptions(BlockChildOptions Image) : BlockNodeOptions
{
    /// <inheritdoc/>
    public override string Driver => "blkdebug";

    /// <summary>The error-injection rules, tried in order for every request; the first that matches decides.</summary>
    public IReadOnlyList<BlkdebugRule> Rules { get; init; } = [];

    /// <summary>A rule file read when the node opens; its rules apply before <see cref="Rules"/>.</summary>
    public string? ConfigFile { get; init; }
}
