namespace Emulator.Devices.Floppy;

/// <summary>
/// Register offsets from the controller base (82078 datasheet, "Register Summary", PC-AT mode).
/// Offsets 4 and 7 mean two registers: MSR and DIR when read, DSR and CCR when written.
/// </summary>
internal enum FdcRegister : byte
{
    /// <summary>Status register A (read). Not decoded on the ISA card: port base+0 stays unclaimed.</summary>
    StatusA = 0,

    /// <summary>Status register B (read).</summary>
    StatusB = 1,

    /// <summary>Digital output register (read/write).</summary>
    DigitalOutput = 2,

    /// <summary>Tape drive register (read/write).</summary>
    TapeDrive = 3,

    /// <summary>Main status register (read) / data rate select register (write).</summary>
    MainStatusOrDataRate = 4,

    /// <summary>Data FIFO (read/write).</summary>
    Fifo = 5,

    /// <summary>Digital input register (read) / configuration control register (write).</summary>
    DigitalInputOrConfig = 7,
}
