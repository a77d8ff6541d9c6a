namespace Emulator.Block.Nbd;

/// <summary>Structured reply chunk types (proto.md "Structured reply types"); error types have bit 15 set.</summary>
internal enum NbdReplyType : ushort
{
    None = 0,

    /// <summary>Offset (u64) then data.</summary>
    OffsetData = 1,

    /// <summary>Offset (u64) and hole size (u32): the range reads as zeroes.</summary>
    OffsetHole = 2,

    /// <summary>Context id (u32) then descriptors of length (u32) and flags (u32).</summary>
    BlockStatus = 5,

    ErrorBit = 0x8000,

    /// <summary>Error (u32), message length (u16), message.</summary>
    Error = ErrorBit | 1,

    /// <summary>As <see cref="Error"/>, followed by the offset (u64) that failed.</summary>
    ErrorOffset = ErrorBit | 2,
}
