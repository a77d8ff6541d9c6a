namespace Emulator.Machine.Dma;

/// <summary>Mode register fields (8237A datasheet, "Mode Register").</summary>
[Flags]
public enum DmaMode : byte
{
    None = 0,
    ChannelMask = 0x03,
    TransferTypeMask = 0x0C,
    AutoInitialize = 0x10,
    AddressDecrement = 0x20,
    ModeSelectMask = 0xC0,
}
