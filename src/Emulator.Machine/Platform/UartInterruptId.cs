namespace Emulator.Machine.Platform;

/// <summary>IIR bits 3-0, highest priority first (NS16550A datasheet, Table IV), and the FIFO-enabled bits 7-6.</summary>
internal enum UartInterruptId : byte
{
    ModemStatus = 0x00,
    NoInterrupt = 0x01,
    TransmitterEmpty = 0x02,
    ReceivedData = 0x04,
    LineStatus = 0x06,
    CharacterTimeout = 0x0C,
    FifosEnabled = 0xC0,
}
