namespace Emulator.Machine.Interrupts;

/// <summary>Bits of a 64-bit I/O APIC redirection table entry (82093AA datasheet, section 3.2.4).</summary>
[Flags]
internal enum IoApicRedirection : ulong
{
    None = 0,
    VectorMask = 0xFF,
    DeliveryModeMask = 0x700,
    LogicalDestination = 0x800,
    DeliveryPending = 0x1000,
    ActiveLow = 0x2000,
    RemoteIrr = 0x4000,
    LevelTriggered = 0x8000,
    Masked = 0x1_0000,
    DestinationMask = 0xFF00_0000_0000_0000,
}
