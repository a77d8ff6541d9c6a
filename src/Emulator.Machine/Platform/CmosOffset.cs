namespace Emulator.Machine.Platform;

/// <summary>
/// CMOS RAM layout: MC146818 registers 0x00-0x0D (datasheet, "Address Map") and the IBM PC/AT
/// BIOS bytes above them (AT Technical Reference, "CMOS RAM Address Map"; QEMU's hw/i386/pc.c for
/// 0x30-0x35 and 0x5B-0x5D).
/// </summary>
public enum CmosOffset : byte
{
    /// <summary>Clock seconds, 0-59 (BCD or binary per register B).</summary>
    Seconds = 0x00,
    /// <summary>Alarm seconds; 0xC0-0xFF matches any value.</summary>
    SecondsAlarm = 0x01,
    /// <summary>Clock minutes, 0-59.</summary>
    Minutes = 0x02,
    /// <summary>Alarm minutes; 0xC0-0xFF matches any value.</summary>
    MinutesAlarm = 0x03,
    /// <summary>Clock hours: 0-23, or 1-12 with bit 7 for PM in 12-hour mode.</summary>
    Hours = 0x04,
    /// <summary>Alarm hours; 0xC0-0xFF matches any value.</summary>
    HoursAlarm = 0x05,
    /// <summary>Day of the week, 1-7 (Sunday is 1).</summary>
    DayOfWeek = 0x06,
    /// <summary>Day of the month, 1-31.</summary>
    DayOfMonth = 0x07,
    /// <summary>Month, 1-12.</summary>
    Month = 0x08,
    /// <summary>Year within the century, 0-99.</summary>
    Year = 0x09,
    /// <summary>Register A: update-in-progress, divider and periodic rate.</summary>
    StatusA = 0x0A,
    /// <summary>Register B: SET, interrupt enables, data mode, 24-hour mode.</summary>
    StatusB = 0x0B,
    /// <summary>Register C: interrupt flags, cleared by reading it.</summary>
    StatusC = 0x0C,
    /// <summary>Register D: valid RAM and time (VRT), read-only.</summary>
    StatusD = 0x0D,
    /// <summary>POST diagnostic status.</summary>
    Diagnostic = 0x0E,
    /// <summary>Shutdown status: why the BIOS was entered through reset (read by the BIOS's reset vector).</summary>
    Shutdown = 0x0F,
    /// <summary>
    /// Floppy drive types: drive A in the high nibble, drive B in the low nibble (<see cref="CmosFloppyType"/>).
    /// </summary>
    FloppyTypes = 0x10,
    /// <summary>Hard disk types of drives 0 and 1 (high and low nibble; 0xF: see the extended type bytes).</summary>
    HardDiskTypes = 0x12,
    /// <summary>Equipment byte: floppy drive count and presence, display type, coprocessor.</summary>
    Equipment = 0x14,
    /// <summary>Base memory in KiB, low byte (640 on a PC).</summary>
    BaseMemoryLow = 0x15,
    /// <summary>Base memory in KiB, high byte.</summary>
    BaseMemoryHigh = 0x16,
    /// <summary>Memory from 1 MiB to 64 MiB in KiB, low byte.</summary>
    ExtendedMemoryLow = 0x17,
    /// <summary>Memory from 1 MiB to 64 MiB in KiB, high byte.</summary>
    ExtendedMemoryHigh = 0x18,
    /// <summary>Extended type of hard disk 0 (47 for user-defined geometry).</summary>
    HardDisk0ExtendedType = 0x19,
    /// <summary>Extended type of hard disk 1.</summary>
    HardDisk1ExtendedType = 0x1A,
    /// <summary>First byte of hard disk 0's user-defined geometry (cylinders, heads, precompensation, sectors).</summary>
    HardDisk0Parameters = 0x1B,
    /// <summary>First byte of hard disk 1's user-defined geometry.</summary>
    HardDisk1Parameters = 0x24,
    /// <summary>First byte covered by the standard checksum.</summary>
    ChecksumFirst = 0x10,
    /// <summary>Last byte covered by the standard checksum.</summary>
    ChecksumLast = 0x2D,
    /// <summary>Checksum of bytes 0x10-0x2D, high byte.</summary>
    ChecksumHigh = 0x2E,
    /// <summary>Checksum of bytes 0x10-0x2D, low byte.</summary>
    ChecksumLow = 0x2F,
    /// <summary>Memory from 1 MiB to 64 MiB in KiB, low byte (copy at 0x30).</summary>
    ExtendedMemory2Low = 0x30,
    /// <summary>Memory from 1 MiB to 64 MiB in KiB, high byte (copy at 0x31).</summary>
    ExtendedMemory2High = 0x31,
    /// <summary>Century, BCD or binary like the year (the IBM convention QEMU follows).</summary>
    Century = 0x32,
    /// <summary>Memory from 16 MiB to 4 GiB in 64 KiB units, low byte (QEMU/Bochs BIOS convention).</summary>
    HighMemoryLow = 0x34,
    /// <summary>Memory from 16 MiB to 4 GiB in 64 KiB units, high byte.</summary>
    HighMemoryHigh = 0x35,

    /// <summary>Third boot device in bits 7-4; bit 0 set skips the floppy boot-signature check (QEMU/Bochs BIOS convention).</summary>
    BootOrderSecond = 0x38,

    /// <summary>BIOS CHS translation of IDE drives 0-3, two bits each from bit 0 (QEMU/Bochs BIOS convention: 0 none, 1 LBA, 2 LARGE, 3 R-ECHS).</summary>
    DiskTranslation = 0x39,

    /// <summary>First boot device in bits 3-0, second in bits 7-4 (1 floppy, 2 hard disk, 3 CD-ROM, 4 network).</summary>
    BootOrderFirst = 0x3D,
    /// <summary>Memory above 4 GiB in 64 KiB units, bytes 0x5B-0x5D little-endian (QEMU/Bochs BIOS convention).</summary>
    AboveFourGigabytesLow = 0x5B,
}
