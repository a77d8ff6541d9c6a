namespace Emulator.Machine.Pci;

/// <summary>The address space a base address register decodes (PCI Local Bus Specification 3.0, section 6.2.5.1).</summary>
public enum PciBarKind
{
    Io,
    Memory32,
}
