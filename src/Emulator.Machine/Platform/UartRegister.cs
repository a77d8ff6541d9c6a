namespace Emulator.Machine.Platform;

/// <summary>16550A register offsets from the base port (NS16550A datasheet, Table II); DLAB selects DLL/DLM at 0 and 1.</summary>
internal enum UartRegister : byte
{
    /// <summary>RBR on read, THR on write, DLL with DLAB set.</summary>
    Data = 0,

    /// <summary>IER, DLM with DLAB set.</summary>
    InterruptEnable = 1,

    /// <summary>IIR on read, FCR on write.</summary>
    InterruptIdFifoControl = 2,
    LineControl = 3,
    ModemControl = 4,
    LineStatus = 5,
    ModemStatus = 6,
    Scratch = 7,
}
