namespace Emulator.Machine.Interrupts;

/// <summary>
/// The sixteen ISA IRQ lines of the board. Each device gets the <see cref="IIrqLine"/> for its IRQ
/// number; a line fans out to the 8259A pair and, when present, the I/O APIC, so both controllers
/// see the same level at all times. Lines remember their level, so repeated raises are harmless.
/// </summary>
public sealed class IsaIrqLines
{
    private readonly IsaIrqLine[] _lines = new IsaIrqLine[PicPair.IrqCount];

    /// <summary>
    /// Sixteen lines, each reporting its level changes to every one of <paramref name="sinks"/> in order (the PIC
    /// pair, then the I/O APIC on a PC).
    /// </summary>
    public IsaIrqLines(params IIsaIrqSink[] sinks)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        var copy = sinks.ToArray();
        for (var i = 0; i < _lines.Length; i++)
        {
            _lines[i] = new IsaIrqLine(i, copy);
        }
    }

    /// <summary>The line for ISA IRQ <paramref name="irq"/> (0-15).</summary>
    public IsaIrqLine this[int irq] => _lines[irq];
}
