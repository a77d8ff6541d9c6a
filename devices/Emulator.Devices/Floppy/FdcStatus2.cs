namespace Emulator.Devices.Floppy;

/// <summary>Status register 2 bits (82078 datasheet, "Status Register 2").</summary>
[Flags]
internal enum FdcStatus2 : byte
{
    None = 0,

    /// <summary>Scan not satisfied: no sector met the scan condition.</summary>
    ScanNotSatisfied = 0x04,

    /// <summary>Scan equal hit: the sector matched byte for byte.</summary>
    ScanEqualHit = 0x08,
}
