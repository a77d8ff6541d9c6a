namespace Emulator.Block.Graph;

/// <summary>
/// The answer to a block-status query for the start of a range: <see cref="Length"/> bytes from the
/// asked offset share <see cref="Flags"/>; when <see cref="BlockStatusFlags.OffsetValid"/> is set they
/// lie at <see cref="Offset"/> onwards in the host file named <see cref="File"/>.
/// </summary>
public readonly record struct BlockStatus(BlockStatusFlags Flags, long Length, long Offset, string File)
{
    /// <summary>True when every bit of <paramref name="flag"/> is set in <see cref="Flags"/>.</summary>
    public bool Has(BlockStatusFlags flag) => (Flags & flag) == flag;
}
