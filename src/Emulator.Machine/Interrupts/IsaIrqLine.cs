namespace Emulator.Machine.Interrupts;

/// <summary>One ISA IRQ line; see <see cref="IsaIrqLines"/>.</summary>
public sealed class IsaIrqLine : IIrqLine
{
    private readonly IIsaIrqSink[] _sinks;

    internal IsaIrqLine(int irq, IIsaIrqSink[] sinks)
    {
        Irq = irq;
        _sinks = sinks;
    }

    public int Irq { get; }

    public bool Level { get; private set; }

    public void Raise() => Set(true);

    public void Lower() => Set(false);

    public void Set(bool level)
    {
        Level = level;
        foreach (var sink in _sinks)
        {
            sink.SetIrq(Irq, level);
        }
    }
}
