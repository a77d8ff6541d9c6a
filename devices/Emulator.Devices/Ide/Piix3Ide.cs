using Emulator.Devices.Lifecycle;
using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Machine.Bus;
using Emulator.Machine.Loop;
using Emulator.Machine.Pci;

namespace Emulator.Devices.Ide;

/// <summary>
/// The Intel 82371SB PIIX3 IDE function at PCI 00:01.1 (datasheet 290550, section 2.7; QEMU's
/// piix3-ide): vendor 8086, device 7010, class 01 01 80 (IDE, compatibility mode, bus-master capable).
/// Both channels decode their legacy ports whatever the PCI registers say: primary 0x1F0-0x1F7 +
/// 0x3F6 on IRQ 14, secondary 0x170-0x177 + 0x376 on IRQ 15. BAR4 is the 16-byte bus-master window
/// (primary engine at +0, secondary at +8). IDETIM/SIDETIM and the other timing registers at
/// 0x40-0x4B are stored only.
/// <para>
/// <see cref="Install"/> builds it into a <see cref="PcMachine"/> before <c>Start</c>: PCI
/// registration, ports, and the hook to resume (a <see cref="ResumeHook"/>, which re-issues
/// requests the <c>stop</c> error policy parked). A machine reset reaches it as a PCI reset: its
/// configuration space returns to power-on values and both channels reset. Completions of the drives' block requests are delivered by whatever drains the
/// block layer's completion queue at the loop's fixed point (the host's block loop source).
/// </para>
/// Limitations: native-mode (PCI BAR0-3) decoding and PCI INTx are not modelled.
/// </summary>
public sealed class Piix3Ide : PciFunction
{
    /// <summary>The PCI device id of the PIIX3 IDE function (7010h; vendor Intel, 8086h).</summary>
    public const ushort Piix3IdeDeviceId = 0x7010;
    /// <summary>The PCI device number the function sits at on QEMU's pc (00:01.1).</summary>
    public const int SlotDevice = 1;
    /// <summary>The PCI function number of the IDE function within the PIIX3 (1).</summary>
    public const int SlotFunction = 1;
    /// <summary>The BAR holding the bus-master registers (BAR4, 16 I/O ports: 8 per channel).</summary>
    public const int BusMasterBar = 4;
    /// <summary>The number of channels (primary and secondary).</summary>
    public const int ChannelCount = 2;
    /// <summary>Drives per channel (master and slave).</summary>
    public const int UnitsPerChannel = 2;

    /// <summary>The primary channel's command block in legacy mode (1F0h-1F7h).</summary>
    public const ushort PrimaryCommandBase = 0x1F0;
    /// <summary>The primary channel's alternate status / device control port (3F6h).</summary>
    public const ushort PrimaryControlPort = 0x3F6;
    /// <summary>The primary channel's ISA interrupt (IRQ 14).</summary>
    public const int PrimaryIrq = 14;
    /// <summary>The secondary channel's command block in legacy mode (170h-177h).</summary>
    public const ushort SecondaryCommandBase = 0x170;
    /// <summary>The secondary channel's alternate status / device control port (376h).</summary>
    public const ushort SecondaryControlPort = 0x376;
    /// <summary>The secondary channel's ISA interrupt (IRQ 15).</summary>
    public const int SecondaryIrq = 15;

    /// <summary>Base class 01 (mass storage), sub-class 01 (IDE), programming interface 80h (bus master, both channels legacy).</summary>
    private const uint IdeClass = 0x01_01_80;
    private const uint BusMasterBarSize = 16;
    private const int TimingRegistersStart = 0x40;
    private const int TimingRegistersEnd = 0x4B;
    private const int ByteBits = 8;
    private const string SerialFormat = "QM{0:D5}";

    private readonly IdeChannel[] _channels;
    private int _serialNumber;
    private ResumeHook? _resume;

    private Piix3Ide(PcMachine machine)
        : base(I440fxHostBridge.IntelVendorId, Piix3IdeDeviceId, IdeClass)
    {
        Action<Action> defer = machine.Post;
        Action kick = machine.Cpu.RequestStop;
        _channels =
        [
            new IdeChannel(0, PrimaryCommandBase, PrimaryControlPort, machine.Chipset.IrqLines[PrimaryIrq], machine.Memory, defer, kick),
            new IdeChannel(1, SecondaryCommandBase, SecondaryControlPort, machine.Chipset.IrqLines[SecondaryIrq], machine.Memory, defer, kick),
        ];
        AddIoBar(BusMasterBar, BusMasterBarSize);
        SetConfigByte((int)PciConfigRegister.Status, (byte)PciStatus.FastBackToBackCapable);
        SetConfigByte((int)PciConfigRegister.Status + 1, (byte)((ushort)PciStatus.DevselMedium >> ByteBits));
        for (var offset = TimingRegistersStart; offset <= TimingRegistersEnd; offset++)
        {
            SetWritable(offset, byte.MaxValue);
        }
    }

    /// <summary>Channel 0 (ports 1F0h/3F6h, IRQ 14).</summary>
    public IdeChannel Primary => _channels[0];

    /// <summary>Channel 1 (ports 170h/376h, IRQ 15).</summary>
    public IdeChannel Secondary => _channels[1];

    /// <summary>
    /// Creates the controller and wires it into <paramref name="machine"/>: PCI 00:01.1, the legacy
    /// ports, IRQ 14/15, reset and resume hooks. Call before <see cref="PcMachine.Start"/>.
    /// </summary>
    public static Piix3Ide Install(PcMachine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        if (machine.Ports.IsFrozen)
        {
            throw new InvalidOperationException("The IDE controller must be installed before the machine starts.");
        }

        var ide = new Piix3Ide(machine);
        machine.Chipset.PciBus.Register(SlotDevice, SlotFunction, ide);
        foreach (var channel in ide._channels)
        {
            channel.RegisterPorts(machine.Ports);
        }

        ide._resume = ResumeHook.Subscribe(machine, ide.RetryParkedRequests);
        return ide;
    }

    /// <summary>The channel with the given number.</summary>
    /// <param name="channel">0 (primary) or 1 (secondary).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channel"/> is not 0 or 1.</exception>
    public IdeChannel GetChannel(int channel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, ChannelCount);
        return _channels[channel];
    }

    /// <summary>Attaches an ATA hard disk (ide-hd) on <paramref name="backend"/>, which must have a medium.</summary>
    public AtaDisk AttachDisk(int channel, int unit, BlockBackend backend, IdeDriveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (!backend.IsInserted)
        {
            throw new ArgumentException($"Drive '{backend.Name}' has no medium; an IDE disk needs one.", nameof(backend));
        }

        options ??= new IdeDriveOptions();
        var disk = new AtaDisk(GetChannel(channel), CheckUnit(unit), backend, options, NextSerial());
        Attach(disk, options.DeviceId ?? $"ide{channel}-hd{unit}");
        return disk;
    }

    /// <summary>Attaches an ATAPI CD-ROM (ide-cd) on <paramref name="backend"/>, which may be empty.</summary>
    public AtapiCdrom AttachCdrom(int channel, int unit, BlockBackend backend, IdeDriveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        options ??= new IdeDriveOptions();
        var cdrom = new AtapiCdrom(GetChannel(channel), CheckUnit(unit), backend, options, NextSerial());
        Attach(cdrom, options.DeviceId ?? $"ide{channel}-cd{unit}");
        return cdrom;
    }

    /// <summary>PCI reset (part of every machine reset): both channels and their bus-master engines.</summary>
    protected override void OnReset()
    {
        foreach (var channel in _channels)
        {
            channel.Reset();
        }
    }

    /// <summary>Re-issues the requests the <c>stop</c> error policy parked (called when the machine resumes).</summary>
    public void RetryParkedRequests()
    {
        foreach (var channel in _channels)
        {
            channel.RetryParkedRequests();
        }
    }

    /// <summary>A guest read of the bus-master registers (BAR4): command, status and PRD table address of either channel, byte by byte.</summary>
    /// <param name="bar">The BAR index (always <see cref="BusMasterBar"/>).</param>
    /// <param name="offset">The offset in the BAR: 0-7 primary, 8-15 secondary.</param>
    /// <param name="width">The access width; wider reads combine consecutive registers, little-endian.</param>
    /// <returns>The register bytes.</returns>
    public override uint IoRead(int bar, int offset, PortWidth width)
    {
        uint value = 0;
        for (var i = 0; i < (int)width; i++)
        {
            value |= (uint)ReadBusMaster(offset + i) << (ByteBits * i);
        }

        return value;
    }

    /// <summary>A guest write to the bus-master registers (BAR4); setting START begins a waiting DMA command, clearing it stops the engine.</summary>
    /// <param name="bar">The BAR index (always <see cref="BusMasterBar"/>).</param>
    /// <param name="offset">The offset in the BAR: 0-7 primary, 8-15 secondary.</param>
    /// <param name="width">The access width; wider writes go to consecutive registers, little-endian.</param>
    /// <param name="value">The value written.</param>
    public override void IoWrite(int bar, int offset, PortWidth width, uint value)
    {
        for (var i = 0; i < (int)width; i++)
        {
            WriteBusMaster(offset + i, (byte)(value >> (ByteBits * i)));
        }
    }

    private byte ReadBusMaster(int offset)
    {
        if (offset is < 0 or >= (int)BusMasterBarSize)
        {
            return byte.MaxValue;
        }

        var channel = _channels[offset / BusMasterDma.RegisterBytes];
        if (channel.DmaDrive is { IsWaitingForIo: true })
        {
            // A guest polling the engine while a transfer is in flight: deliver the completion at the next instruction.
            channel.RequestCompletionRun();
        }

        return channel.BusMaster.ReadRegister(offset % BusMasterDma.RegisterBytes);
    }

    private void WriteBusMaster(int offset, byte value)
    {
        if (offset is >= 0 and < (int)BusMasterBarSize)
        {
            _channels[offset / BusMasterDma.RegisterBytes].BusMaster.WriteRegister(offset % BusMasterDma.RegisterBytes, value);
        }
    }

    private void Attach(IdeDrive drive, string deviceId)
    {
        if (drive.Channel.GetDrive(drive.Unit) is not null)
        {
            throw new InvalidOperationException($"IDE channel {drive.Channel.Index} unit {drive.Unit} already has a drive.");
        }

        drive.Backend.AttachDevice(drive, deviceId, drive.Options.QomPath);
        drive.Channel.Attach(drive.Unit, drive);
        drive.Backend.EnableIoStatus();
    }

    private string NextSerial() => string.Format(CultureInfo.InvariantCulture, SerialFormat, ++_serialNumber);

    private static int CheckUnit(int unit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(unit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(unit, UnitsPerChannel);
        return unit;
    }
}
