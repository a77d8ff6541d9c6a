namespace Emulator.Devices.Floppy;

/// <summary>Main status register bits (82078 datasheet, "Main Status Register").</summary>
[Flags]
internal enum FdcMainStatus : byte
{
    None = 0,
    Drive0Busy = 0x01,
    Drive1Busy = 0x02,
    Drive2Busy = 0x04,
    Drive3Busy = 0x08,

    /// <summary>A command is in progress (from its first byte to its last result byte).</summary>
    CommandBusy = 0x10,

    /// <summary>Execution phase of a non-DMA transfer: the host moves the data through the FIFO.</summary>
    NonDma = 0x20,

    /// <summary>Direction: set when the controller has a byte for the host.</summary>
    DataToHost = 0x40,

    /// <summary>Request for master: the FIFO is ready for the host.</summary>
    RequestForMaster = 0x80,
}
