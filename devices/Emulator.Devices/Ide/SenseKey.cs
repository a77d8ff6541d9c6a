namespace Emulator.Devices.Ide;

/// <summary>SCSI sense keys used by the CD-ROM (SPC-3, table 27).</summary>
internal enum SenseKey : byte
{
    NoSense = 0x0,
    NotReady = 0x2,
    IllegalRequest = 0x5,
    UnitAttention = 0x6,
}
