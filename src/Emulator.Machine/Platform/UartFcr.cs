namespace Emulator.Machine.Platform;

/// <summary>FIFO control register bits (NS16550A datasheet, "FIFO Control Register").</summary>
[Flags]
internal enum UartFcr : byte
{
    None = 0,
    Enable = 0x01,
    ClearReceive = 0x02,
    ClearTransmit = 0x04,
    DmaMode = 0x08,
    TriggerMask = 0xC0,
}
