namespace Emulator.Devices.Floppy;

/// <summary>Status register 3 bits, the SENSE DRIVE STATUS answer (82078 datasheet, "Status Register 3").</summary>
[Flags]
internal enum FdcStatus3 : byte
{
    None = 0,
    DriveSelectMask = 0x03,
    Head = 0x04,

    /// <summary>Reads as one on the 82078 (the two-sided line of older parts).</summary>
    TwoSided = 0x08,
    Track0 = 0x10,

    /// <summary>Reads as one on the 82078 (drive ready).</summary>
    Ready = 0x20,
    WriteProtected = 0x40,
}
