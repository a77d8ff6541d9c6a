namespace Emulator.Testing.Qos;

/// <summary>libqos's QPCIDevice: one function on bus 0, its identity, command register and BARs.</summary>
public sealed class PciDevice
{
    /// <summary>Configuration space offsets of the type 0 header (PCI 3.0, 6.1): vendor id.</summary>
    public const int VendorIdOffset = 0x00;
    /// <summary>Device id.</summary>
    public const int DeviceIdOffset = 0x02;
    /// <summary>Command register.</summary>
    public const int CommandOffset = 0x04;
    /// <summary>Revision id and class code (the class in the top 24 bits).</summary>
    public const int ClassOffset = 0x08;
    /// <summary>The first base address register.</summary>
    public const int Bar0Offset = 0x10;
    /// <summary>Base address registers in a type 0 header.</summary>
    public const int BarCount = 6;

    /// <summary>Command register bits (PCI 3.0, 6.2.2): I/O space decoding.</summary>
    public const ushort IoSpace = 0x0001;
    /// <summary>Command: memory space decoding.</summary>
    public const ushort MemorySpace = 0x0002;
    /// <summary>Command: bus mastering.</summary>
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

    /// <summary>The bus the function is on.</summary>
    public PciBus Bus { get; }

    /// <summary>Slot × 8 + function.</summary>
    public int DevFn { get; }

    /// <summary>The device (slot) number.</summary>
    public int Slot => DevFn / FunctionsPerSlot;

    /// <summary>The function number.</summary>
    public int Function => DevFn % FunctionsPerSlot;

    /// <summary>The vendor id read at enumeration.</summary>
    public ushort VendorId { get; }

    /// <summary>The device id read at enumeration.</summary>
    public ushort DeviceId { get; }

    /// <summary>Base class, subclass and programming interface (24 bits).</summary>
    public uint ClassCode { get; }

    /// <summary>A dword of the function's configuration space.</summary>
    public uint ConfigReadL(int offset) => Bus.ConfigReadL(DevFn, offset);

    /// <summary>A word of the function's configuration space.</summary>
    public ushort ConfigReadW(int offset) => Bus.ConfigReadW(DevFn, offset);

    /// <summary>A byte of the function's configuration space.</summary>
    public byte ConfigReadB(int offset) => Bus.ConfigReadB(DevFn, offset);

    /// <summary>Writes a dword of the function's configuration space.</summary>
    public void ConfigWriteL(int offset, uint value) => Bus.ConfigWriteL(DevFn, offset, value);

    /// <summary>Writes a word of the function's configuration space.</summary>
    public void ConfigWriteW(int offset, ushort value) => Bus.ConfigWriteW(DevFn, offset, value);

    /// <summary>Writes a byte of the function's configuration space.</summary>
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
