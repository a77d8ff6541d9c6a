namespace Emulator.Block.Drivers.Qcow2;

/// <summary>What a guest cluster maps to.</summary>
internal enum Qcow2ClusterKind : byte
{
    /// <summary>No L2 table or a zero L2 entry: read from the backing file, or zeroes without one.</summary>
    Unallocated,

    /// <summary>The zero flag is set (with or without a preallocated host cluster): reads as zeroes.</summary>
    Zero,

    /// <summary>A host cluster holds the data.</summary>
    Normal,

    /// <summary>Deflate-compressed data at a byte offset.</summary>
    Compressed,
}
