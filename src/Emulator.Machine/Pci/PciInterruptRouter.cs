using Emulator.Machine.Interrupts;

namespace Emulator.Machine.Pci;

/// <summary>
/// Routes PCI INTx# pins to interrupts the way the PIIX3 board does: device d's pin INTA#-INTD#
/// lands on PIRQ (pin + d - 1) mod 4 (the i440FX board swizzle QEMU uses), each PIRQ is the wired OR
/// of its pins, the PIIX3 PIRQ route registers pick the ISA IRQ (re-evaluated when the guest
/// changes them). As on QEMU 7.2's pc board (only its Xen variant differs), PIRQs reach the I/O APIC
/// only through the ISA IRQ they are routed to: with a route disabled (the reset state) nothing is
/// raised anywhere.
/// The routed level (the OR of all PIRQs routed to that IRQ) is a separate, wired-OR contribution on
/// the <see cref="IsaIrqLine"/>, so an ISA device sharing the IRQ number keeps its own level.
/// </summary>
public sealed class PciInterruptRouter
{
    private const int PinsPerDevice = 4;

    private readonly Piix3IsaBridge _bridge;
    private readonly IsaIrqLines _isa;
    private readonly int[] _assertedCount = new int[Piix3IsaBridge.PirqCount];
    private readonly int?[] _routedIrq = new int?[Piix3IsaBridge.PirqCount];

    internal PciInterruptRouter(Piix3IsaBridge bridge, IsaIrqLines isa)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        ArgumentNullException.ThrowIfNull(isa);
        _bridge = bridge;
        _isa = isa;
        bridge.PirqRoutingChanged += Reroute;
    }

    /// <summary>The line for <paramref name="device"/>'s INTx pin <paramref name="pin"/> (1 = INTA# ... 4 = INTD#).</summary>
    public IIrqLine GetIntxLine(int device, int pin)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pin, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pin, PinsPerDevice);
        return new PciIntxLine(this, (pin - 1 + device - 1 + PinsPerDevice) % Piix3IsaBridge.PirqCount);
    }

    /// <summary>True while at least one INTx# line wired to PIRQ <paramref name="pirq"/> (0-3) is asserted.</summary>
    public bool IsPirqAsserted(int pirq) => _assertedCount[pirq] > 0;

    internal void Change(int pirq, bool raise)
    {
        var before = IsPirqAsserted(pirq);
        _assertedCount[pirq] += raise ? 1 : -1;
        var after = IsPirqAsserted(pirq);
        if (before != after)
        {
            Drive(pirq, after);
        }
    }

    private void Drive(int pirq, bool level)
    {
        if (_routedIrq[pirq] is { } irq)
        {
            RefreshIrq(irq);
        }
    }

    private void Reroute()
    {
        for (var pirq = 0; pirq < Piix3IsaBridge.PirqCount; pirq++)
        {
            var old = _routedIrq[pirq];
            var route = _bridge.GetPirqRoute(pirq);
            if (route == old)
            {
                continue;
            }

            _routedIrq[pirq] = route;
            if (old is { } oldIrq)
            {
                RefreshIrq(oldIrq);
            }

            if (route is { } newIrq)
            {
                RefreshIrq(newIrq);
            }
        }
    }

    /// <summary>The routed contribution on ISA IRQ <paramref name="irq"/>: the OR of every asserted PIRQ routed there.</summary>
    private void RefreshIrq(int irq)
    {
        var level = false;
        for (var pirq = 0; pirq < Piix3IsaBridge.PirqCount; pirq++)
        {
            level |= _routedIrq[pirq] == irq && IsPirqAsserted(pirq);
        }

        _isa[irq].SetRoutedLevel(level);
    }
}
