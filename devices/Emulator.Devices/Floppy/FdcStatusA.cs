namespace Emulator.Devices.Floppy;

/// <summary>Status register A bits (82078 datasheet, "Status Register A", PS/2 mode) as QEMU models them.</summary>
[Flags]
internal enum FdcStatusA : byte
{
    None = 0,

    /// <summary>Active low: no second drive is attached.</summary>
    NoSecondDrive = 0x40,

    /// <summary>The controller's interrupt output is asserted.</summary>
    InterruptPending = 0x80,
}
