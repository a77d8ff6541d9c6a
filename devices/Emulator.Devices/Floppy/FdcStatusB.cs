namespace Emulator.Devices.Floppy;

/// <summary>Status register B bits (82078 datasheet, "Status Register B", PS/2 mode).</summary>
[Flags]
internal enum FdcStatusB : byte
{
    None = 0,
    Motor0 = 0x01,
    Motor1 = 0x02,

    /// <summary>Drive select bit 0 as last written to the DOR.</summary>
    DriveSelect0 = 0x20,

    /// <summary>Bits 7:6 read as ones.</summary>
    ReservedOnes = 0xC0,
}
