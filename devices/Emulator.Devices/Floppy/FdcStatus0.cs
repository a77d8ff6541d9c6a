namespace Emulator.Devices.Floppy;

/// <summary>Status register 0 bits (82078 datasheet, "Status Register 0").</summary>
[Flags]
internal enum FdcStatus0 : byte
{
    None = 0,
    DriveSelectMask = 0x03,

    /// <summary>Head address at the interrupt.</summary>
    Head = 0x04,

    /// <summary>Equipment check: a recalibrate did not find track 0.</summary>
    EquipmentCheck = 0x10,

    /// <summary>Seek end: a SEEK, RECALIBRATE or implied seek completed.</summary>
    SeekEnd = 0x20,

    /// <summary>Interrupt code 01: abnormal termination.</summary>
    AbnormalTermination = 0x40,

    /// <summary>Interrupt code 10: invalid command.</summary>
    InvalidCommand = 0x80,

    /// <summary>Interrupt code 11: abnormal termination by polling (the code reported after a reset).</summary>
    ReadyChange = 0xC0,
}
