namespace Emulator.Machine.Interrupts;

/// <summary>An interrupt request line a device drives (ISA IRQ 0–15 on the PC). Level semantics: Raise holds it high until Lower.</summary>
public interface IIrqLine
{
    /// <summary>Drives the line high (asserted) until <see cref="Lower"/>; repeated calls are harmless.</summary>
    void Raise();

    /// <summary>Drives the line low (deasserted).</summary>
    void Lower();

    /// <summary>Raise then lower: an edge for edge-triggered inputs.</summary>
    void Pulse()
    {
        Raise();
        Lower();
    }
}
