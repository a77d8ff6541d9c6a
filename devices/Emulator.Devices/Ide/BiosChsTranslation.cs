namespace Emulator.Devices.Ide;

/// <summary>
/// The CHS translation a BIOS should apply for INT 13h on this disk (QEMU's bios-chs-trans hint,
/// which it passes to the firmware in CMOS 39h, two bits per IDE drive, with these values):
/// none (logical = physical), LBA-assisted, LARGE (bit-shift), or revised ECHS (15 heads, then LARGE).
/// </summary>
public enum BiosChsTranslation : byte
{
    None = 0,
    Lba = 1,
    Large = 2,
    Rechs = 3,
}
