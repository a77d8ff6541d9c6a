namespace Emulator.Block.Graph;

/// <summary>Where a driver sits in a node tree.</summary>
public enum BlockDriverKind : byte
{
    /// <summary>Reaches storage (file, nbd, null-co).</summary>
    Protocol,

    /// <summary>Interprets an image format over a <c>file</c> child (raw, qcow2).</summary>
    Format,

    /// <summary>Passes requests to one child, changing or observing them (blkdebug).</summary>
    Filter,
}
