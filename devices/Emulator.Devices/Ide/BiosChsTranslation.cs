namespace Emulator.Devices.Ide;

/// <summary>
/// The CHS translation a BIOS should apply for INT 13h on this disk (QEMU's bios-chs-trans hint,
/// which it passes to the firmware in CMOS 39h, two bits per IDE drive, with these values):
/// none (logical = physical), LBA-assisted, LARGE (bit-shift), or revised ECHS (15 heads, then LARGE).
/// </summary>
public enum BiosChsTranslation : byte
{
    /// <summary>No translation: the BIOS uses the physical geometry (cylinders above 1024 are clipped).</summary>
    None = 0,
    /// <summary>LBA-assisted translation: 255 heads (or fewer for small disks), 63 sectors per track.</summary>
    Lba = 1,
    /// <summary>LARGE (bit-shift) translation: heads doubled and cylinders halved until cylinders fit in 1024.</summary>
    Large = 2,
    /// <summary>Revised ECHS: 16 heads become 15 first, then LARGE.</summary>
    Rechs = 3,
}
