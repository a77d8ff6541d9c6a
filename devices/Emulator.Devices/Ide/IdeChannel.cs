using Emulator.Machine.Lifecycle;
using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Memory;
using Emulator.Block.Tracing;

namespace Emulator.Devices.Ide;

/// <summary>
/// One IDE channel (bus) in ISA compatibility mode (ATA/ATAPI-6, chapter 7; QEMU's IDEBus): the
/// command block at <see cref="CommandBase"/> (data, error/features, sector count, LBA low/mid/high,
/// device/head, status/command), the control block at <see cref="ControlPort"/> (alternate status /
/// device control), one IRQ line and the channel's bus-master engine. Two drives share the
/// registers: every command-block write goes to both (the previous byte moves to the HOB copy),
/// writes other than a command are dropped while the selected drive is BSY or DRQ, reading status
/// lowers the IRQ while alternate status does not, nIEN masks new interrupts, and SRST resets both
/// drives with their signatures (the reset proper runs at the next loop fixed point, so BSY is
/// visible in between). A guest polling status (or the bus master) while its drive waits for block
/// I/O ends the CPU slice, so the loop delivers the completion at once instead of a slice later.
/// Limitations: with no drive at all every register reads 0, and commands to an absent unit are
/// ignored (QEMU aborts them on an absent master that has a slave).
/// </summary>
public sealed class IdeChannel : IPortBlockDevice
{
    /// <summary>The number of consecutive ports of the command block (data, error/features, count, LBA low/mid/high, device, status/command).</summary>
    public const int CommandBlockPorts = 8;

    private readonly int _irqNumber;
    private IIrqLine? _irq;
    private readonly Action<Action> _defer;
    private readonly Action _kick;
    private readonly IdeDrive?[] _drives = new IdeDrive?[2];
    private readonly Action _softReset;
    private AtaDeviceControl _control;
    private int _unit;

    /// <param name="index">0 = primary, 1 = secondary.</param>
    /// <param name="commandBase">First command block port (0x1F0 / 0x170).</param>
    /// <param name="controlPort">Alternate status / device control port (0x3F6 / 0x376).</param>
    /// <param name="irq">The channel's ISA interrupt (IRQ 14 / 15), taken when the controller is installed.</param>
    /// <param name="memory">Guest memory as the bus master sees it.</param>
    /// <param name="defer">Runs an action at the machine loop's next fixed point (the SRST reset).</param>
    /// <param name="kick">Ends the CPU's current slice so the loop delivers block completions soon.</param>
    internal IdeChannel(int index, ushort commandBase, ushort controlPort, int irq, IDmaMemory memory, Action<Action> defer, Action kick)
    {
        Index = index;
        CommandBase = commandBase;
        ControlPort = controlPort;
        _irqNumber = irq;
        _defer = defer ?? throw new ArgumentNullException(nameof(defer));
        _kick = kick ?? throw new ArgumentNullException(nameof(kick));
        BusMaster = new BusMasterDma(memory);
        BusMaster.StartChanged += OnBusMasterStartChanged;
        _softReset = PerformSoftReset;
        TraceTrack = IoTrace.RegisterTrack($"ide.{index}");
    }

    /// <summary>The channel number: 0 for the primary, 1 for the secondary channel.</summary>
    public int Index { get; }

    /// <summary>The first port of the channel's command block (1F0h primary, 170h secondary).</summary>
    public ushort CommandBase { get; }

    /// <summary>The alternate status / device control port (3F6h primary, 376h secondary).</summary>
    public ushort ControlPort { get; }

    internal BusMasterDma BusMaster { get; }

    /// <summary>The channel's queue in I/O traces: a channel runs one command at a time for both drives.</summary>
    internal int TraceTrack { get; }

    /// <summary>The drive whose DMA command owns the bus master, if any.</summary>
    internal IdeDrive? DmaDrive { get; set; }

    /// <summary>The drive attached as master (unit 0) or slave (unit 1), or null for an empty position.</summary>
    /// <param name="unit">0 or 1.</param>
    /// <exception cref="IndexOutOfRangeException"><paramref name="unit"/> is not 0 or 1.</exception>
    public IdeDrive? GetDrive(int unit) => _drives[unit];

    /// <summary>
    /// Claims the command block (the data port at every width, the rest as bytes), the control port and the
    /// channel's IRQ, as the controller is installed.
    /// </summary>
    internal void Connect(DeviceHooks hooks)
    {
        hooks.ClaimPorts(this, CommandBase, 1, PortWidths.All);
        hooks.ClaimPorts(this, (ushort)(CommandBase + 1), CommandBlockPorts - 1);
        hooks.ClaimPorts(this, ControlPort, 1);
        _irq = hooks.IsaIrq(_irqNumber);
    }

    /// <summary>The controller is being removed: each drive's requests finish and its backend is free again.</summary>
    internal void DetachDrives()
    {
        for (var unit = 0; unit < _drives.Length; unit++)
        {
            if (_drives[unit] is { } drive)
            {
                drive.Backend.Drain();
                drive.Backend.DetachDevice(drive);
                _drives[unit] = null;
            }
        }

        _irq = null;
    }

    internal void Attach(int unit, IdeDrive drive)
    {
        if (_drives[unit] is not null)
        {
            throw new InvalidOperationException($"IDE channel {Index} unit {unit} already has a drive.");
        }

        _drives[unit] = drive;
    }

    /// <summary>INTRQ: asserted unless nIEN; every assertion is latched in the bus master's INTR bit.</summary>
    internal void RaiseIrq()
    {
        if ((_control & AtaDeviceControl.Nien) == 0)
        {
            BusMaster.LatchInterrupt();
            _irq?.Raise();
            IoTrace.Interrupt(TraceTrack);
        }
    }

    internal void RequestCompletionRun() => _kick();

    /// <summary>Machine reset: both drives reset (DRDY|DSC, signature, no diagnostic, as QEMU's bus reset), unit 0, control 0, bus master zeroed.</summary>
    internal void Reset()
    {
        _irq?.Lower();
        _control = AtaDeviceControl.None;
        _unit = 0;
        foreach (var drive in _drives)
        {
            drive?.Reset();
        }

        BusMaster.Reset();
        DmaDrive = null;
    }

    /// <summary>The machine resumed: requests the <c>stop</c> policy parked run again.</summary>
    public void RetryParkedRequests()
    {
        foreach (var drive in _drives)
        {
            drive?.RetryParked();
        }
    }

    /// <summary>
    /// A guest read of a task-file register or of the alternate status. Reading the status register
    /// lowers the channel's IRQ, the alternate status does not; an absent drive's registers mirror the
    /// present one's (QEMU's behaviour). Machine thread only.
    /// </summary>
    /// <param name="port">An absolute port of the command block or the control port.</param>
    /// <param name="width">The access width; only the data port moves more than a byte.</param>
    /// <returns>The register value, or the next data word for the data port.</returns>
    public uint Read(ushort port, PortWidth width)
    {
        if (port == ControlPort)
        {
            return ReadStatus(lowerIrq: false);
        }

        var register = (AtaRegister)(port - CommandBase);
        if (register == AtaRegister.Data)
        {
            return _drives[_unit]?.ReadData(width) ?? (width == PortWidth.Byte ? byte.MaxValue : 0u);
        }

        if (register == AtaRegister.StatusOrCommand)
        {
            return ReadStatus(lowerIrq: true);
        }

        if (_drives[0] is null && _drives[1] is null)
        {
            return 0;
        }

        // An absent drive's registers mirror the present one's (both always receive the same writes).
        var selected = _drives[_unit];
        var drive = selected ?? _drives[_unit ^ 1]!;
        var hob = (_control & AtaDeviceControl.Hob) != 0;
        return register switch
        {
            AtaRegister.ErrorOrFeatures => selected is null ? 0u : hob ? drive.HobFeature : drive.Error,
            AtaRegister.SectorCount => hob ? drive.HobNSector : (uint)(drive.NSector & byte.MaxValue),
            AtaRegister.LbaLow => hob ? drive.HobSector : drive.Sector,
            AtaRegister.LbaMid => hob ? drive.HobLcyl : drive.Lcyl,
            AtaRegister.LbaHigh => hob ? drive.HobHcyl : drive.Hcyl,
            _ => drive.Select,
        };
    }

    /// <summary>
    /// A guest write to a task-file register, the command register (starting the command on the selected
    /// drive) or the device control register (nIEN, SRST, HOB). Machine thread only.
    /// </summary>
    /// <param name="port">An absolute port of the command block or the control port.</param>
    /// <param name="width">The access width; only the data port takes more than a byte.</param>
    /// <param name="value">The value written.</param>
    public void Write(ushort port, PortWidth width, uint value)
    {
        if (port == ControlPort)
        {
            WriteControl((AtaDeviceControl)value);
            return;
        }

        var register = (AtaRegister)(port - CommandBase);
        var b = (byte)value;
        if (register == AtaRegister.Data)
        {
            _drives[_unit]?.WriteData(width, value);
            return;
        }

        if (register == AtaRegister.StatusOrCommand)
        {
            _control &= ~AtaDeviceControl.Hob;
            _irq?.Lower();
            IoTrace.Doorbell(TraceTrack);
            ExecuteCommand(b);
            return;
        }

        if (_drives[_unit] is { } busy && (busy.Status & (AtaStatus.Bsy | AtaStatus.Drq)) != 0)
        {
            // The drive owns the command block until BSY and DRQ clear (ATA/ATAPI-6, 7.x "Effect of BSY").
            return;
        }

        _control &= ~AtaDeviceControl.Hob;
        if (register == AtaRegister.DeviceHead)
        {
            _unit = (b & (byte)AtaDeviceHead.Dev) != 0 ? 1 : 0;
        }

        foreach (var drive in _drives)
        {
            if (drive is not null)
            {
                ShadowWrite(drive, register, b);
            }
        }
    }

    /// <summary>
    /// The <c>rep insw/insd</c> fast path: copies as many whole data elements as the selected drive's
    /// ready PIO data block holds into <paramref name="destination"/>.
    /// </summary>
    /// <param name="port">The port; anything but the data port moves nothing.</param>
    /// <param name="width">The element width.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <returns>The bytes moved (0 when the bus must fall back to single accesses).</returns>
    public int ReadString(ushort port, PortWidth width, Span<byte> destination) =>
        port == CommandBase && _drives[_unit] is { } drive ? drive.ReadDataRun(width, destination) : 0;

    /// <summary>The <c>rep outsw/outsd</c> fast path: feeds whole data elements into the selected drive's open PIO data-out block.</summary>
    /// <param name="port">The port; anything but the data port moves nothing.</param>
    /// <param name="width">The element width.</param>
    /// <param name="source">The bytes to write.</param>
    /// <returns>The bytes consumed (0 when the bus must fall back to single accesses).</returns>
    public int WriteString(ushort port, PortWidth width, ReadOnlySpan<byte> source) =>
        port == CommandBase && _drives[_unit] is { } drive ? drive.WriteDataRun(width, source) : 0;

    private static void ShadowWrite(IdeDrive drive, AtaRegister register, byte value)
    {
        switch (register)
        {
            case AtaRegister.ErrorOrFeatures:
                drive.HobFeature = drive.Feature;
                drive.Feature = value;
                break;
            case AtaRegister.SectorCount:
                drive.HobNSector = (byte)drive.NSector;
                drive.NSector = value;
                break;
            case AtaRegister.LbaLow:
                drive.HobSector = drive.Sector;
                drive.Sector = value;
                break;
            case AtaRegister.LbaMid:
                drive.HobLcyl = drive.Lcyl;
                drive.Lcyl = value;
                break;
            case AtaRegister.LbaHigh:
                drive.HobHcyl = drive.Hcyl;
                drive.Hcyl = value;
                break;
            case AtaRegister.DeviceHead:
                drive.Select = (byte)(value | (byte)AtaDeviceHead.AlwaysOn);
                break;
        }
    }

    private uint ReadStatus(bool lowerIrq)
    {
        if (lowerIrq)
        {
            _irq?.Lower();
            IoTrace.Acknowledge(TraceTrack);
        }

        if (_drives[_unit] is not { } drive)
        {
            return 0;
        }

        if (drive.IsWaitingForIo)
        {
            // A guest polling for the end of I/O: end the CPU slice so the loop delivers the completion now, not a slice later.
            _kick();
        }

        return (uint)drive.Status;
    }

    private void ExecuteCommand(byte opcode)
    {
        if (_drives[_unit] is not { } drive)
        {
            // Commands to an absent device are ignored.
            return;
        }

        // While BSY or DRQ only DEVICE RESET to a packet device gets through (ATA/ATAPI-6, 8.10).
        if ((drive.Status & (AtaStatus.Bsy | AtaStatus.Drq)) != 0
            && !(opcode == (byte)AtaCommand.DeviceReset && drive.Kind == IdeDriveKind.Cdrom))
        {
            return;
        }

        drive.ExecuteCommand(opcode);
    }

    private void WriteControl(AtaDeviceControl value)
    {
        var rising = (value & AtaDeviceControl.Srst) != 0 && (_control & AtaDeviceControl.Srst) == 0;
        _control = value;
        if (!rising)
        {
            return;
        }

        foreach (var drive in _drives)
        {
            if (drive is not null)
            {
                drive.Status = AtaStatus.Bsy | AtaStatus.Dsc;
                drive.Error = (byte)AtaErrorBits.DiagnosticPassed;
            }
        }

        _defer(_softReset);
    }

    /// <summary>The deferred half of SRST: wait out DMA, reset both drives and run their diagnostics; SRST self-clears.</summary>
    private void PerformSoftReset()
    {
        _control &= ~AtaDeviceControl.Srst;
        foreach (var drive in _drives)
        {
            if (drive is not null)
            {
                drive.Reset();
                drive.RunDiagnostic();
            }
        }

        if (DmaDrive is not null)
        {
            BusMaster.SetInactive(stayActive: false);
            DmaDrive = null;
        }
    }

    private void OnBusMasterStartChanged(bool start)
    {
        if (DmaDrive is not { } drive)
        {
            return;
        }

        if (start)
        {
            drive.OnBusMasterStart();
        }
        else
        {
            drive.OnBusMasterStop();
        }
    }
}
