namespace Emulator.Machine.Interrupts;

/// <summary>Something the ISA IRQ lines feed: the 8259A pair and the I/O APIC.</summary>
public interface IIsaIrqSink
{
    /// <summary>ISA IRQ <paramref name="irq"/> (0-15) is now at <paramref name="level"/>.</summary>
    void SetIrq(int irq, bool level);
}
