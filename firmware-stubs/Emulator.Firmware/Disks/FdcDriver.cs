using Emulator.Firmware.Hardware;
using Emulator.Firmware.Services;
using static Emulator.Firmware.Disks.FdcPorts;

namespace Emulator.Firmware.Disks;

/// <summary>
/// The BIOS's driver for the floppy controller at 3F0h: reset with the four SENSE INTERRUPT STATUS
/// answers, SPECIFY, RECALIBRATE and SEEK, and READ/WRITE DATA through ISA DMA channel 2 with IRQ 6
/// (the ROM's INT 0Eh handler sets bit 7 of BDA 3Eh, as on the IBM AT). Every wait yields to the ROM
/// stub, which halts until the interrupt arrives.
/// </summary>
internal sealed class FdcDriver(FirmwareContext context)
{
    private const byte InterruptFlag = 0x80;
    private const int MaxCommandPolls = 10_000;

    /// <summary>A sector-sized bounce buffer in the EBDA for a transfer that would cross a 64 KiB DMA page.</summary>
    public const uint BounceBuffer = (Bda.Ebda << 4) + 0x200;

    private readonly IsaDmaPorts _dma = new(context.Ports);
    private readonly byte[] _result = new byte[7];
    private readonly int[] _cylinder = [-1, -1];
    private bool _initialized;
    private bool _resultRead;
    private byte _rate = 0xFF;

    public FirmwareContext Context => context;

    /// <summary>The last result phase (ST0, ST1, ST2, C, H, R, N).</summary>
    public ReadOnlySpan<byte> Result => _result;

    /// <summary>Forgets where the heads are, so the next access recalibrates (after a reset or a media change).</summary>
    public void Forget(int unit) => _cylinder[unit] = -1;

    /// <summary>Pulses reset, collects the four drive interrupts, and programs SPECIFY.</summary>
    public IEnumerable<BiosServiceResult> Reset()
    {
        var ports = context.Ports;
        ClearInterrupt();
        ports.WriteByte(DigitalOutput, 0);
        ports.WriteByte(DigitalOutput, DorNotReset | DorDmaGate);
        foreach (var wait in WaitInterrupt())
        {
            yield return wait;
        }

        for (var drive = 0; drive < 4; drive++)
        {
            if (!Command(SenseInterrupt) || !ReadResult(2))
            {
                _initialized = false;
                yield break;
            }
        }

        _rate = 0xFF;
        _cylinder[0] = _cylinder[1] = -1;
        _initialized = Command(FdcPorts.Specify, SpecifyStepUnload, SpecifyLoadDma);
    }

    public bool Initialized => _initialized;

    /// <summary>Selects <paramref name="unit"/> with its motor on.</summary>
    public void Select(int unit)
    {
        context.Ports.WriteByte(DigitalOutput, (byte)(DorNotReset | DorDmaGate | (DorMotorA << unit) | unit));
        context.Memory.WriteByte(Bda.FloppyMotorStatus, (byte)(1 << unit));
    }

    /// <summary>The disk change line of the selected drive.</summary>
    public bool DiskChanged => (context.Ports.ReadByte(DigitalInput) & DirDiskChange) != 0;

    public void SetRate(byte rate)
    {
        if (rate != _rate)
        {
            context.Ports.WriteByte(ConfigControl, rate);
            _rate = rate;
        }
    }

    /// <summary>Moves the head of <paramref name="unit"/> to <paramref name="cylinder"/> (recalibrating first when its position is unknown); sets <see cref="Ok"/>.</summary>
    public IEnumerable<BiosServiceResult> Seek(int unit, int cylinder, bool force = false)
    {
        Ok = true;
        if (_cylinder[unit] < 0)
        {
            foreach (var wait in HeadCommand(unit, Recalibrate))
            {
                yield return wait;
            }

            // A second recalibrate covers drives with more than 77 tracks, as BIOSes do.
            if (Ok && _cylinder[unit] != 0)
            {
                foreach (var wait in HeadCommand(unit, Recalibrate))
                {
                    yield return wait;
                }
            }

            if (!Ok)
            {
                yield break;
            }
        }

        if (_cylinder[unit] != cylinder || force)
        {
            foreach (var wait in HeadCommand(unit, FdcPorts.Seek, (byte)cylinder))
            {
                yield return wait;
            }
        }
    }

    /// <summary>Whether the last seek, READ ID or transfer succeeded.</summary>
    public bool Ok { get; private set; }

    /// <summary>READ ID on the current cylinder: succeeds when a sector header is readable at the current data rate.</summary>
    public IEnumerable<BiosServiceResult> ReadId(int unit, int head)
    {
        ClearInterrupt();
        Ok = Command(FdcPorts.ReadId, (byte)((head << 2) | unit));
        if (!Ok)
        {
            yield break;
        }

        foreach (var wait in WaitInterrupt())
        {
            yield return wait;
        }

        Ok = ReadResult(7) && (_result[0] & St0InterruptCode) == 0;
    }

    /// <summary>
    /// READ DATA, WRITE DATA or a verifying read of sectors <paramref name="sector"/>..<paramref name="lastSector"/>
    /// on one track, through DMA at <paramref name="address"/>; sets <see cref="Ok"/> and <see cref="Status"/>.
    /// </summary>
    public IEnumerable<BiosServiceResult> Transfer(DiskCommand command, int unit, int cylinder, int head, int sector, int lastSector, uint address)
    {
        var length = (lastSector - sector + 1) * 512;
        _dma.Program(command switch
        {
            DiskCommand.Write => IsaDmaPorts.ModeFromMemory,
            DiskCommand.Verify => IsaDmaPorts.ModeVerify,
            _ => IsaDmaPorts.ModeToMemory,
        }, address, length);
        ClearInterrupt();
        foreach (var wait in AwaitResult(Command(
                command == DiskCommand.Write ? WriteData : ReadData,
                (byte)((head << 2) | unit),
                (byte)cylinder,
                (byte)head,
                (byte)sector,
                SectorSize512,
                (byte)lastSector,
                Gap3ReadWrite,
                DataLength)))
        {
            yield return wait;
        }

        if (!_resultRead)
        {
            yield break;
        }

        var st0 = _result[0];
        var st1 = _result[1];
        // EOT is the last sector wanted and the DMA count ends with it, so a normal termination is the only success
        // (a sector past the track ends abnormally with "end of cylinder").
        if ((st0 & St0InterruptCode) == 0)
        {
            Ok = true;
            Status = DiskStatus.Success;
            yield break;
        }

        Fail(st1 switch
        {
            _ when (st1 & St1NotWritable) != 0 => DiskStatus.WriteProtected,
            _ when (st1 & St1MissingAddressMark) != 0 => DiskStatus.AddressMarkNotFound,
            _ when (st1 & St1NoData) != 0 => DiskStatus.SectorNotFound,
            _ when (st1 & St1Overrun) != 0 => DiskStatus.DmaOverrun,
            _ when (st1 & St1DataError) != 0 => DiskStatus.UncorrectableData,
            _ when (st1 & St1EndOfCylinder) != 0 => DiskStatus.SectorNotFound,
            _ when (st0 & St0NotReady) != 0 => DiskStatus.Timeout,
            _ => DiskStatus.ControllerFailure,
        });
    }

    /// <summary>FORMAT TRACK with the C/H/R/N list already at <paramref name="address"/>.</summary>
    public IEnumerable<BiosServiceResult> Format(int unit, int head, int sectors, uint address)
    {
        _dma.Program(IsaDmaPorts.ModeFromMemory, address, sectors * 4);
        ClearInterrupt();
        foreach (var wait in AwaitResult(Command(FormatTrack, (byte)((head << 2) | unit), SectorSize512, (byte)sectors, Gap3Format, FormatFill)))
        {
            yield return wait;
        }

        if (!_resultRead)
        {
            yield break;
        }

        Ok = (_result[0] & St0InterruptCode) == 0;
        Status = Ok ? DiskStatus.Success : (_result[1] & St1NotWritable) != 0 ? DiskStatus.WriteProtected : DiskStatus.ControllerFailure;
    }

    public DiskStatus Status { get; private set; }

    private void Fail(DiskStatus status)
    {
        Ok = false;
        Status = status;
    }

    /// <summary>RECALIBRATE or SEEK, then SENSE INTERRUPT STATUS for the present cylinder.</summary>
    private IEnumerable<BiosServiceResult> HeadCommand(int unit, byte command, byte cylinder = 0)
    {
        ClearInterrupt();
        var sent = command == Recalibrate
            ? Command(command, (byte)unit)
            : Command(command, (byte)unit, cylinder);
        if (!sent)
        {
            Fail(DiskStatus.SeekFailed);
            yield break;
        }

        foreach (var wait in WaitInterrupt())
        {
            yield return wait;
        }

        if (!Command(SenseInterrupt) || !ReadResult(2) || (_result[0] & St0InterruptCode) != 0)
        {
            _cylinder[unit] = -1;
            Fail(DiskStatus.SeekFailed);
            yield break;
        }

        _cylinder[unit] = _result[1];
        Ok = true;
        Status = DiskStatus.Success;
    }

    private void ClearInterrupt()
    {
        var memory = context.Memory;
        memory.WriteByte(Bda.FloppyRecalibrateStatus, (byte)(memory.ReadByte(Bda.FloppyRecalibrateStatus) & ~InterruptFlag));
    }

    /// <summary>Waits for IRQ 6 (the ROM handler sets BDA 3Eh bit 7); gives up after the deadline with a timeout.</summary>
    /// <summary>
    /// After a command was sent (<paramref name="accepted"/> false when the FIFO refused it): waits for its
    /// interrupt and reads its seven result bytes. A refused command or a missing result is a controller
    /// failure; <c>_resultRead</c> says whether the caller has a result to judge.
    /// </summary>
    private IEnumerable<BiosServiceResult> AwaitResult(bool accepted)
    {
        _resultRead = false;
        if (!accepted)
        {
            Fail(DiskStatus.ControllerFailure);
            yield break;
        }

        foreach (var wait in WaitInterrupt())
        {
            yield return wait;
        }

        _resultRead = ReadResult(7);
        if (!_resultRead)
        {
            Fail(DiskStatus.ControllerFailure);
        }
    }

    private IEnumerable<BiosServiceResult> WaitInterrupt()
    {
        var deadline = new Deadline(context, ticks: 37);
        while ((context.Memory.ReadByte(Bda.FloppyRecalibrateStatus) & InterruptFlag) == 0)
        {
            if (deadline.Expired)
            {
                Fail(DiskStatus.Timeout);
                _initialized = false;
                yield break;
            }

            yield return BiosServiceResult.WaitForInterrupt;
        }

        ClearInterrupt();
    }

    /// <summary>Writes command bytes when the FIFO asks for them (RQM set, DIO clear).</summary>
    private bool Command(params ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (!WaitFifo(toCpu: false))
            {
                return false;
            }

            context.Ports.WriteByte(Data, b);
        }

        return true;
    }

    /// <summary>Reads <paramref name="count"/> result bytes while the controller offers them (RQM and DIO set).</summary>
    private bool ReadResult(int count)
    {
        Array.Clear(_result);
        for (var i = 0; i < count; i++)
        {
            if (!WaitFifo(toCpu: true))
            {
                return false;
            }

            _result[i] = context.Ports.ReadByte(Data);
        }

        return true;
    }

    private bool WaitFifo(bool toCpu)
    {
        for (var i = 0; i < MaxCommandPolls; i++)
        {
            var msr = context.Ports.ReadByte(MainStatus);
            if ((msr & MsrRqm) != 0)
            {
                return ((msr & MsrDio) != 0) == toCpu;
            }
        }

        return false;
    }
}
