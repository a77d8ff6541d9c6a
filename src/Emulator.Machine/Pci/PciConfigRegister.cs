namespace Emulator.Machine.Pci;

/// <summary>Type 0 configuration header offsets (PCI Local Bus Specification 3.0, section 6.1, Figure 6-1).</summary>
public enum PciConfigRegister : byte
{
    /// <summary>Vendor ID, 16 bits, read-only.</summary>
    VendorId = 0x00,
    /// <summary>Device ID, 16 bits, read-only.</summary>
    DeviceId = 0x02,
    /// <summary>Command register, 16 bits (<see cref="PciCommand"/>).</summary>
    Command = 0x04,
    /// <summary>Status register, 16 bits (<see cref="PciStatus"/>; error bits write-one-to-clear).</summary>
    Status = 0x06,
    /// <summary>Revision ID, 8 bits.</summary>
    RevisionId = 0x08,
    /// <summary>Programming interface byte of the class code.</summary>
    ProgrammingInterface = 0x09,
    /// <summary>Sub-class byte of the class code.</summary>
    SubClass = 0x0A,
    /// <summary>Base class byte of the class code.</summary>
    BaseClass = 0x0B,
    /// <summary>Cache line size, in doublewords.</summary>
    CacheLineSize = 0x0C,
    /// <summary>Latency timer, in PCI clocks.</summary>
    LatencyTimer = 0x0D,
    /// <summary>Header type; bit 7 marks a multi-function device.</summary>
    HeaderType = 0x0E,
    /// <summary>Built-in self-test register.</summary>
    Bist = 0x0F,
    /// <summary>First base address register; BAR n is at 0x10 + 4n.</summary>
    Bar0 = 0x10,
    /// <summary>Last byte of BAR 5.</summary>
    Bar5End = 0x27,
    /// <summary>Subsystem vendor ID, 16 bits.</summary>
    SubsystemVendorId = 0x2C,
    /// <summary>Subsystem ID, 16 bits.</summary>
    SubsystemId = 0x2E,
    /// <summary>Expansion ROM base address (not implemented: reads zero).</summary>
    ExpansionRom = 0x30,
    /// <summary>Offset of the first capability, valid when the status register's capability-list bit is set.</summary>
    CapabilitiesPointer = 0x34,
    /// <summary>
    /// Interrupt line: the IRQ the firmware routed INTx# to, for the driver to read; the hardware ignores it.
    /// </summary>
    InterruptLine = 0x3C,
    /// <summary>Interrupt pin: 1-4 for INTA#-INTD#, 0 for none; read-only.</summary>
    InterruptPin = 0x3D,
    /// <summary>Min_Gnt, read-only.</summary>
    MinGrant = 0x3E,
    /// <summary>Max_Lat, read-only.</summary>
    MaxLatency = 0x3F,

    /// <summary>First byte after the standard header: device-specific registers and capabilities.</summary>
    DeviceSpecific = 0x40,
}
