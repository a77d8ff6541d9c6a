namespace Emulator.Machine.Platform;

/// <summary>Line control register bits (NS16550A datasheet, "Line Control Register").</summary>
[Flags]
internal enum UartLcr : byte
{
    None = 0,
    WordLengthMask = 0x03,
    TwoStopBits = 0x04,
    ParityEnable = 0x08,
    EvenParity = 0x10,
    StickParity = 0x20,
    Break = 0x40,
    DivisorLatchAccess = 0x80,
}
