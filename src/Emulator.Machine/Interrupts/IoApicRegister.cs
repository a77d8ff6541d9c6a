namespace Emulator.Machine.Interrupts;

/// <summary>I/O APIC indirect registers selected through IOREGSEL (82093AA datasheet, section 3.2).</summary>
internal enum IoApicRegister : byte
{
    Id = 0x00,
    Version = 0x01,
    Arbitration = 0x02,
    RedirectionTableBase = 0x10,
}
