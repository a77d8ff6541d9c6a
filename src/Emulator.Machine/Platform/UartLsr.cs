namespace Emulator.Machine.Platform;

/// <summary>Line status register bits (NS16550A datasheet, "Line Status Register").</summary>
[Flags]
internal enum UartLsr : byte
{
    None = 0,
    DataReady = 0x01,
    OverrunError = 0x02,
    ParityError = 0x04,
    FramingError = 0x08,
    BreakInterrupt = 0x10,
    TransmitHoldingEmpty = 0x20,
    TransmitterEmpty = 0x40,
    ReceiveFifoError = 0x80,
    Errors = OverrunError | ParityError | FramingError | BreakInterrupt,
}
