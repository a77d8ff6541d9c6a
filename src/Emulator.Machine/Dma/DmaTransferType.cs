namespace Emulator.Machine.Dma;

/// <summary>Mode register bits 3-2 (8237A datasheet, "Mode Register"), named from memory's point of view as the datasheet does.</summary>
public enum DmaTransferType : byte
{
    /// <summary>Addresses and counts advance but no memory cycle happens.</summary>
    Verify = 0x00,

    /// <summary>I/O device to memory.</summary>
    Write = 0x04,

    /// <summary>Memory to I/O device.</summary>
    Read = 0x08,

    /// <summary>The reserved encoding; a transfer on such a channel moves nothing.</summary>
    Illegal = 0x0C,
}
