using Emulator.Machine.Bus;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Dma;

/// <summary>
/// The PC/AT ISA DMA subsystem: two cascaded 8237A controllers (<see cref="Dma8237"/>) — channels
/// 0-3 (8-bit) at ports 0x00-0x0F and channels 4-7 (16-bit, word addressed) at 0xC0-0xDF with
/// registers on even ports (odd ports alias them) — plus the 74LS612 page registers at 0x81-0x8F
/// (channel 2 at 0x81, 3 at 0x82, 1 at 0x83, 0 at 0x87, 6 at 0x89, 7 at 0x8A, 5 at 0x8B; the
/// other bytes are plain storage, port 0x80 is left to a POST-code device) and the EISA/PIIX high
/// page registers at 0x481-0x48F with the same layout (a low page write clears the high page). Devices reach their channel through
/// <see cref="GetChannel"/>; data moves between guest memory (<see cref="IDmaMemory"/>) and the
/// device only when the device asks (see <see cref="DmaChannel"/>).
/// </summary>
public sealed class IsaDma : IPortDevice, IResettable
{
    /// <summary>First port of the first (8-bit) controller's register block.</summary>
    public const ushort FirstControllerPort = 0x00;
    /// <summary>First port of the second (16-bit) controller's register block; registers are on even ports.</summary>
    public const ushort SecondControllerPort = 0xC0;
    /// <summary>First page register port (channel 2); the block runs to 0x8F.</summary>
    public const ushort PagePort = 0x81;
    /// <summary>First high page register port; same layout as the page registers, 0x400 higher.</summary>
    public const ushort HighPagePort = 0x481;
    /// <summary>Ports of the first controller's register block.</summary>
    public const int ControllerPorts = 16;
    /// <summary>Ports of the second controller's register block (16 registers on even addresses).</summary>
    public const int SecondControllerPorts = 32;
    /// <summary>Ports of the page register block (0x81-0x8F, and the same for the high page block).</summary>
    public const int PagePorts = 15;
    /// <summary>ISA DMA channels: 0-3 on the first controller, 4-7 on the second (4 is the cascade).</summary>
    public const int ChannelCount = 8;

    private const int ChannelsPerController = 4;
    private const ushort PageBase = 0x80;
    private const ushort HighPageBase = 0x480;

    /// <summary>Page register offset from 0x80 for channels 0-7 (IBM AT Technical Reference, "DMA Page Registers").</summary>
    private static readonly int[] PageOffsets = [0x07, 0x03, 0x01, 0x02, 0x0F, 0x0B, 0x09, 0x0A];

    private readonly Dma8237 _first;
    private readonly Dma8237 _second;
    private readonly byte[] _pageScratch = new byte[PagePorts + 1];
    private readonly byte[] _highPageScratch = new byte[PagePorts + 1];
    private readonly int[] _channelOfPageOffset = new int[PagePorts + 1];

    /// <summary>
    /// Both controllers at power-on (all channels masked), moving data through <paramref name="memory"/>; call <see
    /// cref="RegisterPorts"/> to claim the ports.
    /// </summary>
    public IsaDma(IDmaMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _first = new Dma8237(memory, 0, sixteenBit: false);
        _second = new Dma8237(memory, ChannelsPerController, sixteenBit: true);
        Array.Fill(_channelOfPageOffset, -1);
        for (var channel = 0; channel < ChannelCount; channel++)
        {
            _channelOfPageOffset[PageOffsets[channel]] = channel;
        }
    }

    /// <summary>The controller of channels 0-3.</summary>
    public Dma8237 FirstController => _first;

    /// <summary>The controller of channels 4-7 (channel 4 cascades the first controller).</summary>
    public Dma8237 SecondController => _second;

    /// <summary>Channel <paramref name="number"/> (0-7); channel 4 is the cascade and never carries data.</summary>
    public DmaChannel GetChannel(int number)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(number, ChannelCount);
        return number < ChannelsPerController ? _first[number] : _second[number - ChannelsPerController];
    }

    /// <summary>
    /// System reset: both controllers master-cleared (every channel masked, modes cleared), as the
    /// RESET pin does and QEMU's i8257 reset does; address, count and page registers keep their values.
    /// </summary>
    public void Reset()
    {
        _first.MasterClear();
        _second.MasterClear();
    }

    /// <inheritdoc/>
    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, FirstControllerPort, ControllerPorts);
        bus.Register(this, SecondControllerPort, SecondControllerPorts);
        bus.Register(this, PagePort, PagePorts);
        bus.Register(this, HighPagePort, PagePorts);
    }

    /// <inheritdoc/>
    public uint Read(ushort port, PortWidth width)
    {
        if (port < ControllerPorts)
        {
            return _first.Read(port);
        }

        if (port >= SecondControllerPort && port < SecondControllerPort + SecondControllerPorts)
        {
            return _second.Read((port - SecondControllerPort) >> 1);
        }

        var high = port >= HighPageBase;
        var offset = port - (high ? HighPageBase : PageBase);
        var channel = _channelOfPageOffset[offset];
        if (channel < 0)
        {
            return high ? _highPageScratch[offset] : _pageScratch[offset];
        }

        var dma = GetChannel(channel);
        return high ? dma.HighPage : dma.Page;
    }

    /// <inheritdoc/>
    public void Write(ushort port, PortWidth width, uint value)
    {
        var b = (byte)value;
        if (port < ControllerPorts)
        {
            _first.Write(port, b);
            return;
        }

        if (port >= SecondControllerPort && port < SecondControllerPort + SecondControllerPorts)
        {
            _second.Write((port - SecondControllerPort) >> 1, b);
            return;
        }

        var high = port >= HighPageBase;
        var offset = port - (high ? HighPageBase : PageBase);
        var channel = _channelOfPageOffset[offset];
        if (channel < 0)
        {
            (high ? _highPageScratch : _pageScratch)[offset] = b;
        }
        else if (high)
        {
            GetChannel(channel).HighPage = b;
        }
        else
        {
            // Writing a low page register clears its high page (EISA DMA, Intel 82374EB "DMA Page Registers"),
            // so software that only knows the ISA page register never inherits a stale address above 16 MiB.
            var dma = GetChannel(channel);
            dma.Page = b;
            dma.HighPage = 0;
        }
    }
}
