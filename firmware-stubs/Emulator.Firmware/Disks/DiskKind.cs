namespace Emulator.Firmware.Disks;

/// <summary>The kinds of drive INT 13h knows.</summary>
internal enum DiskKind
{
    Floppy,
    HardDisk,
    CdRom,
}
