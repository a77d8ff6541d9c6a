namespace Emulator.Machine.Pci;

/// <summary>Command register bits (PCI Local Bus Specification 3.0, section 6.2.2).</summary>
[Flags]
public enum PciCommand : ushort
{
    /// <summary>Everything off: the function decodes nothing and does not master the bus (the reset value).</summary>
    None = 0,
    /// <summary>Bit 0: respond to accesses to I/O BARs.</summary>
    IoSpace = 0x0001,
    /// <summary>Bit 1: respond to accesses to memory BARs.</summary>
    MemorySpace = 0x0002,
    /// <summary>Bit 2: the function may master the bus (DMA); without it a device must not touch guest memory.</summary>
    BusMaster = 0x0004,
    /// <summary>Bit 3: respond to special cycles; read-only zero here.</summary>
    SpecialCycles = 0x0008,
    /// <summary>Bit 4: memory write and invalidate allowed; read-only zero here.</summary>
    MemoryWriteInvalidate = 0x0010,
    /// <summary>Bit 5: VGA palette snooping; read-only zero here.</summary>
    VgaPaletteSnoop = 0x0020,
    /// <summary>Bit 6: report parity errors.</summary>
    ParityErrorResponse = 0x0040,
    /// <summary>Bit 8: drive SERR#.</summary>
    Serr = 0x0100,
    /// <summary>Bit 9: fast back-to-back transactions to different targets; read-only zero here.</summary>
    FastBackToBack = 0x0200,
    /// <summary>Bit 10: the function must not assert INTx# (MSI still works).</summary>
    InterruptDisable = 0x0400,

    /// <summary>The bits a conventional PCI function typically implements as writable.</summary>
    Writable = IoSpace | MemorySpace | BusMaster | ParityErrorResponse | Serr | InterruptDisable,
}
