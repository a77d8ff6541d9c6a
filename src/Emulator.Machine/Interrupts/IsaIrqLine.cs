namespace Emulator.Machine.Interrupts;

/// <summary>
/// One ISA IRQ line; see <see cref="IsaIrqLines"/>. The ISA device that owns the line drives it
/// with <see cref="Raise"/>/<see cref="Lower"/>; a PCI interrupt the PIIX3 routes here is a second,
/// wired-OR source (<see cref="SetRoutedLevel"/>), so neither can pull the line low under the other.
/// Sinks are told only when the resulting level changes.
/// </summary>
public sealed class IsaIrqLine : IIrqLine
{
    private readonly IIsaIrqSink[] _sinks;
    private bool _deviceLevel;
    private bool _routedLevel;

    internal IsaIrqLine(int irq, IIsaIrqSink[] sinks)
    {
        Irq = irq;
        _sinks = sinks;
    }

    /// <summary>The ISA IRQ number, 0-15.</summary>
    public int Irq { get; }

    /// <summary>The level the controllers see: the device's level OR the routed PCI level.</summary>
    public bool Level => _deviceLevel || _routedLevel;

    /// <inheritdoc/>
    public void Raise() => Set(true);

    /// <inheritdoc/>
    public void Lower() => Set(false);

    /// <summary>Drives the ISA device's own contribution.</summary>
    public void Set(bool level)
    {
        var before = Level;
        _deviceLevel = level;
        NotifyIfChanged(before);
    }

    /// <summary>Drives the contribution of PCI interrupts routed to this IRQ.</summary>
    internal void SetRoutedLevel(bool level)
    {
        var before = Level;
        _routedLevel = level;
        NotifyIfChanged(before);
    }

    private void NotifyIfChanged(bool before)
    {
        var level = Level;
        if (level == before)
        {
            return;
        }

        foreach (var sink in _sinks)
        {
            sink.SetIrq(Irq, level);
        }
    }
}
