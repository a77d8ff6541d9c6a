using Emulator.Machine.Bus;

namespace Emulator.Firmware.Hardware;

/// <summary>PCI configuration mechanism #1 (address at CF8h, data at CFCh) for bus 0, as firmware uses it.</summary>
internal sealed class PciPorts(IoPortBus ports)
{
    public const ushort AddressPort = 0xCF8;
    public const ushort DataPort = 0xCFC;
    private const uint Enable = 0x80000000;

    public const int VendorId = 0x00;
    public const int DeviceId = 0x02;
    public const int Command = 0x04;
    public const int ClassRevision = 0x08;
    public const int HeaderType = 0x0E;
    public const int Bar0 = 0x10;
    public const int InterruptLine = 0x3C;
    public const int InterruptPin = 0x3D;

    public uint Read32(int device, int function, int offset)
    {
        ports.Write(AddressPort, PortWidth.Dword, Address(device, function, offset));
        return ports.Read(DataPort, PortWidth.Dword);
    }

    public ushort Read16(int device, int function, int offset) =>
        (ushort)(Read32(device, function, offset & ~3) >> ((offset & 2) * 8));

    public byte Read8(int device, int function, int offset) =>
        (byte)(Read32(device, function, offset & ~3) >> ((offset & 3) * 8));

    public void Write32(int device, int function, int offset, uint value)
    {
        ports.Write(AddressPort, PortWidth.Dword, Address(device, function, offset));
        ports.Write(DataPort, PortWidth.Dword, value);
    }

    public void Write16(int device, int function, int offset, ushort value)
    {
        ports.Write(AddressPort, PortWidth.Dword, Address(device, function, offset));
        ports.Write((ushort)(DataPort + (offset & 2)), PortWidth.Word, value);
    }

    public void Write8(int device, int function, int offset, byte value)
    {
        ports.Write(AddressPort, PortWidth.Dword, Address(device, function, offset));
        ports.Write((ushort)(DataPort + (offset & 3)), PortWidth.Byte, value);
    }

    private static uint Address(int device, int function, int offset) =>
        Enable | ((uint)device << 11) | ((uint)function << 8) | ((uint)offset & 0xFC);
}
