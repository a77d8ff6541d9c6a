using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Platform;

/// <summary>
/// Motorola MC146818 real-time clock with 128 bytes of CMOS RAM, at ports 0x70 (index; bit 7
/// masks NMI) and 0x71 (data). The time starts from a host-supplied wall-clock instant and then
/// advances with the <see cref="VirtualClock"/> only, so a run is repeatable. Emulates BCD or
/// binary and 12/24-hour encoding per register B; register A's update-in-progress bit (set for
/// the 244.1 µs, eight 32.768 kHz cycles, before each update); register A's divider: DV 000, 001
/// and 010 run, DV 11x holds the chain in reset (clock stopped, no update cycles; released, the
/// first update comes 500 ms later), and the test modes 011-101 stop the time registers while
/// the chain keeps counting underneath, as QEMU does; SET freezing the time registers (guest writes
/// there are stored as they are and become the time when SET clears, impossible values rolling over
/// the way mktime does, as in QEMU); register C cleared on read, register D VRT, the century byte
/// 0x32, and the periodic, update-ended and alarm interrupts on IRQ 8 (line raised with IRQF,
/// lowered when register C is read). UF and AF are set by the update cycles whether or not their
/// interrupts are enabled; alarm bytes compare with the time bytes as stored (so the PM bit counts
/// in 12-hour mode). A new periodic rate counts from the last periodic interrupt. The BIOS bytes
/// (memory size, floppy and disk types, checksum) are filled in by <see cref="CmosSetup"/>.
/// Limitations: daylight saving is ignored; the day-of-week register is derived from the date
/// while the clock runs (a write to it only shows while the clock is stopped); composed years are
/// clamped to 2…9970; no update cycles (so no UF) run under SET, where QEMU keeps setting UF;
/// PF is set with the periodic interrupt disabled (datasheet; QEMU leaves it clear); QEMU's
/// lost-tick reinjection (lost_tick_policy=slew) is not emulated.
/// </summary>
public sealed class CmosRtc : IPortDevice, IResettable
{
    /// <summary>The index port; bit 7 of the written byte is the NMI mask, bits 6-0 select the byte.</summary>
    public const ushort IndexPort = 0x70;
    /// <summary>The data port: reads or writes the byte the index port selected.</summary>
    public const ushort DataPort = 0x71;
    /// <summary>Bytes of CMOS RAM, clock registers 0x00-0x0D included.</summary>
    public const int Size = 128;

    private const byte IndexMask = 0x7F;
    private const byte NmiDisableBit = 0x80;
    private const byte ValidRamAndTime = 0x80;
    /// <summary>Rate select 0110: the 976.5 µs (1024 Hz) periodic rate PC BIOSes program.</summary>
    private const byte DefaultRate = 0x06;
    private const byte DefaultStatusA = (byte)RtcStatusA.DividerNormal | DefaultRate;
    private const long NsPerSecond = VirtualClock.NanosecondsPerSecond;
    private const long TicksPerNs = 100;

    /// <summary>UIP rises this long before an update: eight 32.768 kHz cycles, 244.140 µs (QEMU's UIP_HOLD_LENGTH).</summary>
    private const long UpdateInProgressNs = 8 * NsPerSecond / RtcPeriodicRate.BaseHz;
    /// <summary>DV2-1 = 11 in register A: the divider chain held in reset (datasheet, "Divider Control").</summary>
    private const byte DividerResetBits = 0x60;
    private const RtcStatusC InterruptFlags = RtcStatusC.Periodic | RtcStatusC.Alarm | RtcStatusC.UpdateEnded;

    /// <summary>Shutdown status 0FEh: the guest suspended itself (S3), which a reset must not forget.</summary>
    private const byte SuspendShutdownCode = 0xFE;

    private readonly byte[] _ram = new byte[Size];
    private readonly VirtualClock _clock;
    private readonly IIrqLine? _irq;
    private readonly VirtualTimer _periodicTimer;
    private readonly VirtualTimer _updateTimer;

    // The time base: wall-clock time in Unix nanoseconds at virtual time _baseClockNs. It always
    // counts; the time registers show it only while the clock runs.
    private long _baseUnixNs;
    private long _baseClockNs;
    private long _restartPhaseNs;
    private long _lastStatusCReadNs;
    private long _nextPeriodicNs;
    private int _periodClocks;
    private byte _index;

    /// <param name="clock">The machine's virtual clock.</param>
    /// <param name="startTime">Wall-clock time at virtual time zero (the host clock at start, or a fixed instant for tests).</param>
    /// <param name="irq8">The RTC interrupt line (ISA IRQ 8); null leaves interrupts unwired.</param>
    public CmosRtc(VirtualClock clock, DateTime startTime, IIrqLine? irq8 = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _irq = irq8;
        _periodicTimer = clock.CreateTimer(OnPeriodic, "rtc-periodic");
        _updateTimer = clock.CreateTimer(OnUpdateEnded, "rtc-update");
        _baseUnixNs = (startTime.ToUniversalTime() - DateTime.UnixEpoch).Ticks * TicksPerNs;
        _baseClockNs = clock.PreciseNow;
        _lastStatusCReadNs = clock.PreciseNow;
        _ram[(int)CmosOffset.StatusA] = DefaultStatusA;
        _ram[(int)CmosOffset.StatusB] = (byte)RtcStatusB.Hour24;
        _ram[(int)CmosOffset.StatusD] = ValidRamAndTime;
        LatchTime();
        RescheduleUpdate();
    }

    /// <summary>True while the guest holds NMI disabled through bit 7 of port 0x70.</summary>
    public bool NmiMasked { get; private set; }

    /// <summary>The time base's current wall-clock time: what the time registers show while the clock runs.</summary>
    public DateTime CurrentTime => DateTime.UnixEpoch.AddTicks(TimebaseNs() / TicksPerNs);

    private RtcStatusB StatusB => (RtcStatusB)_ram[(int)CmosOffset.StatusB];

    private bool Frozen => (StatusB & RtcStatusB.Set) != 0;

    /// <summary>The time registers follow the time base: SET clear and the divider running.</summary>
    private bool Running => !Frozen && DividerRuns(_ram[(int)CmosOffset.StatusA]);

    /// <summary>Update cycles (UF, AF) run: SET clear and the divider chain out of reset.</summary>
    private bool UpdatesRun => !Frozen && !DividerInReset(_ram[(int)CmosOffset.StatusA]);

    /// <inheritdoc/>
    public void RegisterPorts(IoPortBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Register(this, IndexPort, 2);
    }

    /// <summary>
    /// System reset (the chip itself is battery-backed and keeps time and RAM): the periodic, alarm
    /// and square-wave enables in register B and every flag in register C clear, IRQ 8 drops, and
    /// the shutdown status byte clears unless it holds the suspend code, as QEMU's RTC reset does.
    /// </summary>
    public void Reset()
    {
        if (_ram[(int)CmosOffset.Shutdown] != SuspendShutdownCode)
        {
            _ram[(int)CmosOffset.Shutdown] = 0;
        }

        _ram[(int)CmosOffset.StatusB] &= (byte)~(RtcStatusB.PeriodicInterrupt | RtcStatusB.AlarmInterrupt | RtcStatusB.SquareWave);
        _ram[(int)CmosOffset.StatusC] = (byte)RtcStatusC.None;
        UpdatePeriodic(_clock.PreciseNow, _periodClocks, periodChange: false);
        RescheduleUpdate();
        _irq?.Lower();
    }

    /// <summary>Raw CMOS byte as stored (time registers are computed on guest reads while the clock runs).</summary>
    public byte GetByte(int index) => _ram[index];

    /// <summary>Stores a raw CMOS byte, for the machine builder; see <see cref="CmosSetup"/> for the checksum.</summary>
    public void SetByte(int index, byte value) => _ram[index] = value;

    /// <inheritdoc/>
    public uint Read(ushort port, PortWidth width)
    {
        // The index register is write-only; QEMU reads it as all ones.
        return port == IndexPort ? byte.MaxValue : ReadRegister(_index);
    }

    /// <inheritdoc/>
    public void Write(ushort port, PortWidth width, uint value)
    {
        if (port == IndexPort)
        {
            _index = (byte)(value & IndexMask);
            NmiMasked = (value & NmiDisableBit) != 0;
        }
        else
        {
            WriteRegister(_index, (byte)value);
        }
    }

    private byte ReadRegister(int index)
    {
        var offset = (CmosOffset)index;
        if (RtcTimeRegisters.IsTimeRegister(offset))
        {
            // While the clock runs the registers follow the time base; stopped, they hold what was latched or written.
            return Running ? RtcTimeRegisters.Encode(offset, CurrentTime, TimeFormat) : _ram[index];
        }

        return offset switch
        {
            CmosOffset.StatusA => (byte)(_ram[index] | (UpdateInProgress() ? (byte)RtcStatusA.UpdateInProgress : 0)),
            CmosOffset.StatusC => ReadStatusC(),
            _ => _ram[index],
        };
    }

    private void WriteRegister(int index, byte value)
    {
        var offset = (CmosOffset)index;
        if (RtcTimeRegisters.IsTimeRegister(offset))
        {
            WriteTimeRegister(offset, value);
            return;
        }

        switch (offset)
        {
            case CmosOffset.StatusC:
            case CmosOffset.StatusD:
                break;
            case CmosOffset.StatusA:
                WriteStatusA(value);
                break;
            case CmosOffset.StatusB:
                WriteStatusB((RtcStatusB)value);
                break;
            case CmosOffset.SecondsAlarm:
            case CmosOffset.MinutesAlarm:
            case CmosOffset.HoursAlarm:
                _ram[index] = value;
                RescheduleUpdate();
                break;
            default:
                _ram[index] = value;
                break;
        }
    }

    private void WriteTimeRegister(CmosOffset field, byte value)
    {
        if (!Running)
        {
            // Stopped (SET or divider): the byte is only stored; the clock takes it when it restarts.
            _ram[(int)field] = value;
            return;
        }

        RtcTimeRegisters.Fill(_ram, CurrentTime, TimeFormat);
        _ram[(int)field] = value;
        StartFromRegisters(_restartPhaseNs);
    }

    private void WriteStatusA(byte value)
    {
        var old = _ram[(int)CmosOffset.StatusA];
        var oldPeriod = _periodClocks;
        var next = (byte)(value & ~(byte)RtcStatusA.UpdateInProgress);
        if (Running && !DividerRuns(next))
        {
            LatchTime();
        }

        _ram[(int)CmosOffset.StatusA] = next;

        // Datasheet, "Divider Control": leaving divider reset, the first update comes half a second later.
        if (DividerInReset(old) && DividerRuns(next) && !Frozen)
        {
            StartFromRegisters(NsPerSecond / 2);
        }

        if (((old ^ next) & (byte)RtcStatusA.RateMask) != 0)
        {
            UpdatePeriodic(_clock.PreciseNow, oldPeriod, periodChange: true);
        }

        RescheduleUpdate();
    }

    private void WriteStatusB(RtcStatusB value)
    {
        var old = StatusB;
        var oldPeriod = _periodClocks;
        if ((value & RtcStatusB.Set) != 0)
        {
            if (Running)
            {
                LatchTime();
            }

            // SET aborts any update cycle and clears UIE (datasheet, "Register B").
            value &= ~RtcStatusB.UpdateEndedInterrupt;
        }
        else if (Frozen && DividerRuns(_ram[(int)CmosOffset.StatusA]))
        {
            // Leaving SET: the registers become the time; the divider chain kept its phase under SET.
            StartFromRegisters(PositiveModulo(TimebaseNs(), NsPerSecond));
        }

        // A flag already pending when its interrupt is enabled raises IRQ 8 at once (as QEMU does).
        var c = (RtcStatusC)_ram[(int)CmosOffset.StatusC];
        if (((byte)value & (byte)c & (byte)InterruptFlags) != 0)
        {
            if ((c & RtcStatusC.InterruptRequest) == 0)
            {
                _irq?.Raise();
            }

            c |= RtcStatusC.InterruptRequest;
        }
        else
        {
            c &= ~RtcStatusC.InterruptRequest;
            _irq?.Lower();
        }

        _ram[(int)CmosOffset.StatusC] = (byte)c;
        _ram[(int)CmosOffset.StatusB] = (byte)value;
        if (((old ^ value) & RtcStatusB.PeriodicInterrupt) != 0)
        {
            UpdatePeriodic(_clock.PreciseNow, oldPeriod, periodChange: true);
        }

        RescheduleUpdate();
    }

    private long TimebaseNs() => _baseUnixNs + (_clock.PreciseNow - _baseClockNs);

    private void LatchTime() => RtcTimeRegisters.Fill(_ram, CurrentTime, TimeFormat);

    /// <summary>
    /// Restarts the time base at the instant the time registers name plus <paramref name="phaseNs"/>
    /// into that second. The phase is kept for later time writes while running, which restart the
    /// second at the same phase (QEMU's RTC behaves so; the next update comes 1 s − phase later).
    /// </summary>
    private void StartFromRegisters(long phaseNs)
    {
        var time = RtcTimeRegisters.Compose(_ram, TimeFormat);
        _restartPhaseNs = phaseNs;
        _baseUnixNs = ((time - DateTime.UnixEpoch).Ticks * TicksPerNs) + phaseNs;
        _baseClockNs = _clock.PreciseNow;
        RescheduleUpdate();
    }

    private bool UpdateInProgress()
    {
        if (!Running)
        {
            return false;
        }

        return PositiveModulo(TimebaseNs(), NsPerSecond) >= NsPerSecond - UpdateInProgressNs;
    }

    private byte ReadStatusC()
    {
        var value = (RtcStatusC)_ram[(int)CmosOffset.StatusC];

        // With its interrupt off, PF is still set by the chip (datasheet); derive it from elapsed time.
        var now = _clock.PreciseNow;
        var period = RtcPeriodicRate.ClocksToNs(RtcPeriodicRate.Clocks(_ram[(int)CmosOffset.StatusA]));
        if (period > 0 && (StatusB & RtcStatusB.PeriodicInterrupt) == 0 && now / period != _lastStatusCReadNs / period)
        {
            value |= RtcStatusC.Periodic;
        }

        _lastStatusCReadNs = now;
        _ram[(int)CmosOffset.StatusC] = 0;
        _irq?.Lower();
        if ((value & (RtcStatusC.UpdateEnded | RtcStatusC.Alarm)) != 0)
        {
            RescheduleUpdate();
        }

        return (byte)value;
    }

    private void SetFlags(RtcStatusC flags, RtcStatusC enabled)
    {
        var c = (RtcStatusC)_ram[(int)CmosOffset.StatusC] | flags;
        if ((flags & enabled) != 0 && (c & RtcStatusC.InterruptRequest) == 0)
        {
            c |= RtcStatusC.InterruptRequest;
            _irq?.Raise();
        }

        _ram[(int)CmosOffset.StatusC] = (byte)c;
    }

    /// <summary>
    /// Re-arms the periodic timer after its period may have changed. A new period counts from the
    /// last interrupt (no earlier than now), so a guest that reprograms the rate in its handler gets
    /// the new period in full, as with QEMU. Deadlines sit on the 32.768 kHz grid, so there is no drift.
    /// </summary>
    private void UpdatePeriodic(long nowNs, int oldPeriod, bool periodChange)
    {
        var period = (StatusB & RtcStatusB.PeriodicInterrupt) != 0 ? RtcPeriodicRate.Clocks(_ram[(int)CmosOffset.StatusA]) : 0;
        _periodClocks = period;
        if (period == 0)
        {
            _periodicTimer.Cancel();
            return;
        }

        var now = RtcPeriodicRate.NsToClocks(nowNs);
        long sinceLast = 0;
        if (oldPeriod != 0 && periodChange)
        {
            var last = RtcPeriodicRate.NsToClocks(_nextPeriodicNs) - oldPeriod;
            sinceLast = Math.Clamp(now - last, 0, period);
        }

        // One nanosecond past the cycle edge, so the interrupt lands on or after it.
        _nextPeriodicNs = RtcPeriodicRate.ClocksToNs(now + period - sinceLast) + 1;
        _periodicTimer.Arm(_nextPeriodicNs);
    }

    /// <summary>
    /// Keeps the update timer on the next update cycle that can change register C: each second
    /// until UF is set, then the next alarm match until AF is set too, then nothing until register C
    /// is read. No cycles run under SET or divider reset.
    /// </summary>
    private void RescheduleUpdate()
    {
        if (!UpdatesRun)
        {
            _updateTimer.Cancel();
            return;
        }

        var nextUpdate = _clock.PreciseNow + (NsPerSecond - PositiveModulo(TimebaseNs(), NsPerSecond));
        var c = (RtcStatusC)_ram[(int)CmosOffset.StatusC];
        if ((c & RtcStatusC.UpdateEnded) == 0)
        {
            _updateTimer.Arm(nextUpdate);
        }
        else if ((c & RtcStatusC.Alarm) == 0 && RtcAlarm.SecondsToNext(_ram, CurrentTime, TimeFormat) is { } seconds)
        {
            _updateTimer.Arm(nextUpdate + ((seconds - 1) * NsPerSecond));
        }
        else
        {
            _updateTimer.Cancel();
        }
    }

    private void OnPeriodic()
    {
        UpdatePeriodic(_nextPeriodicNs, _periodClocks, periodChange: false);
        SetFlags(RtcStatusC.Periodic, RtcStatusC.Periodic);
    }

    private void OnUpdateEnded()
    {
        var flags = RtcStatusC.UpdateEnded;
        if (RtcAlarm.Matches(_ram, CurrentTime, TimeFormat))
        {
            flags |= RtcStatusC.Alarm;
        }

        // Register B's enable bits sit where register C's flags do.
        SetFlags(flags, (RtcStatusC)((byte)StatusB & (byte)InterruptFlags));
        RescheduleUpdate();
    }

    private RtcEncoding TimeFormat => new(StatusB);

    private static bool DividerRuns(byte statusA) => (statusA & (byte)RtcStatusA.DividerMask) <= (byte)RtcStatusA.DividerNormal;

    private static bool DividerInReset(byte statusA) => (statusA & DividerResetBits) == DividerResetBits;

    private static long PositiveModulo(long value, long modulus)
    {
        var r = value % modulus;
        return r < 0 ? r + modulus : r;
    }
}
