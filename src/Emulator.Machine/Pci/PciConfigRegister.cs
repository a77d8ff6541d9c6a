namespace Emulator.Machine.Pci;

/// <summary>Type 0 configuration header offsets (PCI Local Bus Specification 3.0, section 6.1, Figure 6-1).</summary>
public enum PciConfigRegister : byte
{
    VendorId = 0x00,
    DeviceId = 0x02,
    Command = 0x04,
    Status = 0x06,
    RevisionId = 0x08,
    ProgrammingInterface = 0x09,
    SubClass = 0x0A,
    BaseClass = 0x0B,
    CacheLineSize = 0x0C,
    LatencyTimer = 0x0D,
    HeaderType = 0x0E,
    Bist = 0x0F,
    Bar0 = 0x10,
    Bar5End = 0x27,
    SubsystemVendorId = 0x2C,
    SubsystemId = 0x2E,
    ExpansionRom = 0x30,
    CapabilitiesPointer = 0x34,
    InterruptLine = 0x3C,
    InterruptPin = 0x3D,
    MinGrant = 0x3E,
    MaxLatency = 0x3F,

    /// <summary>First byte after the standard header: device-specific registers and capabilities.</summary>
    DeviceSpecific = 0x40,
}
