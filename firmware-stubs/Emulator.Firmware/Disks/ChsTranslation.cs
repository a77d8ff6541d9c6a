namespace Emulator.Firmware.Disks;

/// <summary>
/// How the BIOS maps a hard disk's physical geometry to the logical one INT 13h reports, with the
/// values QEMU stores for IDE drives 0-3 in CMOS 39h (two bits each): none, LBA-assisted, LARGE
/// (bit-shift), revised ECHS.
/// </summary>
internal enum ChsTranslation : byte
{
    None = 0,
    Lba = 1,
    Large = 2,
    Rechs = 3,
}
