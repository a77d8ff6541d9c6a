namespace Emulator.Machine.Platform;

/// <summary>Interrupt enable register bits (NS16550A datasheet, "Interrupt Enable Register").</summary>
[Flags]
internal enum UartIer : byte
{
    None = 0,
    ReceivedData = 0x01,
    TransmitterEmpty = 0x02,
    LineStatus = 0x04,
    ModemStatus = 0x08,
    Mask = 0x0F,
}
