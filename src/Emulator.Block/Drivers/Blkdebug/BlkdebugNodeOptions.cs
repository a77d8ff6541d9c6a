using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Blkdebug;

/// <summary>Options of a <c>blkdebug</c> filter node over its <c>image</c> child.</summary>
public sealed record BlkdebugNodeOptions(BlockChildOptions Image) : BlockNodeOptions
{
    public override string Driver => "blkdebug";

    public IReadOnlyList<BlkdebugRule> Rules { get; init; } = [];
}
