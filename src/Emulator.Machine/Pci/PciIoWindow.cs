using Emulator.Machine.Bus;

namespace Emulator.Machine.Pci;

/// <summary>
/// Dynamic dispatch for PCI I/O BARs. The <see cref="IoPortBus"/> table is frozen before the guest
/// runs, but the firmware places I/O BARs at run time. So the machine reserves one port range for
/// PCI I/O (SeaBIOS allocates from 0xC000 up, hence the default 0xC000-0xFFFF) and registers this
/// window as its owner; the <see cref="PciBus"/> keeps a per-port table of which function's BAR
/// decodes each port, updated whenever a BAR or command register write moves or disables a BAR.
/// An access looks the port up in that table and calls the function's
/// <see cref="PciFunction.IoRead"/>/<see cref="PciFunction.IoWrite"/> with the offset inside the BAR;
/// unclaimed ports float high. Every width is passed through, so a device sees the guest's own access size.
/// Limitations: an I/O BAR programmed outside the window is not reachable; where two BARs overlap, the
/// one programmed last wins until it moves away.
/// </summary>
internal sealed class PciIoWindow : IPortDevice
{
    public const ushort DefaultFirstPort = 0xC000;
    public const int DefaultPortCount = 0x4000;

    private readonly PciFunction?[] _owner;
    private readonly byte[] _bar;
    private readonly ushort[] _barBase;

    public PciIoWindow(ushort firstPort = DefaultFirstPort, int portCount = DefaultPortCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(portCount);
        FirstPort = firstPort;
        PortCount = portCount;
        _owner = new PciFunction?[portCount];
        _bar = new byte[portCount];
        _barBase = new ushort[portCount];
    }

    public ushort FirstPort { get; }

    public int PortCount { get; }

    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, FirstPort, PortCount, PortWidths.All);
    }

    public uint Read(ushort port, PortWidth width)
    {
        var slot = port - FirstPort;
        var owner = _owner[slot];
        return owner is null ? uint.MaxValue : owner.IoRead(_bar[slot], port - _barBase[slot], width);
    }

    public void Write(ushort port, PortWidth width, uint value)
    {
        var slot = port - FirstPort;
        _owner[slot]?.IoWrite(_bar[slot], port - _barBase[slot], width, value);
    }

    internal void Unmap(PciFunction function, int bar, ulong address, uint size)
    {
        ForEachSlot(address, size, slot =>
        {
            if (_owner[slot] == function && _bar[slot] == bar)
            {
                _owner[slot] = null;
            }
        });
    }

    internal void Map(PciFunction function, int bar, ulong address, uint size)
    {
        ForEachSlot(address, size, slot =>
        {
            _owner[slot] = function;
            _bar[slot] = (byte)bar;
            _barBase[slot] = (ushort)address;
        });
    }

    private void ForEachSlot(ulong address, uint size, Action<int> action)
    {
        for (var port = address; port < address + size; port++)
        {
            var slot = (long)port - FirstPort;
            if (slot >= 0 && slot < PortCount)
            {
                action((int)slot);
            }
        }
    }
}
