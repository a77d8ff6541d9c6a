namespace Emulator.Devices.Floppy;

/// <summary>Status register 1 bits (82078 datasheet, "Status Register 1").</summary>
[Flags]
internal enum FdcStatus1 : byte
{
    None = 0,

    /// <summary>Missing address mark (also reported for a data rate that does not match the medium).</summary>
    MissingAddressMark = 0x01,

    /// <summary>Not writable: the medium is write-protected.</summary>
    NotWritable = 0x02,

    /// <summary>End of cylinder: the sector number is past the end of the track.</summary>
    EndOfCylinder = 0x80,
}
