namespace Emulator.Machine.Dma;

/// <summary>Mode register fields (8237A datasheet, "Mode Register").</summary>
[Flags]
public enum DmaMode : byte
{
    /// <summary>No bits set: demand mode, verify, increment, no auto-initialise (channel field 0).</summary>
    None = 0,
    /// <summary>Bits 1-0: the channel of the chip the mode byte is for.</summary>
    ChannelMask = 0x03,
    /// <summary>Bits 3-2: the transfer direction (<see cref="DmaTransferType"/>).</summary>
    TransferTypeMask = 0x0C,
    /// <summary>Bit 4: reload base address and count at terminal count.</summary>
    AutoInitialize = 0x10,
    /// <summary>Bit 5: the address counts down.</summary>
    AddressDecrement = 0x20,
    /// <summary>Bits 7-6: demand, single, block or cascade mode.</summary>
    ModeSelectMask = 0xC0,
}
