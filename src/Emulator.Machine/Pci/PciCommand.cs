namespace Emulator.Machine.Pci;

/// <summary>Command register bits (PCI Local Bus Specification 3.0, section 6.2.2).</summary>
[Flags]
public enum PciCommand : ushort
{
    None = 0,
    IoSpace = 0x0001,
    MemorySpace = 0x0002,
    BusMaster = 0x0004,
    SpecialCycles = 0x0008,
    MemoryWriteInvalidate = 0x0010,
    VgaPaletteSnoop = 0x0020,
    ParityErrorResponse = 0x0040,
    Serr = 0x0100,
    FastBackToBack = 0x0200,
    InterruptDisable = 0x0400,

    /// <summary>The bits a conventional PCI function typically implements as writable.</summary>
    Writable = IoSpace | MemorySpace | BusMaster | ParityErrorResponse | Serr | InterruptDisable,
}
