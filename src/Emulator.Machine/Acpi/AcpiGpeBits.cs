namespace Emulator.Machine.Acpi;

/// <summary>The GPE0 status/enable bits QEMU's pc uses (hw/acpi/pcihp.c, hw/acpi/cpu_hotplug.c; ACPI 6.4 section 4.8.5).</summary>
[Flags]
internal enum AcpiGpeBits : ushort
{
    None = 0,

    /// <summary>GPE0.1: the PCI hotplug register block at <see cref="AcpiPciHotplug.BasePort"/> has news (the _E01 method scans it).</summary>
    PciHotplug = 1 << 1,
}
