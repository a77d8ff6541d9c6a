namespace Emulator.Devices.Floppy;

/// <summary>The three controller phases (82078 datasheet, "Controller Phases").</summary>
internal enum FdcPhase : byte
{
    /// <summary>The host writes a command byte and its parameters.</summary>
    Command,

    /// <summary>The command runs; data moves by DMA or through the FIFO.</summary>
    Execution,

    /// <summary>The host reads the result bytes.</summary>
    Result,
}
