using Emulator.Machine.Bus;

namespace Emulator.Machine.Pci;

/// <summary>
/// PCI bus 0: functions registered at (device, function), configuration access by number
/// (unpopulated slots read all ones, so vendor 0xFFFF), and BAR routing — I/O BARs through the
/// <see cref="PciIoWindow"/>, memory BARs announced through <see cref="MemoryBarChanged"/> for the
/// machine to map into its MMIO space.
/// </summary>
public sealed class PciBus
{
    /// <summary>Device numbers on the bus (0-31).</summary>
    public const int DeviceCount = 32;
    /// <summary>Functions per device (0-7).</summary>
    public const int FunctionCount = 8;

    private readonly PciFunction?[,] _functions = new PciFunction?[DeviceCount, FunctionCount];

    internal PciBus(PciIoWindow ioWindow)
    {
        ArgumentNullException.ThrowIfNull(ioWindow);
        IoWindow = ioWindow;
    }

    /// <summary>(function, BAR, old address, new address): a memory BAR moved, appeared (old null) or went away (new null).</summary>
    public event Action<PciFunction, PciBar, ulong?, ulong?>? MemoryBarChanged;

    internal PciIoWindow IoWindow { get; }

    /// <summary>Where functions send MSI/MSI-X messages; set by the machine that owns guest memory (null on a bare bus).</summary>
    public MsiDelivery? Msi { get; set; }

    /// <summary>Places <paramref name="pciFunction"/> at <paramref name="device"/>.<paramref name="function"/>.</summary>
    public void Register(int device, int function, PciFunction pciFunction)
    {
        ArgumentNullException.ThrowIfNull(pciFunction);
        CheckSlot(device, function);
        if (_functions[device, function] is not null)
        {
            throw new InvalidOperationException($"PCI slot {device:X2}.{function} is already populated.");
        }

        if (pciFunction.Bus is not null)
        {
            throw new InvalidOperationException("The PCI function is already on a bus.");
        }

        pciFunction.Bus = this;
        pciFunction.Device = device;
        pciFunction.Function = function;
        pciFunction.CapturePowerOnState();
        _functions[device, function] = pciFunction;
    }

    /// <summary>
    /// Bus reset: every function's configuration space back to power-on values, BARs unmapped. A function that is a
    /// device model installed in a machine (<see cref="Lifecycle.IMachineDevice"/>) is left to the machine, which
    /// resets each installed device once, in install order.
    /// </summary>
    public void Reset()
    {
        foreach (var function in _functions)
        {
            if (function is not null and not Lifecycle.IMachineDevice)
            {
                function.Reset();
            }
        }
    }

    /// <summary>
    /// Takes the function at <paramref name="device"/>.<paramref name="function"/> off the bus (hot
    /// unplug): its BARs leave the I/O window and memory map first, then the slot reads all ones.
    /// </summary>
    /// <returns>The function removed, or null when the slot was empty.</returns>
    public PciFunction? Unregister(int device, int function)
    {
        CheckSlot(device, function);
        var removed = _functions[device, function];
        if (removed is null)
        {
            return null;
        }

        removed.UnmapBars();
        _functions[device, function] = null;
        removed.Bus = null;
        return removed;
    }

    /// <summary>The function at <paramref name="device"/>.<paramref name="function"/>, or null for an empty slot.</summary>
    public PciFunction? GetFunction(int device, int function) => _functions[device, function];

    /// <summary>
    /// A configuration read of <paramref name="width"/> bytes at <paramref name="offset"/>; all ones for an empty
    /// slot (a master abort), as a guest probing the bus expects.
    /// </summary>
    public uint ReadConfig(int device, int function, int offset, PortWidth width)
    {
        var target = _functions[device, function];
        return target is null ? uint.MaxValue : target.ReadConfig(offset, width);
    }

    /// <summary>A configuration write; dropped for an empty slot.</summary>
    public void WriteConfig(int device, int function, int offset, PortWidth width, uint value) =>
        _functions[device, function]?.WriteConfig(offset, width, value);

    internal void OnBarChanged(PciFunction function, PciBar bar, ulong? oldAddress)
    {
        if (bar.Kind == PciBarKind.Io)
        {
            if (oldAddress is { } old)
            {
                IoWindow.Unmap(function, bar.Index, old, bar.Size);
            }

            if (bar.Address is { } address)
            {
                IoWindow.Map(function, bar.Index, address, bar.Size);
            }
        }
        else
        {
            MemoryBarChanged?.Invoke(function, bar, oldAddress, bar.Address);
        }
    }

    private static void CheckSlot(int device, int function)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(device);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(device, DeviceCount);
        ArgumentOutOfRangeException.ThrowIfNegative(function);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(function, FunctionCount);
    }
}
