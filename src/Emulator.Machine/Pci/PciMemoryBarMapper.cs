using Emulator.Machine.Memory;

namespace Emulator.Machine.Pci;

/// <summary>
/// Puts PCI memory BARs into the guest physical address space: it listens to
/// <see cref="PciBus.MemoryBarChanged"/> (a BAR programmed with memory decoding on, moved, or
/// switched off) and claims or releases the range in <see cref="GuestMemory"/>, forwarding
/// accesses to <see cref="PciFunction.MemoryRead"/>/<see cref="PciFunction.MemoryWrite"/> with
/// the offset inside the BAR. A BAR the guest places over ROM, the I/O APIC or another BAR is left
/// unmapped (it does not decode) until it moves somewhere free; a BAR over RAM hides that RAM
/// while it decodes, as the PCI hole does on a real board.
/// </summary>
internal sealed class PciMemoryBarMapper
{
    private readonly GuestMemory _memory;
    private readonly Dictionary<(PciFunction, int), BarWindow> _windows = [];

    public PciMemoryBarMapper(PciBus bus, GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        bus.MemoryBarChanged += OnMemoryBarChanged;
    }

    /// <summary>Where BAR <paramref name="bar"/> of <paramref name="function"/> is mapped now, or null.</summary>
    public uint? GetMappedAddress(PciFunction function, int bar) =>
        _windows.TryGetValue((function, bar), out var window) && window.Mapped ? window.Base : null;

    private void OnMemoryBarChanged(PciFunction function, PciBar bar, ulong? oldAddress, ulong? newAddress)
    {
        var key = (function, bar.Index);
        if (_windows.TryGetValue(key, out var window) && window.Mapped)
        {
            _memory.UnregisterMmio(window.Base, bar.Size, window);
            window.Mapped = false;
        }

        if (newAddress is not { } address)
        {
            return;
        }

        if (window is null)
        {
            window = new BarWindow(function, bar.Index);
            _windows[key] = window;
        }

        window.Base = (uint)address;
        window.Mapped = _memory.TryRegisterMmio(window.Base, bar.Size, window);
    }

    /// <summary>One BAR's window: turns physical addresses into offsets inside the BAR.</summary>
    private sealed class BarWindow(PciFunction function, int bar) : IMmioDevice
    {
        public uint Base { get; set; }

        public bool Mapped { get; set; }

        public uint Read(uint address, AccessWidth width) => (uint)function.MemoryRead(bar, address - Base, (int)width);

        public void Write(uint address, AccessWidth width, uint value) => function.MemoryWrite(bar, address - Base, (int)width, value);
    }
}
