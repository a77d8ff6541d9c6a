namespace Emulator.Block.Backend;

/// <summary><c>blockdev-change-medium</c>'s read-only-mode.</summary>
public enum ReadOnlyMode : byte
{
    /// <summary>Keep the mode of the medium being replaced.</summary>
    Retain,
    /// <summary>Open the new medium read-only.</summary>
    ReadOnly,
    /// <summary>Open the new medium writable.</summary>
    ReadWrite,
}
