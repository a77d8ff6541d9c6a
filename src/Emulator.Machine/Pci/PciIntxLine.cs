using Emulator.Machine.Interrupts;

namespace Emulator.Machine.Pci;

/// <summary>One function's INTx# output as handed out by <see cref="PciInterruptRouter"/>; level-sensitive and shareable.</summary>
public sealed class PciIntxLine : IIrqLine
{
    private readonly PciInterruptRouter _router;
    private bool _level;

    internal PciIntxLine(PciInterruptRouter router, int pirq)
    {
        _router = router;
        Pirq = pirq;
    }

    /// <summary>The PIRQ (0 = PIRQA#) this pin is wired to.</summary>
    public int Pirq { get; }

    /// <summary>Asserts INTx#; the PIRQ stays asserted while any function sharing it asserts.</summary>
    public void Raise()
    {
        if (!_level)
        {
            _level = true;
            _router.Change(Pirq, raise: true);
        }
    }

    /// <summary>Deasserts this function's INTx#.</summary>
    public void Lower()
    {
        if (_level)
        {
            _level = false;
            _router.Change(Pirq, raise: false);
        }
    }
}
