namespace Emulator.Machine.Platform;

/// <summary>
/// CMOS RAM layout: MC146818 registers 0x00-0x0D (datasheet, "Address Map") and the IBM PC/AT
/// BIOS bytes above them (AT Technical Reference, "CMOS RAM Address Map"; QEMU's hw/i386/pc.c for
/// 0x30-0x35 and 0x5B-0x5D).
/// </summary>
public enum CmosOffset : byte
{
    Seconds = 0x00,
    SecondsAlarm = 0x01,
    Minutes = 0x02,
    MinutesAlarm = 0x03,
    Hours = 0x04,
    HoursAlarm = 0x05,
    DayOfWeek = 0x06,
    DayOfMonth = 0x07,
    Month = 0x08,
    Year = 0x09,
    StatusA = 0x0A,
    StatusB = 0x0B,
    StatusC = 0x0C,
    StatusD = 0x0D,
    Diagnostic = 0x0E,
    Shutdown = 0x0F,
    FloppyTypes = 0x10,
    HardDiskTypes = 0x12,
    Equipment = 0x14,
    BaseMemoryLow = 0x15,
    BaseMemoryHigh = 0x16,
    ExtendedMemoryLow = 0x17,
    ExtendedMemoryHigh = 0x18,
    HardDisk0ExtendedType = 0x19,
    HardDisk1ExtendedType = 0x1A,
    HardDisk0Parameters = 0x1B,
    HardDisk1Parameters = 0x24,
    ChecksumFirst = 0x10,
    ChecksumLast = 0x2D,
    ChecksumHigh = 0x2E,
    ChecksumLow = 0x2F,
    ExtendedMemory2Low = 0x30,
    ExtendedMemory2High = 0x31,
    Century = 0x32,
    HighMemoryLow = 0x34,
    HighMemoryHigh = 0x35,

    /// <summary>Third boot device in bits 7-4; bit 0 set skips the floppy boot-signature check (QEMU/Bochs BIOS convention).</summary>
    BootOrderSecond = 0x38,

    /// <summary>BIOS CHS translation of IDE drives 0-3, two bits each from bit 0 (QEMU/Bochs BIOS convention: 0 none, 1 LBA, 2 LARGE, 3 R-ECHS).</summary>
    DiskTranslation = 0x39,

    /// <summary>First boot device in bits 3-0, second in bits 7-4 (1 floppy, 2 hard disk, 3 CD-ROM, 4 network).</summary>
    BootOrderFirst = 0x3D,
    AboveFourGigabytesLow = 0x5B,
}
