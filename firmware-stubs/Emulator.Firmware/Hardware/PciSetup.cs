using Emulator.Machine.Bus;

namespace Emulator.Firmware.Hardware;

/// <summary>A PCI function found on bus 0, with the resources POST gave it.</summary>
internal sealed record PciDeviceInfo(int Device, int Function, ushort VendorId, ushort DeviceId, uint ClassCode, ushort[] IoBars, byte Irq);

/// <summary>
/// POST's PCI pass, as SeaBIOS does it on a PIIX board: route PIRQA-D to IRQ 10, 10, 11, 11 (level
/// triggered in the ELCR), enumerate bus 0, size every BAR and assign I/O BARs from C000h and memory
/// BARs from FE000000h, enable decoding and bus mastering, write each function's interrupt line,
/// and place the PIIX4's ACPI PM block at 600h. Before that, the i440FX's PAM registers open
/// C0000h-EFFFFh as read/write DRAM, as SeaBIOS leaves the option-ROM and extension space it does not
/// use (this firmware loads no option ROM); F0000h-FFFFFh stays on the PCI side, the ROM this firmware runs from.
/// </summary>
internal sealed class PciSetup(IoPortBus ports)
{
    private const int Devices = 32;
    private const int Functions = 8;
    private const int BarCount = 6;
    private const byte MultiFunction = 0x80;
    private const uint IoBarFlag = 0x1;
    private const uint MemoryType64 = 0x4;
    private const ushort CommandIo = 0x1;
    private const ushort CommandMemory = 0x2;
    private const ushort CommandBusMaster = 0x4;
    private const uint IoStart = 0xC000;
    private const uint IoLimit = 0x10000;
    private const uint MemoryStart = 0xFE000000;
    private const uint MemoryLimit = 0xFEC00000;
    private const int IsaBridgeDevice = 1;
    private const int PirqRouteBase = 0x60;
    private const ushort ElcrSlave = 0x4D1;
    private const uint IdeClass = 0x0101;
    private const int IdeTimingPrimary = 0x40;
    private const int IdeTimingSecondary = 0x42;
    private const ushort IdeDecodeEnable = 0x8000;
    private const ushort IntelVendor = 0x8086;
    private const ushort Piix4PowerManagement = 0x7113;
    private const int PmBaseRegister = 0x40;
    private const int PmRegMisc = 0x80;
    private const byte PmIoEnable = 0x01;
    private const uint PmBaseIoSpace = 0x01;

    /// <summary>The ACPI PM block's I/O base (SeaBIOS's PORT_ACPI_PM_BASE); PM1 control is at +4.</summary>
    public const ushort AcpiPmBase = 0x600;

    private static readonly byte[] PirqIrqs = [10, 10, 11, 11];

    /// <summary>i440FX PAM1-PAM6 (datasheet 290549, 3.2.18) at 00:00.0: C0000h-EFFFFh in two 16 KiB fields each.</summary>
    private const int HostBridgeDevice = 0;
    private const int FirstOptionRomPam = 0x5A;
    private const int LastOptionRomPam = 0x5F;

    /// <summary>Both fields read enable and write enable: DRAM, read/write.</summary>
    private const byte PamReadWriteBoth = 0x33;

    private readonly PciPorts _pci = new(ports);

    public PciPorts Config => _pci;

    public List<PciDeviceInfo> Run()
    {
        for (var pam = FirstOptionRomPam; pam <= LastOptionRomPam; pam++)
        {
            _pci.Write8(HostBridgeDevice, 0, pam, PamReadWriteBoth);
        }

        for (var pirq = 0; pirq < PirqIrqs.Length; pirq++)
        {
            _pci.Write8(IsaBridgeDevice, 0, PirqRouteBase + pirq, PirqIrqs[pirq]);
        }

        // IRQ 10 and 11 are level triggered (ELCR2 bits 2 and 3).
        ports.WriteByte(ElcrSlave, (byte)(ports.ReadByte(ElcrSlave) | 0x0C));

        var found = new List<PciDeviceInfo>();
        var nextIo = IoStart;
        var nextMemory = MemoryStart;
        for (var device = 0; device < Devices; device++)
        {
            for (var function = 0; function < Functions; function++)
            {
                var vendor = _pci.Read16(device, function, PciPorts.VendorId);
                if (vendor == 0xFFFF)
                {
                    if (function == 0)
                    {
                        break;
                    }

                    continue;
                }

                found.Add(Configure(device, function, vendor, ref nextIo, ref nextMemory));
                if (function == 0 && (_pci.Read8(device, 0, PciPorts.HeaderType) & MultiFunction) == 0)
                {
                    break;
                }
            }
        }

        return found;
    }

    private PciDeviceInfo Configure(int device, int function, ushort vendor, ref uint nextIo, ref uint nextMemory)
    {
        var deviceId = _pci.Read16(device, function, PciPorts.DeviceId);
        var classCode = _pci.Read32(device, function, PciPorts.ClassRevision) >> 8;
        var ioBars = new ushort[BarCount];
        var headerType = _pci.Read8(device, function, PciPorts.HeaderType) & 0x7F;
        for (var bar = 0; headerType == 0 && bar < BarCount; bar++)
        {
            var offset = PciPorts.Bar0 + (bar * 4);
            var original = _pci.Read32(device, function, offset);
            _pci.Write32(device, function, offset, 0xFFFFFFFF);
            var mask = _pci.Read32(device, function, offset);
            if (mask == 0 || mask == 0xFFFFFFFF)
            {
                _pci.Write32(device, function, offset, original);
                continue;
            }

            if ((mask & IoBarFlag) != 0)
            {
                var size = (~(mask & 0xFFFFFFFC) & 0xFFFF) + 1;
                var address = Align(nextIo, size);
                if (address + size <= IoLimit)
                {
                    _pci.Write32(device, function, offset, address);
                    ioBars[bar] = (ushort)address;
                    nextIo = address + size;
                }
            }
            else
            {
                var size = ~(mask & 0xFFFFFFF0) + 1;
                var address = Align(nextMemory, size);
                var is64 = (mask & 0x6) == MemoryType64;
                if (size != 0 && address + size <= MemoryLimit && address >= MemoryStart)
                {
                    _pci.Write32(device, function, offset, address);
                    nextMemory = address + size;
                }

                if (is64 && bar + 1 < BarCount)
                {
                    _pci.Write32(device, function, offset + 4, 0);
                    bar++;
                }
            }
        }

        if (vendor == IntelVendor && deviceId == Piix4PowerManagement)
        {
            // As SeaBIOS's piix4_pm_setup: the ACPI PM block at 600h, then its I/O decode on.
            _pci.Write32(device, function, PmBaseRegister, AcpiPmBase | PmBaseIoSpace);
            _pci.Write8(device, function, PmRegMisc, PmIoEnable);
        }

        if (classCode >> 8 == IdeClass)
        {
            _pci.Write16(device, function, IdeTimingPrimary, IdeDecodeEnable);
            _pci.Write16(device, function, IdeTimingSecondary, IdeDecodeEnable);
        }

        byte irq = 0;
        var pin = _pci.Read8(device, function, PciPorts.InterruptPin);
        if (pin is >= 1 and <= 4)
        {
            irq = PirqIrqs[(pin - 1 + device - 1) & 3];
            _pci.Write8(device, function, PciPorts.InterruptLine, irq);
        }

        if (headerType == 0 && device != 0)
        {
            var command = _pci.Read16(device, function, PciPorts.Command);
            _pci.Write16(device, function, PciPorts.Command, (ushort)(command | CommandIo | CommandMemory | CommandBusMaster));
        }

        return new PciDeviceInfo(device, function, vendor, deviceId, classCode, ioBars, irq);
    }

    private static uint Align(uint value, uint alignment) => alignment == 0 ? value : (value + alignment - 1) & ~(alignment - 1);
}
