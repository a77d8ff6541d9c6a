namespace Emulator.Testing.Qos;

/// <summary>
/// libqos's QPCIBus for the pc machine: configuration space of bus 0 through configuration mechanism #1
/// (ports CF8h/CFCh), enumeration, and the BAR windows libqos hands out (I/O from C000h, memory from
/// E0000000h up to 4 GiB).
/// </summary>
public sealed class PciBus
{
    /// <summary>CONFIG_ADDRESS (PCI Local Bus 3.0, 3.2.2.3.2).</summary>
    public const ushort ConfigAddressPort = 0xCF8;
    /// <summary>CONFIG_DATA.</summary>
    public const ushort ConfigDataPort = 0xCFC;

    private const uint ConfigEnable = 0x8000_0000;
    private const int DevFnShift = 8;
    private const int FunctionsPerBus = 256;
    private const int FunctionsPerSlot = 8;
    private const ushort NoDevice = 0xFFFF;
    private const int HeaderTypeOffset = 0x0E;
    private const byte MultiFunction = 0x80;

    /// <summary>Where libqos's pc bus starts placing I/O BARs.</summary>
    public const uint IoWindowStart = 0xC000;
    /// <summary>The end of the I/O window (exclusive).</summary>
    public const uint IoWindowEnd = 0x1_0000;
    /// <summary>Where memory BARs start.</summary>
    public const ulong MemoryWindowStart = 0xE000_0000;
    /// <summary>The end of the memory window (exclusive): 4 GiB.</summary>
    public const ulong MemoryWindowEnd = 0x1_0000_0000;

    private uint _nextIo = IoWindowStart;
    private ulong _nextMemory = MemoryWindowStart;

    /// <summary>Bus 0 of the pc machine behind <paramref name="qtest"/>.</summary>
    public PciBus(IQtest qtest)
    {
        ArgumentNullException.ThrowIfNull(qtest);
        Qtest = qtest;
    }

    /// <summary>The transport every helper on this bus uses.</summary>
    public IQtest Qtest { get; }

    /// <summary>A dword of function <paramref name="devFn"/>'s configuration space.</summary>
    public uint ConfigReadL(int devFn, int offset)
    {
        Select(devFn, offset);
        return Qtest.InL(ConfigDataPort);
    }

    /// <summary>A word of function <paramref name="devFn"/>'s configuration space.</summary>
    public ushort ConfigReadW(int devFn, int offset)
    {
        Select(devFn, offset);
        return Qtest.InW((ushort)(ConfigDataPort + (offset & 2)));
    }

    /// <summary>A byte of function <paramref name="devFn"/>'s configuration space.</summary>
    public byte ConfigReadB(int devFn, int offset)
    {
        Select(devFn, offset);
        return Qtest.InB((ushort)(ConfigDataPort + (offset & 3)));
    }

    /// <summary>Writes a dword of function <paramref name="devFn"/>'s configuration space.</summary>
    public void ConfigWriteL(int devFn, int offset, uint value)
    {
        Select(devFn, offset);
        Qtest.OutL(ConfigDataPort, value);
    }

    /// <summary>Writes a word of function <paramref name="devFn"/>'s configuration space.</summary>
    public void ConfigWriteW(int devFn, int offset, ushort value)
    {
        Select(devFn, offset);
        Qtest.OutW((ushort)(ConfigDataPort + (offset & 2)), value);
    }

    /// <summary>Writes a byte of function <paramref name="devFn"/>'s configuration space.</summary>
    public void ConfigWriteB(int devFn, int offset, byte value)
    {
        Select(devFn, offset);
        Qtest.OutB((ushort)(ConfigDataPort + (offset & 3)), value);
    }

    /// <summary>Every function present on bus 0, in slot and function order (functions 1-7 only of multi-function devices).</summary>
    public IReadOnlyList<PciDevice> Enumerate()
    {
        var found = new List<PciDevice>();
        for (var devFn = 0; devFn < FunctionsPerBus; devFn++)
        {
            if (ConfigReadW(devFn, PciDevice.VendorIdOffset) == NoDevice)
            {
                if (devFn % FunctionsPerSlot == 0)
                {
                    devFn += FunctionsPerSlot - 1;
                }

                continue;
            }

            found.Add(new PciDevice(this, devFn));
            if (devFn % FunctionsPerSlot == 0 && (ConfigReadB(devFn, HeaderTypeOffset) & MultiFunction) == 0)
            {
                devFn += FunctionsPerSlot - 1;
            }
        }

        return found;
    }

    /// <summary>libqos's qpci_device_find by id: the first function with <paramref name="vendorId"/>:<paramref name="deviceId"/>, or null.</summary>
    public PciDevice? Find(ushort vendorId, ushort deviceId) =>
        Enumerate().FirstOrDefault(d => d.VendorId == vendorId && d.DeviceId == deviceId);

    /// <summary>The function at <paramref name="slot"/>.<paramref name="function"/>, or null when none answers.</summary>
    public PciDevice? At(int slot, int function = 0)
    {
        var devFn = (slot * FunctionsPerSlot) + function;
        return ConfigReadW(devFn, PciDevice.VendorIdOffset) == NoDevice ? null : new PciDevice(this, devFn);
    }

    /// <summary>Next free address of <paramref name="size"/> bytes (a power of two) in the I/O or memory window, naturally aligned.</summary>
    internal ulong Allocate(ulong size, bool io)
    {
        if (io)
        {
            var address = (_nextIo + (uint)size - 1) & ~((uint)size - 1);
            if (address + size > IoWindowEnd)
            {
                throw new InvalidOperationException($"PCI I/O window exhausted ({size} bytes wanted)");
            }

            _nextIo = (uint)(address + size);
            return address;
        }

        var memory = (_nextMemory + size - 1) & ~(size - 1);
        if (memory + size > MemoryWindowEnd)
        {
            throw new InvalidOperationException($"PCI memory window exhausted ({size} bytes wanted)");
        }

        _nextMemory = memory + size;
        return memory;
    }

    private void Select(int devFn, int offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(devFn);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(devFn, FunctionsPerBus);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, byte.MaxValue);
        Qtest.OutL(ConfigAddressPort, ConfigEnable | ((uint)devFn << DevFnShift) | ((uint)offset & ~3u));
    }
}
