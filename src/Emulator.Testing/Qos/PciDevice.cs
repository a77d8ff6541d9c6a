namespace Emulator.Testing.Qos;

/// <summary>libqos's QPCIDevice: one function on bus 0, its identity, command register and BARs.</summary>
public sealed class PciDevice
{
    public const int VendorIdOffset = 0x00;
    public const int DeviceIdOffset = 0x02;
    public const int CommandOffset = 0x04;
    public const int ClassOffset = 0x08;
    public const int Bar0Offset = 0x10;
    public const int BarCount = 6;

    /// <summary>Command register bits (PCI 3.0, 6.2.2).</summary>
    public const ushort IoSpace = 0x0001;
    public const ushort MemorySpace = 0x0002;
    public const ushort BusMaster = 0x0004;

    private const uint BarIo = 0x1;
    private const uint BarIoMask = 0xFFFF_FFFC;
    private const uint BarMemoryMask = 0xFFFF_FFF0;
    private const uint BarTypeMask = 0x6;
    private const uint BarType64 = 0x4;
    private const int FunctionsPerSlot = 8;
    private const int ClassShift = 8;

    internal PciDevice(PciBus bus, int devFn)
    {
        Bus = bus;
        DevFn = devFn;
        VendorId = bus.ConfigReadW(devFn, VendorIdOffset);
        DeviceId = bus.ConfigReadW(devFn, DeviceIdOffset);
        ClassCode = bus.ConfigReadL(devFn, ClassOffset) >> ClassShift;
    }

    public PciBus Bus { get; }

    /// <summary>Slot × 8 + function.</summary>
    public int DevFn { get; }

    public int Slot => DevFn / FunctionsPerSlot;

    public int Function => DevFn % FunctionsPerSlot;

    public ushort VendorId { get; }

    public ushort DeviceId { get; }

    /// <summary>Base class, subclass and programming interface (24 bits).</summary>
    public uint ClassCode { get; }

    public uint ConfigReadL(int offset) => Bus.ConfigReadL(DevFn, offset);

    public ushort ConfigReadW(int offset) => Bus.ConfigReadW(DevFn, offset);

    public byte ConfigReadB(int offset) => Bus.ConfigReadB(DevFn, offset);

    public void ConfigWriteL(int offset, uint value) => Bus.ConfigWriteL(DevFn, offset, value);

    public void ConfigWriteW(int offset, ushort value) => Bus.ConfigWriteW(DevFn, offset, value);

    public void ConfigWriteB(int offset, byte value) => Bus.ConfigWriteB(DevFn, offset, value);

    /// <summary>libqos's qpci_device_enable: I/O and memory decoding and bus mastering on.</summary>
    public void Enable() => ConfigWriteW(CommandOffset, (ushort)(ConfigReadW(CommandOffset) | IoSpace | MemorySpace | BusMaster));

    /// <summary>
    /// libqos's qpci_iomap: sizes BAR <paramref name="index"/> (all ones written, the mask read back), places it in
    /// the bus's I/O or memory window, and returns the mapping. A BAR that decodes nothing is an
    /// <see cref="InvalidOperationException"/>. Decoding still has to be enabled (<see cref="Enable"/>).
    /// </summary>
    public PciBar MapBar(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BarCount);
        var offset = Bar0Offset + (4 * index);
        ConfigWriteL(offset, uint.MaxValue);
        var probe = ConfigReadL(offset);
        if (probe == 0)
        {
            throw new InvalidOperationException($"{VendorId:x4}:{DeviceId:x4} BAR{index} decodes nothing");
        }

        var io = (probe & BarIo) != 0;
        var is64 = !io && (probe & BarTypeMask) == BarType64;
        ulong mask = probe & (io ? BarIoMask : BarMemoryMask);
        if (io)
        {
            mask |= 0xFFFF_0000;
        }

        if (is64)
        {
            ConfigWriteL(offset + 4, uint.MaxValue);
            mask |= (ulong)ConfigReadL(offset + 4) << 32;
        }
        else
        {
            mask |= 0xFFFF_FFFF_0000_0000;
        }

        var size = ~mask + 1;
        var address = Bus.Allocate(size, io);
        ConfigWriteL(offset, (uint)address);
        if (is64)
        {
            ConfigWriteL(offset + 4, (uint)(address >> 32));
        }

        return new PciBar(Bus.Qtest, address, size, io);
    }

    /// <summary>The address BAR <paramref name="index"/> holds now (as firmware or an earlier mapping left it), without sizing it.</summary>
    public PciBar CurrentBar(int index, ulong size)
    {
        var value = ConfigReadL(Bar0Offset + (4 * index));
        var io = (value & BarIo) != 0;
        return new PciBar(Bus.Qtest, value & (io ? BarIoMask : BarMemoryMask), size, io);
    }
}
