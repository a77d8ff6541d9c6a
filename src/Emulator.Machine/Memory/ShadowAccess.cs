namespace Emulator.Machine.Memory;

/// <summary>
/// What a page of the 0xC0000-0xFFFFF shadow area decodes to, as the i440FX's PAM fields select it
/// (440FX datasheet 290549, section 3.2.18; QEMU hw/pci-host/pam.c).
/// </summary>
public enum ShadowAccess
{
    /// <summary>PAM 00: reads and writes go to PCI (the BIOS ROM there, or nothing); DRAM is hidden.</summary>
    Pci,

    /// <summary>PAM 01 (RE): reads come from DRAM, writes go to PCI and are lost.</summary>
    ReadOnly,

    /// <summary>PAM 11 (RE|WE), and PAM 10 (WE) as QEMU maps it: DRAM for reads and writes.</summary>
    ReadWrite,
}
