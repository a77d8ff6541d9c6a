namespace Emulator.Devices.Floppy;

/// <summary>
/// Command bytes (82078 datasheet, "Command Set Summary"), without the MT (0x80), MFM (0x40)
/// and SK (0x20) modifier bits that <see cref="FdcCommandTable"/> masks off where they apply.
/// </summary>
internal enum FdcOpcode : byte
{
    ReadTrack = 0x02,
    Specify = 0x03,
    SenseDriveStatus = 0x04,
    WriteData = 0x05,
    ReadData = 0x06,
    Recalibrate = 0x07,
    SenseInterruptStatus = 0x08,
    WriteDeletedData = 0x09,
    ReadId = 0x0A,
    ReadDeletedData = 0x0C,
    FormatTrack = 0x0D,
    DumpRegisters = 0x0E,
    Seek = 0x0F,
    Version = 0x10,
    ScanEqual = 0x11,
    PerpendicularMode = 0x12,
    Configure = 0x13,
    Lock = 0x14,
    Verify = 0x16,
    PowerDownMode = 0x17,
    PartId = 0x18,
    ScanLowOrEqual = 0x19,
    ScanHighOrEqual = 0x1D,
    Save = 0x2E,
    Option = 0x33,
    Restore = 0x4E,
    DriveSpecification = 0x8E,
    RelativeSeekOut = 0x8F,
    FormatAndWrite = 0xCD,
    RelativeSeekIn = 0xCF,
}
