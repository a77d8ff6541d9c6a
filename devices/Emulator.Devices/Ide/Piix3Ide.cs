using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Machine.Bus;
using Emulator.Machine.Lifecycle;
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
/// Lifecycle (<see cref="IMachineDevice"/>): <see cref="PcMachine.Install{T}"/> before <c>Start</c> places the
/// function at 00:01.1 and claims both channels' ports and IRQ 14/15. A machine reset resets it as a PCI
/// reset: configuration space back to power-on values, both channels and their bus-master engines reset.
/// A resume re-issues the requests the <c>stop</c> error policy parked. It cannot be hot-unplugged (QEMU's
/// pc has it built in); removed before the machine starts, it detaches its drives. Completions of the drives'
/// block requests are delivered by whatever drains the block layer's completion queue at the loop's fixed
/// point (the board's block loop source).
/// </para>
/// Limitations: native-mode (PCI BAR0-3) decoding and PCI INTx are not modelled.
/// </summary>
public sealed class Piix3Ide : PciFunction, IMachineDevice
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
    private const string NotHotpluggable = "Device 'piix3-ide' does not support hotplugging";

    private readonly IdeChannel[] _channels;
    private int _serialNumber;

    /// <summary>Builds the function for <paramref name="machine"/>; <see cref="PcMachine.Install{T}"/> wires it in.</summary>
    public Piix3Ide(PcMachine machine)
        : base(I440fxHostBridge.IntelVendorId, Piix3IdeDeviceId, IdeClass)
    {
        ArgumentNullException.ThrowIfNull(machine);
        Action<Action> defer = machine.Post;
        Action kick = machine.Cpu.RequestStop;
        _channels =
        [
            new IdeChannel(0, PrimaryCommandBase, PrimaryControlPort, PrimaryIrq, machine.Memory, defer, kick),
            new IdeChannel(1, SecondaryCommandBase, SecondaryControlPort, SecondaryIrq, machine.Memory, defer, kick),
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

    string? IMachineDevice.HotUnplugRefusal => NotHotpluggable;

    /// <summary>PCI 00:01.1, the legacy ports and IRQ 14/15 of both channels; before the machine starts.</summary>
    void IMachineDevice.Install(DeviceHooks hooks)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        if (hooks.Machine.Ports.IsFrozen)
        {
            throw new InvalidOperationException("The IDE controller must be installed before the machine starts.");
        }

        hooks.PlacePciFunction(SlotDevice, SlotFunction, this);
        foreach (var channel in _channels)
        {
            channel.Connect(hooks);
        }
    }

    void IMachineDevice.Reset(ResetKind kind) => Reset();

    void IMachineDevice.Resume() => RetryParkedRequests();

    /// <summary>Removed before the machine started: every drive waits for its request and lets go of its backend.</summary>
    void IMachineDevice.Remove()
    {
        foreach (var channel in _channels)
        {
            channel.DetachDrives();
        }
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
