using Emulator.Block.Backend;
using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Loop;
using Emulator.Machine.Timers;
using Emulator.Block.Tracing;

namespace Emulator.Devices.Floppy;

/// <summary>
/// Intel 82078-compatible floppy disk controller in PC-AT mode (82077AA/82078 datasheets), as
/// QEMU's isa-fdc presents it: ports 0x3F1-0x3F5 and 0x3F7 (0x3F6 is IDE's, SRA at 0x3F0 is not
/// decoded on the ISA card), IRQ 6, ISA DMA channel 2, two drives (<see cref="FloppyDrive"/>).
/// <para>
/// Registers: SRB, DOR (drive select, reset on the nRESET rising edge, DMA gate, motors), TDR,
/// MSR/DSR (data rate, power-down and software reset), FIFO, DIR (disk change line) / CCR. The
/// command phase collects the bytes of a command decoded by <see cref="FdcCommandTable"/>; data
/// commands run in <see cref="FdcTransfer"/>; the result phase hands back ST0-ST2 and the next
/// C/H/R/N. A reset raises IRQ 6 and leaves four SENSE INTERRUPT STATUS answers (0xC0-0xC3).
/// </para>
/// <para>
/// Guest input is bounded: the command phase never holds more than the longest command (RESTORE,
/// 18 bytes), every FIFO index is taken modulo the 512-byte FIFO, transfer lengths are computed
/// from byte-sized fields (at most 16 KiB × 510 sectors) and the I/O itself always moves one
/// 512-byte sector at an offset the block layer bounds-checks.
/// </para>
/// <para>
/// Where this model departs from QEMU on purpose (each toward the datasheet, none visible to a BIOS):
/// FORMAT TRACK really writes the filler byte into the sectors its IDs name (QEMU only records the
/// format); VERIFY moves no data in non-DMA mode either; the SCANs report SEH / SNS as the datasheet
/// says instead of always SEH; a non-DMA read also names the next sector in its result; READ ID
/// selects the drive named in its parameter; RESTORE leaves the medium's sectors-per-track alone;
/// a non-DMA transfer that runs past the end of the track ends with a result instead of stalling.
/// Because sectors are read asynchronously, a non-DMA transfer drops RQM (and IRQ 6) between
/// sectors and raises IRQ 6 again when the next sector is in the FIFO.
/// </para>
/// Limitations: seeks complete at once; READ/WRITE DELETED DATA always terminate abnormally (as in
/// QEMU); FORMAT AND WRITE is answered as an invalid command; the implied-seek, FIFO-threshold and
/// polling settings of CONFIGURE are stored and reported, not acted on; sector IDs are not
/// compared with N (every sector is 512 bytes on the image).
/// <para>
/// Lifecycle (<see cref="IMachineDevice"/>): <see cref="PcMachine.Install{T}"/> before <c>Start</c> claims the ports,
/// IRQ 6 and DMA channel 2; a machine reset is the controller's hardware reset (no interrupt); a resume submits
/// again the sector write the <c>stop</c> error policy parked. It cannot be hot-unplugged (QEMU's isa-fdc sits on
/// the ISA bus); removed before the machine starts, it lets go of its drives' backends.
/// </para>
/// </summary>
public sealed class FloppyController : IPortDevice, IMachineDevice
{
    /// <summary>The first I/O port of the controller's register block on a PC (3F0h); the controller decodes base+0 to base+7 except base+6.</summary>
    public const ushort DefaultBasePort = 0x3F0;
    /// <summary>The ISA interrupt line the controller raises at the end of a command or seek (IRQ 6).</summary>
    public const int DefaultIrq = 6;
    /// <summary>The 8237 channel data moves through in DMA mode (channel 2).</summary>
    public const int DefaultDmaChannel = 2;
    /// <summary>Drive slots the controller models (units 0 and 1, QEMU's pc has two).</summary>
    public const int MaxDrives = 2;

    /// <summary>Bytes per sector of every medium the controller handles (and the FIFO's size).</summary>
    public const int SectorSize = 512;

    private const ushort FirstPortOffset = 1;
    private const int LowPortCount = 5;
    private const ushort DirPortOffset = 7;
    private const byte DriveSelectMask = 0x01;
    private const byte BootSelectMask = 0x04;
    private const int BootSelectShift = 2;
    private const byte HeadSelectBit = 0x04;
    private const int HeadSelectShift = 2;
    private const byte MultiTrackBit = 0x80;
    private const byte LockBit = 0x80;
    private const int LockResultShift = 4;
    private const byte PerpendicularEnable = 0x80;
    private const byte PerpendicularMask = 0x07;
    private const byte SpecifyNonDma = 0x01;
    private const byte DiskChanged = 0x80;
    private const byte Version82078 = 0x90;
    private const byte PartIdStepping1 = 0x41;
    private const int ResetSenseInterrupts = 4;
    private const byte DriveSpecEnd = 0x80;
    private const byte DriveSpecResult = 0x40;
    private const int DriveSpecResultBytes = 4;
    private const int TransferResultBytes = 7;
    private const int SenseInterruptResultBytes = 2;
    private const string NotHotpluggable = "Bus 'isa.0' does not support hotplugging";

    /// <summary>READ ID answers after one 20 ms revolution (300 rpm), as QEMU's result timer does.</summary>
    private const long ReadIdDelayNs = VirtualClock.NanosecondsPerSecond / 50;

    private readonly PcMachine _machine;
    private IIrqLine? _irq;
    private readonly VirtualTimer _resultTimer;
    private readonly FloppyDrive[] _drives = new FloppyDrive[MaxDrives];
    private readonly byte[] _fifo = new byte[SectorSize];
    private readonly FdcTransfer _transfer;
    private readonly FdcSettings _settings = new();

    private FdcStatusA _sra;
    private FdcStatusB _srb;
    private FdcDigitalOutput _dor;
    private byte _tdr;
    private FdcDataRateSelect _dsr;
    private FdcPhase _phase;
    private int _dataPos;
    private int _dataLen;
    private int _resetSenseInterrupts;

    /// <param name="machine">The PC: its DMA channel 2, clock and CMOS; <see cref="PcMachine.Install{T}"/> wires the controller in.</param>
    /// <param name="fallback">The drive type an <see cref="FloppyDriveType.Auto"/> drive takes with no medium (QEMU: 2.88 MB).</param>
    public FloppyController(PcMachine machine, FloppyDriveType fallback = FloppyDriveType.Drive288)
    {
        ArgumentNullException.ThrowIfNull(machine);
        if (fallback is FloppyDriveType.Auto)
        {
            throw new ArgumentException("Cannot choose a fallback FDrive type of 'auto'", nameof(fallback));
        }

        _machine = machine;
        TraceTrack = IoTrace.RegisterTrack("fdc0");
        _resultTimer = machine.Clock.CreateTimer(OnReadIdTimer, "fdc-read-id");
        for (var i = 0; i < MaxDrives; i++)
        {
            _drives[i] = new FloppyDrive(i, fallback);
        }

        _transfer = new FdcTransfer(this, machine.Chipset.Dma.GetChannel(DefaultDmaChannel), machine.Clock);
        Reset(raiseIrq: false);
    }

    /// <summary>The first I/O port of the register block; always <see cref="DefaultBasePort"/>.</summary>
    public ushort BasePort => DefaultBasePort;

    /// <summary>The current command phase (for diagnostics; guests see it through MSR).</summary>
    internal FdcPhase Phase => _phase;

    internal FdcMainStatus Msr { get; set; }

    internal FdcStatus0 Status0 { get; set; }

    internal int CurrentUnit { get; private set; }

    internal FloppyDrive CurrentDrive => DriveAt(CurrentUnit);

    internal bool DmaEnabled => (_dor & FdcDigitalOutput.DmaGate) != 0;

    internal FloppyDataRate ProgrammedRate => (FloppyDataRate)(_dsr & FdcDataRateSelect.RateMask);

    internal byte[] Fifo => _fifo;

    /// <summary>The drive in slot <paramref name="unit"/> (0 or 1).</summary>
    public FloppyDrive GetDrive(int unit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(unit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(unit, MaxDrives);
        return _drives[unit];
    }

    string? IMachineDevice.HotUnplugRefusal => NotHotpluggable;

    /// <summary>Claims the ports (base+1..base+5 and base+7), IRQ 6 and DMA channel 2; before the machine starts.</summary>
    void IMachineDevice.Install(DeviceHooks hooks)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        hooks.ClaimPorts(this, (ushort)(DefaultBasePort + FirstPortOffset), LowPortCount);
        hooks.ClaimPorts(this, (ushort)(DefaultBasePort + DirPortOffset), 1);
        _irq = hooks.IsaIrq(DefaultIrq);

        // The transfer engine was built on this channel; recorded so removal drops its request line.
        hooks.IsaDma(DefaultDmaChannel);
    }

    /// <summary>Machine reset: the controller's hardware reset, without the interrupt a software reset raises.</summary>
    void IMachineDevice.Reset(ResetKind kind) => Reset(raiseIrq: false);

    void IMachineDevice.Resume() => _transfer.RetryParked();

    /// <summary>Removed before the machine started: timers stopped, each drive's requests finished and its backend free again, no drives in CMOS.</summary>
    void IMachineDevice.Remove()
    {
        Reset(raiseIrq: false);
        foreach (var drive in _drives)
        {
            if (drive.Backend is { } backend)
            {
                backend.Drain();
                backend.DetachDevice(drive);
                drive.Detach();
            }
        }

        FloppyCmos.Update(_machine.Chipset.Cmos, FloppyDriveType.None, FloppyDriveType.None);
        _irq = null;
    }

    /// <summary>
    /// Connects <paramref name="backend"/> as drive <paramref name="unit"/> and reports the drive types
    /// in CMOS (byte 0x10, the diskette bits of the equipment byte, the checksum). Like QEMU's floppy
    /// device it refuses error policies it cannot honour: rerror must be report, werror report or enospc.
    /// </summary>
    /// <param name="unit">Drive slot 0 (A:) or 1 (B:).</param>
    /// <param name="backend">The drive's backend; it may have no medium (an empty drive).</param>
    /// <param name="type">The drive type; <see cref="FloppyDriveType.Auto"/> picks it from the medium.</param>
    /// <param name="deviceId">The qdev id the monitor shows for the drive.</param>
    /// <param name="qomPath">The QOM path used in events; defaults to <paramref name="deviceId"/>.</param>
    /// <exception cref="ArgumentException">An unsupported error policy, a unit out of range or already in use.</exception>
    public FloppyDrive AttachDrive(int unit, BlockBackend backend, FloppyDriveType type = FloppyDriveType.Auto, string deviceId = "", string? qomPath = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (unit is < 0 or >= MaxDrives)
        {
            throw new ArgumentException($"Can't create floppy unit {unit}, bus supports only {MaxDrives} units", nameof(unit));
        }

        var drive = _drives[unit];
        if (drive.Backend is not null)
        {
            throw new ArgumentException($"Floppy unit {unit} is in use", nameof(unit));
        }

        if (backend.WriteErrorPolicy is not (BlockErrorPolicy.Report or BlockErrorPolicy.Enospc))
        {
            throw new ArgumentException("fdc doesn't support drive option werror", nameof(backend));
        }

        if (backend.ReadErrorPolicy is not BlockErrorPolicy.Report)
        {
            throw new ArgumentException("fdc doesn't support drive option rerror", nameof(backend));
        }

        backend.AttachDevice(drive, deviceId, qomPath);
        drive.Attach(backend, type);
        if (unit == 1)
        {
            _sra &= ~FdcStatusA.NoSecondDrive;
        }

        FloppyCmos.Update(_machine.Chipset.Cmos, _drives[0].DriveType, _drives[1].DriveType);
        return drive;
    }

    /// <summary>
    /// A guest read of the register at <paramref name="port"/> (status A/B, DOR, TDR, MSR, FIFO, DIR);
    /// reading the FIFO advances the result phase. Ports outside the block read FFh. Machine thread only.
    /// </summary>
    /// <param name="port">The absolute port, <see cref="BasePort"/> + register offset.</param>
    /// <param name="width">The access width; the registers are 8 bits wide, only the low byte is meaningful.</param>
    /// <returns>The register value in the low byte.</returns>
    public uint Read(ushort port, PortWidth width) => (FdcRegister)(port - DefaultBasePort) switch
    {
        FdcRegister.StatusA => (uint)_sra,
        FdcRegister.StatusB => (uint)_srb,
        FdcRegister.DigitalOutput => (uint)_dor | (uint)CurrentUnit,
        FdcRegister.TapeDrive => _tdr,
        FdcRegister.MainStatusOrDataRate => ReadMainStatus(),
        FdcRegister.Fifo => ReadFifo(),
        FdcRegister.DigitalInputOrConfig => CurrentDrive.MediaChanged ? DiskChanged : 0u,
        _ => byte.MaxValue,
    };

    /// <summary>
    /// A guest write to the register at <paramref name="port"/> (DOR, TDR, DSR, FIFO, CCR); a FIFO write
    /// feeds the command phase and may start a command or a transfer. While the controller is held in
    /// reset (DOR bit 2 clear) only DOR writes take effect. Machine thread only.
    /// </summary>
    /// <param name="port">The absolute port, <see cref="BasePort"/> + register offset.</param>
    /// <param name="width">The access width; only the low byte is used.</param>
    /// <param name="value">The value written.</param>
    public void Write(ushort port, PortWidth width, uint value)
    {
        var b = (byte)value;
        switch ((FdcRegister)(port - DefaultBasePort))
        {
            case FdcRegister.DigitalOutput:
                WriteDigitalOutput((FdcDigitalOutput)b);
                break;
            case FdcRegister.TapeDrive when !InReset:
                _tdr = (byte)(b & BootSelectMask);
                break;
            case FdcRegister.MainStatusOrDataRate when !InReset:
                WriteDataRate((FdcDataRateSelect)b);
                break;
            case FdcRegister.Fifo when !InReset:
                WriteFifo(b);
                break;
            case FdcRegister.DigitalInputOrConfig when !InReset:
                // CCR: only the rate bits exist in PC-AT mode; they live in the DSR.
                _dsr = (_dsr & ~FdcDataRateSelect.RateMask) | ((FdcDataRateSelect)b & FdcDataRateSelect.RateMask);
                break;
        }
    }

    private bool InReset => (_dor & FdcDigitalOutput.NotReset) == 0;

    /// <summary>Drive <paramref name="unit"/> as the guest addresses it: TDR's boot-select swaps units 0 and 1.</summary>
    internal FloppyDrive DriveAt(int unit) => _drives[unit ^ ((_tdr & BootSelectMask) >> BootSelectShift)];

    /// <summary>Selects the drive named by the DS bits of a command's first parameter.</summary>
    internal FloppyDrive SelectFromParameter(byte parameter)
    {
        CurrentUnit = parameter & DriveSelectMask;
        return CurrentDrive;
    }

    /// <summary>The controller's queue in I/O traces.</summary>
    internal int TraceTrack { get; }

    internal void RaiseIrq()
    {
        if ((_sra & FdcStatusA.InterruptPending) == 0)
        {
            _irq?.Raise();
            IoTrace.Interrupt(TraceTrack);
            _sra |= FdcStatusA.InterruptPending;
        }

        _resetSenseInterrupts = 0;
    }

    /// <summary>
    /// Drops IRQ 6 without touching ST0: a non-DMA transfer does this while the medium is busy, so the
    /// next "data ready" interrupt is a fresh edge (guests that move PIO data from the interrupt
    /// handler, like Linux without DMA, wait for it).
    /// </summary>
    internal void LowerIrq()
    {
        if ((_sra & FdcStatusA.InterruptPending) != 0)
        {
            _irq?.Lower();
            _sra &= ~FdcStatusA.InterruptPending;
        }
    }

    /// <summary>
    /// Ends a data command: builds ST0-ST2 and the current C/H/R/N into the FIFO, releases DREQ and
    /// enters the result phase with IRQ 6 raised.
    /// </summary>
    internal void StopTransfer(FdcStatus0 st0, FdcStatus1 st1, FdcStatus2 st2)
    {
        var drive = CurrentDrive;
        var status = (Status0 & ~(FdcStatus0.DriveSelectMask | FdcStatus0.Head)) | (FdcStatus0)CurrentUnit | st0;
        if (drive.Head != 0)
        {
            status |= FdcStatus0.Head;
        }

        Status0 = status;
        _fifo[0] = (byte)status;
        _fifo[1] = (byte)st1;
        _fifo[2] = (byte)st2;
        _fifo[3] = drive.Track;
        _fifo[4] = drive.Head;
        _fifo[5] = drive.Sector;
        _fifo[6] = FdcTransfer.SectorSizeCode512;
        _transfer.ReleaseRequest();
        Msr = (Msr | FdcMainStatus.RequestForMaster | FdcMainStatus.DataToHost) & ~FdcMainStatus.NonDma;
        ToResultPhase(TransferResultBytes);
        RaiseIrq();
    }

    /// <summary>Ends a data command that failed before moving: the result echoes the requested C/H/R.</summary>
    internal void StopTransfer(FdcStatus0 st0, FdcStatus1 st1, byte track, byte head, byte sector)
    {
        StopTransfer(st0, st1, FdcStatus2.None);
        _fifo[3] = track;
        _fifo[4] = head;
        _fifo[5] = sector;
    }

    private uint ReadMainStatus()
    {
        // Reading MSR wakes the chip from power-down and, as QEMU does, forces nRESET on.
        _dsr &= ~FdcDataRateSelect.PowerDown;
        _dor |= FdcDigitalOutput.NotReset;
        return (uint)Msr;
    }

    private void WriteDigitalOutput(FdcDigitalOutput value)
    {
        _srb = (_srb & ~(FdcStatusB.Motor0 | FdcStatusB.Motor1 | FdcStatusB.DriveSelect0))
            | ((value & FdcDigitalOutput.Motor0) != 0 ? FdcStatusB.Motor0 : 0)
            | ((value & FdcDigitalOutput.Motor1) != 0 ? FdcStatusB.Motor1 : 0)
            | ((value & FdcDigitalOutput.DriveSelect) != 0 ? FdcStatusB.DriveSelect0 : 0);
        if ((value & FdcDigitalOutput.NotReset) != 0 && InReset)
        {
            Reset(raiseIrq: true);
            _dsr &= ~FdcDataRateSelect.PowerDown;
        }

        CurrentUnit = (int)(value & FdcDigitalOutput.DriveSelect);
        _dor = value;
    }

    private void WriteDataRate(FdcDataRateSelect value)
    {
        if ((value & FdcDataRateSelect.SoftwareReset) != 0)
        {
            _dor &= ~FdcDigitalOutput.NotReset;
            Reset(raiseIrq: true);
            _dor |= FdcDigitalOutput.NotReset;
        }

        if ((value & FdcDataRateSelect.PowerDown) != 0)
        {
            Reset(raiseIrq: true);
        }

        _dsr = value;
    }

    private void Reset(bool raiseIrq)
    {
        ResetIrq();
        _sra = _drives[1].Backend is null ? FdcStatusA.NoSecondDrive : FdcStatusA.None;
        _srb = FdcStatusB.ReservedOnes;
        CurrentUnit = 0;
        _dor = FdcDigitalOutput.NotReset | FdcDigitalOutput.DmaGate;
        Msr = FdcMainStatus.RequestForMaster;
        _resetSenseInterrupts = 0;
        _resultTimer.Cancel();
        _transfer.Abort();
        foreach (var drive in _drives)
        {
            drive.Recalibrate();
        }

        ToCommandPhase();
        if (raiseIrq)
        {
            Status0 |= FdcStatus0.ReadyChange;
            RaiseIrq();
            _resetSenseInterrupts = ResetSenseInterrupts;
        }
    }

    private void ResetIrq()
    {
        Status0 = FdcStatus0.None;
        LowerIrq();
    }

    private void ToCommandPhase()
    {
        _phase = FdcPhase.Command;
        _dataPos = 0;
        _dataLen = 1;
        Msr = (Msr & ~(FdcMainStatus.CommandBusy | FdcMainStatus.DataToHost)) | FdcMainStatus.RequestForMaster;
    }

    private void ToResultPhase(int length)
    {
        _phase = FdcPhase.Result;
        _dataLen = length;
        _dataPos = 0;
        Msr |= FdcMainStatus.CommandBusy | FdcMainStatus.RequestForMaster | FdcMainStatus.DataToHost;
    }

    private byte ReadFifo()
    {
        _dsr &= ~FdcDataRateSelect.PowerDown;
        const FdcMainStatus ready = FdcMainStatus.RequestForMaster | FdcMainStatus.DataToHost;
        if ((Msr & ready) != ready)
        {
            return 0;
        }

        if (_phase == FdcPhase.Execution)
        {
            return _transfer.ReadByte();
        }

        var value = _fifo[_dataPos % SectorSize];
        if (++_dataPos >= _dataLen)
        {
            Msr &= ~FdcMainStatus.RequestForMaster;
            ToCommandPhase();
            IoTrace.Acknowledge(TraceTrack);
            ResetIrq();
        }

        return value;
    }

    private void WriteFifo(byte value)
    {
        if ((Msr & (FdcMainStatus.RequestForMaster | FdcMainStatus.DataToHost)) != FdcMainStatus.RequestForMaster)
        {
            return;
        }

        _dsr &= ~FdcDataRateSelect.PowerDown;
        if (_phase == FdcPhase.Execution)
        {
            _transfer.WriteByte(value);
            return;
        }

        // Command phase: _dataLen is at most 18 (RESTORE), so the index stays far inside the FIFO.
        var pos = _dataPos++;
        _fifo[pos] = value;
        ref readonly var command = ref FdcCommandTable.Lookup(_fifo[0]);
        if (pos == 0)
        {
            _dataLen = command.Parameters + 1;
            Msr |= FdcMainStatus.CommandBusy;
        }

        var driveSpecDone = command.Kind == FdcCommandKind.DriveSpecification && pos > 0 && (value & DriveSpecEnd) != 0;
        if (_dataPos >= _dataLen || driveSpecDone)
        {
            Msr &= ~FdcMainStatus.RequestForMaster;
            _phase = FdcPhase.Execution;
            IoTrace.Doorbell(TraceTrack);
            Execute(command);
        }
    }

    private void Execute(in FdcCommandInfo command)
    {
        switch (command.Kind)
        {
            case FdcCommandKind.Transfer:
                _transfer.Start(command.Direction, (_fifo[0] & MultiTrackBit) != 0);
                break;
            case FdcCommandKind.TransferDeleted:
                // Deleted-data marks do not exist on an image: QEMU terminates these abnormally, so do we.
                StopTransfer(FdcStatus0.AbnormalTermination | FdcStatus0.SeekEnd, FdcStatus1.None, FdcStatus2.None);
                break;
            case FdcCommandKind.FormatTrack:
                _transfer.StartFormat();
                break;
            case FdcCommandKind.ReadId:
                SelectFromParameter(_fifo[1]).Head = (byte)((_fifo[1] & HeadSelectBit) >> HeadSelectShift);
                _resultTimer.ArmAfter(ReadIdDelayNs);
                break;
            case FdcCommandKind.Recalibrate:
                SelectFromParameter(_fifo[1]).Recalibrate();
                SeekDone();
                break;
            case FdcCommandKind.Seek:
                var drive = SelectFromParameter(_fifo[1]);
                drive.Seek(drive.Head, _fifo[2], drive.Sector);
                SeekDone();
                break;
            case FdcCommandKind.RelativeSeekOut:
                RelativeSeek(-_fifo[2]);
                break;
            case FdcCommandKind.RelativeSeekIn:
                RelativeSeek(_fifo[2]);
                break;
            case FdcCommandKind.SenseInterruptStatus:
                SenseInterruptStatus();
                break;
            case FdcCommandKind.SenseDriveStatus:
                SenseDriveStatus();
                break;
            case FdcCommandKind.Specify:
                _settings.Specify(_fifo[1], _fifo[2]);
                _dor = (_fifo[2] & SpecifyNonDma) != 0 ? _dor & ~FdcDigitalOutput.DmaGate : _dor | FdcDigitalOutput.DmaGate;
                ToCommandPhase();
                break;
            case FdcCommandKind.PerpendicularMode:
                if ((_fifo[1] & PerpendicularEnable) != 0)
                {
                    CurrentDrive.Perpendicular = (byte)(_fifo[1] & PerpendicularMask);
                }

                ToCommandPhase();
                break;
            case FdcCommandKind.Configure:
                _settings.Configure(_fifo[2], _fifo[3]);
                ToCommandPhase();
                break;
            case FdcCommandKind.Lock:
                _settings.Locked = (_fifo[0] & LockBit) != 0;
                Answer((byte)((_settings.Locked ? 1 : 0) << LockResultShift));
                break;
            case FdcCommandKind.DumpRegisters:
                DumpRegisters();
                break;
            case FdcCommandKind.Version:
                Answer(Version82078);
                break;
            case FdcCommandKind.PartId:
                Answer(PartIdStepping1);
                break;
            case FdcCommandKind.PowerDownMode:
                Answer(_settings.SetPowerDownMode(_fifo[1]));
                break;
            case FdcCommandKind.Option:
                ToCommandPhase();
                break;
            case FdcCommandKind.Save:
                Save();
                break;
            case FdcCommandKind.Restore:
                Restore();
                break;
            case FdcCommandKind.DriveSpecification:
                DriveSpecification();
                break;
            default:
                Answer((byte)FdcStatus0.InvalidCommand);
                break;
        }
    }

    private void Answer(byte value)
    {
        _fifo[0] = value;
        ToResultPhase(1);
    }

    private void SeekDone()
    {
        ToCommandPhase();
        Status0 |= FdcStatus0.SeekEnd;
        RaiseIrq();
    }

    /// <summary>RELATIVE SEEK: steps out clamp at track 0, steps in at the last track of the medium.</summary>
    private void RelativeSeek(int steps)
    {
        var drive = SelectFromParameter(_fifo[1]);
        var target = drive.Track + steps;
        target = steps < 0 ? Math.Max(target, 0) : Math.Min(target, drive.Tracks - 1);
        if (target >= 0)
        {
            drive.Seek(drive.Head, (byte)target, drive.Sector);
        }

        SeekDone();
    }

    private void SenseInterruptStatus()
    {
        var drive = CurrentDrive;
        if (_resetSenseInterrupts > 0)
        {
            // After a reset each of the four drives reports "ready changed" in turn: 0xC0..0xC3.
            _fifo[0] = (byte)((int)FdcStatus0.ReadyChange + ResetSenseInterrupts - _resetSenseInterrupts);
            _resetSenseInterrupts--;
        }
        else if ((_sra & FdcStatusA.InterruptPending) == 0)
        {
            Answer((byte)FdcStatus0.InvalidCommand);
            return;
        }
        else
        {
            _fifo[0] = (byte)((Status0 & ~(FdcStatus0.Head | FdcStatus0.DriveSelectMask)) | (FdcStatus0)CurrentUnit);
        }

        _fifo[1] = drive.Track;
        ToResultPhase(SenseInterruptResultBytes);
        ResetIrq();
        Status0 = FdcStatus0.ReadyChange;
    }

    private void SenseDriveStatus()
    {
        var drive = SelectFromParameter(_fifo[1]);
        drive.Head = (byte)((_fifo[1] & HeadSelectBit) >> HeadSelectShift);
        var st3 = FdcStatus3.Ready | FdcStatus3.TwoSided | (FdcStatus3)CurrentUnit;
        st3 |= drive.ReadOnly ? FdcStatus3.WriteProtected : 0;
        st3 |= drive.Track == 0 ? FdcStatus3.Track0 : 0;
        st3 |= drive.Head != 0 ? FdcStatus3.Head : 0;
        Answer((byte)st3);
    }

    private void DumpRegisters()
    {
        var drive = CurrentDrive;
        _settings.Dump(_fifo, DriveAt(0).Track, DriveAt(1).Track, drive.SectorsPerTrack, drive.Perpendicular, DmaEnabled);
        ToResultPhase(FdcSettings.DumpBytes);
    }

    private void Save()
    {
        var drive = CurrentDrive;
        _settings.Save(_fifo, DriveAt(0).Track, DriveAt(1).Track, drive.SectorsPerTrack, drive.Perpendicular);
        ToResultPhase(FdcSettings.SaveBytes);
    }

    /// <summary>
    /// RESTORE reloads what SAVE produced. Unlike QEMU it does not take the sectors-per-track byte:
    /// the geometry belongs to the medium, and a guest-chosen value would only skew sector offsets.
    /// </summary>
    private void Restore()
    {
        DriveAt(0).RestoreTrack(_fifo[3]);
        DriveAt(1).RestoreTrack(_fifo[4]);
        CurrentDrive.Perpendicular = _settings.Restore(_fifo);
        ToCommandPhase();
    }

    /// <summary>
    /// DRIVE SPECIFICATION takes up to four drive bytes and ends with a byte whose bit 7 is set; with
    /// bit 6 also set the controller answers four bytes. Five bytes with no terminator is an error.
    /// </summary>
    private void DriveSpecification()
    {
        var last = _fifo[_dataPos - 1];
        if ((last & DriveSpecEnd) == 0)
        {
            var drive = CurrentDrive;
            Answer((byte)((byte)FdcStatus0.InvalidCommand | (drive.Head << HeadSelectShift) | CurrentUnit));
        }
        else if ((last & DriveSpecResult) != 0)
        {
            _fifo[0] = _fifo[1];
            _fifo[2] = 0;
            _fifo[3] = 0;
            ToResultPhase(DriveSpecResultBytes);
        }
        else
        {
            ToCommandPhase();
        }
    }

    private void OnReadIdTimer()
    {
        var drive = CurrentDrive;

        // The disk spins under the head: each READ ID finds the next sector (Coherent checks interleave this way).
        if (drive.SectorsPerTrack != 0)
        {
            drive.Sector = (byte)((drive.Sector % drive.SectorsPerTrack) + 1);
        }

        if (ProgrammedRate != drive.MediaRate)
        {
            StopTransfer(FdcStatus0.AbnormalTermination, FdcStatus1.MissingAddressMark, FdcStatus2.None);
        }
        else
        {
            StopTransfer(FdcStatus0.None, FdcStatus1.None, FdcStatus2.None);
        }
    }
}
