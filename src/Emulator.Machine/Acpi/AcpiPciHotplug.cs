using Emulator.Machine.Bus;
using Emulator.Machine.Pci;

namespace Emulator.Machine.Acpi;

/// <summary>
/// QEMU's ACPI PCI hotplug register block for the root bus (docs/specs/acpi_pci_hotplug.rst,
/// hw/acpi/pcihp.c) at I/O 0xAE00-0xAE17: PCIU (inserted slots, cleared by reading), PCID (removal
/// requested), B0EJ (eject), PCIRMV (removable slots), SEL (bus select) and AIDX. The host reports a
/// plug or an unplug request here; that sets the slot bit and GPE0 bit 1, which raises SCI through
/// <see cref="AcpiGpeBlock"/>. The guest's AML (_E01) reads the bitmaps and, for removal, writes the
/// slot bit to B0EJ: <see cref="EjectRequested"/> then tells the host to take the slot's device away.
/// Registers are 32 bits; narrower accesses see their byte lanes.
/// Limitations: only bsel 0 (no bridges); acpi-index is always 0.
/// </summary>
public sealed class AcpiPciHotplug : IPortDevice
{
    /// <summary>First of the hotplug register block's ports (QEMU's PIIX4 ACPI PCI hotplug window at 0xAE00).</summary>
    public const ushort BasePort = 0xAE00;

    /// <summary>ACPI_PCIHP_SIZE with acpi-index: six registers.</summary>
    public const int Length = 0x18;

    /// <summary>The root bus's bsel.</summary>
    public const uint RootBusSelect = 0;

    private const int RegisterBytes = 4;
    private const int ByteBits = 8;

    private readonly AcpiGpeBlock _gpe;
    private uint _up;
    private uint _down;
    private uint _select;

    /// <summary>Creates the block; slots 0 and 1 (host bridge, PIIX3) are never removable.</summary>
    internal AcpiPciHotplug(AcpiGpeBlock gpe)
    {
        ArgumentNullException.ThrowIfNull(gpe);
        _gpe = gpe;
        SetRemovable(I440fxHostBridge.SlotDevice, false);
        SetRemovable(Piix3IsaBridge.SlotDevice, false);
    }

    /// <summary>Raised on the machine thread when the guest ejects a removable slot (its up/down bits already cleared).</summary>
    public event Action<int>? EjectRequested;

    /// <summary>PCIU as the guest would read it (without clearing).</summary>
    public uint Up => _up;

    /// <summary>PCID.</summary>
    public uint Down => _down;

    /// <summary>PCIRMV.</summary>
    public uint Removable { get; private set; } = uint.MaxValue;

    /// <inheritdoc/>
    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, BasePort, Length, PortWidths.All);
    }

    /// <summary>Marks <paramref name="slot"/> as (not) hot-unpluggable: chipset functions and cold-plugged non-hotplug devices are not.</summary>
    public void SetRemovable(int slot, bool removable)
    {
        var bit = SlotBit(slot);
        Removable = removable ? Removable | bit : Removable & ~bit;
    }

    /// <summary>A device was hot-added at <paramref name="slot"/>: PCIU bit and GPE0.1 (QEMU's acpi_pcihp_device_plug_cb).</summary>
    public void NotifyPlugged(int slot)
    {
        _up |= SlotBit(slot);
        _gpe.Signal(AcpiGpeBits.PciHotplug);
    }

    /// <summary>Removal of <paramref name="slot"/> was requested (device_del): PCID bit and GPE0.1; the device stays until ejected.</summary>
    public void NotifyUnplugRequest(int slot)
    {
        _down |= SlotBit(slot);
        _gpe.Signal(AcpiGpeBits.PciHotplug);
    }

    /// <summary>Whether a removal of <paramref name="slot"/> is pending.</summary>
    public bool IsUnplugPending(int slot) => (_down & SlotBit(slot)) != 0;

    /// <summary>Machine reset: pending removals complete (QEMU's acpi_pcihp_reset), the selector returns to the root bus.</summary>
    public void Reset()
    {
        while (_down != 0)
        {
            Eject(_down);
        }

        _up = 0;
        _select = RootBusSelect;
    }

    /// <inheritdoc/>
    public uint Read(ushort port, PortWidth width)
    {
        var offset = port - BasePort;
        var lane = ByteBits * (offset % RegisterBytes);
        var mask = width == PortWidth.Dword ? uint.MaxValue : (1u << (ByteBits * (int)width)) - 1;
        var register = (AcpiPciHotplugRegister)(offset - (offset % RegisterBytes));
        if (register != AcpiPciHotplugRegister.Select && _select != RootBusSelect)
        {
            // No bus has that bsel: QEMU reads such a bus's registers as 0.
            return 0;
        }

        var value = register switch
        {
            AcpiPciHotplugRegister.Up => _up,
            AcpiPciHotplugRegister.Down => _down,
            AcpiPciHotplugRegister.Removable => Removable,
            AcpiPciHotplugRegister.Select => _select,
            _ => 0u,
        };
        var result = (value >> lane) & mask;
        if (register == AcpiPciHotplugRegister.Up)
        {
            _up &= ~(result << lane);
        }

        return result;
    }

    /// <inheritdoc/>
    public void Write(ushort port, PortWidth width, uint value)
    {
        var offset = port - BasePort;
        var lane = ByteBits * (offset % RegisterBytes);
        var mask = width == PortWidth.Dword ? uint.MaxValue : (1u << (ByteBits * (int)width)) - 1;
        switch ((AcpiPciHotplugRegister)(offset - (offset % RegisterBytes)))
        {
            case AcpiPciHotplugRegister.Eject when _select == RootBusSelect:
                Eject((value & mask) << lane);
                break;
            case AcpiPciHotplugRegister.Select:
                _select = (_select & ~(mask << lane)) | ((value & mask) << lane);
                break;
        }
    }

    private static uint SlotBit(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, PciBus.DeviceCount);
        return 1u << slot;
    }

    /// <summary>QEMU ejects only the lowest slot of the bitmap written (acpi_pcihp_eject_slot).</summary>
    private void Eject(uint slots)
    {
        if (slots == 0)
        {
            return;
        }

        var slot = System.Numerics.BitOperations.TrailingZeroCount(slots);
        _up &= ~(1u << slot);
        _down &= ~(1u << slot);
        if ((Removable & (1u << slot)) != 0)
        {
            EjectRequested?.Invoke(slot);
        }
    }
}
