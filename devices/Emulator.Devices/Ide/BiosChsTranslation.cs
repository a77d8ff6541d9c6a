namespace Emulator.Devices.Ide;

/// <summary>
/// The CHS translation a BIOS should apply for INT 13h on this disk (QEMU's bios-chs-trans hint,
/// which it passes to the firmware): none (logical = physical), LARGE (bit-shift), or LBA-assisted.
/// </summary>
public enum BiosChsTranslation : byte
{
    None,
    Large,
    Lba,
}
