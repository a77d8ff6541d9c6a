using Emulator.Machine.Bus;

namespace Emulator.Machine.Pci;

/// <summary>
/// PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, section 3.2.2.3.2) as the
/// i440FX decodes it: CONFIG_ADDRESS at 0xCF8 (32-bit; bit 31 enable, bus 23-16, device 15-11,
/// function 10-8, register 7-0) and CONFIG_DATA at 0xCFC-0xCFF. As on QEMU's i440FX, the whole
/// 32-bit CONFIG_ADDRESS is kept and read back (at any of 0xCF8-0xCFB, truncated to the access
/// width), and a data access reaches register (CONFIG_ADDRESS | port &amp; 3) &amp; 0xFF: the low two
/// address bits are not masked off, so QEMU's own test library can select offset 2 at 0xCF8 and
/// read it at 0xCFC. With the enable bit clear, or a bus other than 0, data reads float high and
/// writes are dropped. Port 0xCF9 is the PIIX3 reset control register: writing bit 2 (reset CPU)
/// requests a reset.
/// Limitations: only bus 0 exists; byte and word writes at 0xCF8 are ignored, as on QEMU.
/// </summary>
internal sealed class PciConfigPorts : IPortDevice
{
    public const ushort AddressPort = 0xCF8;
    public const ushort ResetControlPort = 0xCF9;
    public const ushort DataPort = 0xCFC;

    private const uint EnableBit = 0x8000_0000;

    private const int BusShift = 16;
    private const int DeviceShift = 11;
    private const int FunctionShift = 8;
    private const uint BusMask = 0xFF;
    private const uint DeviceMask = 0x1F;
    private const uint FunctionMask = 0x07;
    private const uint RegisterMask = 0xFF;
    private const int ByteLaneMask = 0x03;
    private const byte ResetCpuBit = 0x04;
    private const byte ResetControlWritable = 0x0E;

    private readonly PciBus _bus;
    private readonly Action? _resetRequested;
    private uint _address;
    private byte _resetControl;

    public PciConfigPorts(PciBus bus, Action? resetRequested = null)
    {
        ArgumentNullException.ThrowIfNull(bus);
        _bus = bus;
        _resetRequested = resetRequested;
    }

    /// <summary>The reset control register clears (PIIX3 RC); the address latch keeps its value, as in QEMU.</summary>
    public void Reset() => _resetControl = 0;

    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, AddressPort, 4, PortWidths.All);
        bus.Register(this, DataPort, 4, PortWidths.All);
    }

    public uint Read(ushort port, PortWidth width)
    {
        if (port >= DataPort)
        {
            return TryDecode(port, out var device, out var function, out var offset)
                ? _bus.ReadConfig(device, function, offset, width)
                : uint.MaxValue;
        }

        if (port == ResetControlPort && width == PortWidth.Byte)
        {
            return _resetControl;
        }

        return _address;
    }

    public void Write(ushort port, PortWidth width, uint value)
    {
        if (port >= DataPort)
        {
            if (TryDecode(port, out var device, out var function, out var offset))
            {
                _bus.WriteConfig(device, function, offset, width, value);
            }
        }
        else if (port == AddressPort && width == PortWidth.Dword)
        {
            _address = value;
        }
        else if (port == ResetControlPort && width == PortWidth.Byte)
        {
            _resetControl = (byte)(value & ResetControlWritable);
            if ((value & ResetCpuBit) != 0)
            {
                _resetRequested?.Invoke();
            }
        }
    }

    private bool TryDecode(ushort port, out int device, out int function, out int offset)
    {
        device = (int)((_address >> DeviceShift) & DeviceMask);
        function = (int)((_address >> FunctionShift) & FunctionMask);
        offset = (int)((_address | (uint)(port & ByteLaneMask)) & RegisterMask);
        return (_address & EnableBit) != 0 && ((_address >> BusShift) & BusMask) == 0;
    }
}
