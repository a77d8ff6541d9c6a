namespace Emulator.Machine.Acpi;

/// <summary>Offsets in the ACPI PCI hotplug block (QEMU docs/specs/acpi_pci_hotplug.rst; hw/acpi/pcihp.c), each a 32-bit register.</summary>
internal enum AcpiPciHotplugRegister
{
    /// <summary>PCIU: slots with a device inserted since the last read (read clears, as QEMU does with bridge support on).</summary>
    Up = 0x00,

    /// <summary>PCID: slots whose removal was requested.</summary>
    Down = 0x04,

    /// <summary>B0EJ: the guest writes a slot bit to eject that slot; reads 0 (no features).</summary>
    Eject = 0x08,

    /// <summary>PCIRMV: slots that may be hot-unplugged.</summary>
    Removable = 0x0C,

    /// <summary>BNUM/SEL: the bus selector (bsel) the other registers act on; bus 0 is the root.</summary>
    Select = 0x10,

    /// <summary>AIDX: acpi-index of a slot (none here, reads 0).</summary>
    AcpiIndex = 0x14,
}
