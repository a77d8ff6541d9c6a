namespace Emulator.Machine.Pci;

/// <summary>The address space a base address register decodes (PCI Local Bus Specification 3.0, section 6.2.5.1).</summary>
public enum PciBarKind
{
    /// <summary>An I/O space BAR (bit 0 set), routed through the port bus.</summary>
    Io,
    /// <summary>A 32-bit memory space BAR, mapped into guest physical memory.</summary>
    Memory32,
}
