using Emulator.Machine.Bus;
using Emulator.Machine.Dma;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Loop;
using Emulator.Machine.Pci;

namespace Emulator.Machine.Lifecycle;

/// <summary>
/// What one installed device hooked into its machine, recorded as it hooks it: port ranges, PCI functions, the
/// IRQ lines and DMA channels it drives. <see cref="PcMachine.Remove"/> undoes all of it: ports unclaimed, functions
/// taken off the bus (their BARs unmapped), lines lowered, DMA requests dropped. Machine thread only.
/// </summary>
public sealed class DeviceHooks
{
    private readonly List<(ushort First, int Count)> _ports = [];
    private readonly List<(int Device, int Function)> _pciFunctions = [];
    private readonly List<IIrqLine> _irqLines = [];
    private readonly List<DmaChannel> _dmaChannels = [];

    internal DeviceHooks(PcMachine machine) => Machine = machine;

    /// <summary>The machine the device is installed in (its memory, clock, and the loop's Post and CPU stop request).</summary>
    public PcMachine Machine { get; }

    /// <summary>Claims <paramref name="count"/> ports from <paramref name="first"/> for <paramref name="device"/> (before the machine starts).</summary>
    /// <exception cref="InvalidOperationException">The machine has started or a port is already claimed.</exception>
    public void ClaimPorts(IPortDevice device, ushort first, int count, PortWidths widths = PortWidths.Byte)
    {
        Machine.Ports.Register(device, first, count, widths);
        _ports.Add((first, count));
    }

    /// <summary>Places <paramref name="pciFunction"/> at 00:<paramref name="device"/>.<paramref name="function"/> on the machine's PCI bus.</summary>
    /// <exception cref="InvalidOperationException">The slot is taken.</exception>
    public void PlacePciFunction(int device, int function, PciFunction pciFunction)
    {
        Machine.Chipset.PciBus.Register(device, function, pciFunction);
        _pciFunctions.Add((device, function));
    }

    /// <summary>The ISA interrupt line <paramref name="irq"/> (0-15), recorded so removal lowers it.</summary>
    public IIrqLine IsaIrq(int irq)
    {
        var line = Machine.Chipset.IrqLines[irq];
        _irqLines.Add(line);
        return line;
    }

    /// <summary>The INTx# line of a function placed with <see cref="PlacePciFunction"/> (its interrupt pin through the PIIX3's PIRQ routing), recorded so removal lowers it.</summary>
    public IIrqLine PciInterrupt(PciFunction pciFunction)
    {
        ArgumentNullException.ThrowIfNull(pciFunction);
        var line = Machine.Chipset.PciInterrupts.GetIntxLine(pciFunction.Device, pciFunction.InterruptPin);
        _irqLines.Add(line);
        return line;
    }

    /// <summary>The ISA DMA channel <paramref name="channel"/> (0-7), recorded so removal drops its request line.</summary>
    public DmaChannel IsaDma(int channel)
    {
        var dma = Machine.Chipset.Dma.GetChannel(channel);
        _dmaChannels.Add(dma);
        return dma;
    }

    /// <summary>Undoes every recorded hook, newest first.</summary>
    internal void UnhookAll()
    {
        foreach (var dma in _dmaChannels)
        {
            dma.SetRequest(false);
        }

        foreach (var line in _irqLines)
        {
            line.Lower();
        }

        for (var i = _pciFunctions.Count - 1; i >= 0; i--)
        {
            Machine.Chipset.PciBus.Unregister(_pciFunctions[i].Device, _pciFunctions[i].Function);
        }

        for (var i = _ports.Count - 1; i >= 0; i--)
        {
            Machine.Ports.Unregister(_ports[i].First, _ports[i].Count);
        }

        _dmaChannels.Clear();
        _irqLines.Clear();
        _pciFunctions.Clear();
        _ports.Clear();
    }
}
