namespace Emulator.Machine.Platform;

/// <summary>Modem control register bits (NS16550A datasheet, "Modem Control Register").</summary>
[Flags]
internal enum UartMcr : byte
{
    None = 0,
    DataTerminalReady = 0x01,
    RequestToSend = 0x02,
    Out1 = 0x04,
    Out2 = 0x08,
    Loopback = 0x10,
    Mask = 0x1F,
}
