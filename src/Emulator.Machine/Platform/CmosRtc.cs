using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Lifecycle;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Platform;

/// <summary>
/// Motorola MC146818 real-time clock with 128 bytes of CMOS RAM, at ports 0x70 (index; bit 7
/// masks NMI) and 0x71 (data). The time starts from a host-supplied wall-clock instant and then
/// advances with the <see cref="VirtualClock"/> only, so a run is repeatable. Emulates BCD or
/// binary and 12/24-hour encoding per register B, register A's update-in-progress bit (set for
/// the 244 µs before each second), SET freezing the clock, register C cleared on read, register D
/// VRT, guest writes of the time, the century byte 0x32, and the periodic, update-ended and alarm
/// interrupts on IRQ 8 (line raised with IRQF, lowered when register C is read). The BIOS bytes
/// (memory size, floppy and disk types, checksum) are filled in by <see cref="CmosSetup"/>.
/// Limitations: daylight saving is ignored; divider values other than "normal" do not stop the
/// clock; the day-of-week register is derived from the date and guest writes to it are ignored;
/// impossible dates written by the guest are clamped to the nearest valid one.
/// </summary>
public sealed class CmosRtc : IPortDevice, IResettable
{
    public const ushort IndexPort = 0x70;
    public const ushort DataPort = 0x71;
    public const int Size = 128;

    private const byte IndexMask = 0x7F;
    private const byte NmiDisableBit = 0x80;
    private const byte ValidRamAndTime = 0x80;
    /// <summary>Rate select 0110: the 976.5 µs (1024 Hz) periodic rate PC BIOSes program.</summary>
    private const byte DefaultRate = 0x06;
    private const byte DefaultStatusA = (byte)RtcStatusA.DividerNormal | DefaultRate;
    private const long UpdateCycleNs = 244_000;
    private const long NsPerSecond = VirtualClock.NanosecondsPerSecond;
    private const long TicksPerNs = 100;
    private const long RtcBaseHz = 32_768;
    private const int RateBelowEightShift = 7;
    private const int SmallRateLimit = 2;
    private const int YearsPerCentury = 100;
    private const byte AlarmDontCare = 0xC0;

    /// <summary>Shutdown status 0FEh: the guest suspended itself (S3), which a reset must not forget.</summary>
    private const byte SuspendShutdownCode = 0xFE;

    private readonly byte[] _ram = new byte[Size];
    private readonly VirtualClock _clock;
    private readonly IIrqLine? _irq;
    private readonly VirtualTimer _periodicTimer;
    private readonly VirtualTimer _updateTimer;

    // Wall-clock time in Unix nanoseconds at virtual time _baseClockNs.
    private long _baseUnixNs;
    private long _baseClockNs;
    private long _lastStatusCReadNs;
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
        _baseClockNs = clock.Now;
        _lastStatusCReadNs = clock.Now;
        _ram[(int)CmosOffset.StatusA] = DefaultStatusA;
        _ram[(int)CmosOffset.StatusB] = (byte)RtcStatusB.Hour24;
        _ram[(int)CmosOffset.StatusD] = ValidRamAndTime;
    }

    /// <summary>True while the guest holds NMI disabled through bit 7 of port 0x70.</summary>
    public bool NmiMasked { get; private set; }

    /// <summary>The RTC's current wall-clock time.</summary>
    public DateTime CurrentTime => DateTime.UnixEpoch.AddTicks(CurrentUnixNs() / TicksPerNs);

    private RtcStatusB StatusB => (RtcStatusB)_ram[(int)CmosOffset.StatusB];

    private bool Frozen => (StatusB & RtcStatusB.Set) != 0;

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
        ReschedulePeriodic();
        RescheduleUpdate();
        _irq?.Lower();
    }

    /// <summary>Raw CMOS byte as stored (time registers are computed on guest reads only).</summary>
    public byte GetByte(int index) => _ram[index];

    /// <summary>Stores a raw CMOS byte, for the machine builder; see <see cref="CmosSetup"/> for the checksum.</summary>
    public void SetByte(int index, byte value) => _ram[index] = value;

    public uint Read(ushort port, PortWidth width)
    {
        // The index register is write-only; QEMU reads it as all ones.
        return port == IndexPort ? byte.MaxValue : ReadRegister(_index);
    }

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
        switch ((CmosOffset)index)
        {
            case CmosOffset.Seconds:
            case CmosOffset.Minutes:
            case CmosOffset.Hours:
            case CmosOffset.DayOfWeek:
            case CmosOffset.DayOfMonth:
            case CmosOffset.Month:
            case CmosOffset.Year:
            case CmosOffset.Century:
                return ReadTimeField((CmosOffset)index, CurrentTime);
            case CmosOffset.StatusA:
                return (byte)(_ram[index] | (UpdateInProgress() ? (byte)RtcStatusA.UpdateInProgress : 0));
            case CmosOffset.StatusC:
                return ReadStatusC();
            default:
                return _ram[index];
        }
    }

    private void WriteRegister(int index, byte value)
    {
        switch ((CmosOffset)index)
        {
            case CmosOffset.Seconds:
            case CmosOffset.Minutes:
            case CmosOffset.Hours:
            case CmosOffset.DayOfMonth:
            case CmosOffset.Month:
            case CmosOffset.Year:
            case CmosOffset.Century:
                WriteTimeField((CmosOffset)index, value);
                break;
            case CmosOffset.DayOfWeek:
            case CmosOffset.StatusC:
            case CmosOffset.StatusD:
                break;
            case CmosOffset.StatusA:
                _ram[index] = (byte)(value & ~(byte)RtcStatusA.UpdateInProgress);
                ReschedulePeriodic();
                break;
            case CmosOffset.StatusB:
                WriteStatusB((RtcStatusB)value);
                break;
            default:
                _ram[index] = value;
                break;
        }
    }

    private void WriteStatusB(RtcStatusB value)
    {
        var wasFrozen = Frozen;
        if ((value & RtcStatusB.Set) != 0)
        {
            // SET aborts any update cycle and clears UIE (datasheet, "Register B").
            value &= ~RtcStatusB.UpdateEndedInterrupt;
            if (!wasFrozen)
            {
                Rebase(CurrentUnixNs());
            }
        }
        else if (wasFrozen)
        {
            // Leaving SET restarts the divider chain: the next update comes one second later.
            Rebase(_baseUnixNs);
        }

        _ram[(int)CmosOffset.StatusB] = (byte)value;
        ReschedulePeriodic();
        RescheduleUpdate();
    }

    private long CurrentUnixNs() => Frozen ? _baseUnixNs : _baseUnixNs + (_clock.PreciseNow - _baseClockNs);

    private void Rebase(long unixNs)
    {
        _baseUnixNs = unixNs;
        _baseClockNs = _clock.PreciseNow;
    }

    private bool UpdateInProgress()
    {
        if (Frozen)
        {
            return false;
        }

        var phase = PositiveModulo(CurrentUnixNs(), NsPerSecond);
        return phase >= NsPerSecond - UpdateCycleNs;
    }

    private byte ReadStatusC()
    {
        var value = (RtcStatusC)_ram[(int)CmosOffset.StatusC];

        // With their interrupts off, PF and UF are still set by the chip; derive them from elapsed time.
        var now = _clock.PreciseNow;
        if (PeriodNs() is { } period && (StatusB & RtcStatusB.PeriodicInterrupt) == 0
            && now / period != _lastStatusCReadNs / period)
        {
            value |= RtcStatusC.Periodic;
        }

        if ((StatusB & RtcStatusB.UpdateEndedInterrupt) == 0 && !Frozen
            && (CurrentUnixNs() / NsPerSecond) != ((_baseUnixNs + (_lastStatusCReadNs - _baseClockNs)) / NsPerSecond))
        {
            value |= RtcStatusC.UpdateEnded;
        }

        _lastStatusCReadNs = now;
        _ram[(int)CmosOffset.StatusC] = 0;
        _irq?.Lower();
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

    /// <summary>The periodic interrupt period for register A's rate, or null when the rate is 0.</summary>
    private long? PeriodNs()
    {
        var rate = _ram[(int)CmosOffset.StatusA] & (int)RtcStatusA.RateMask;
        if (rate == 0)
        {
            return null;
        }

        // Rates 1 and 2 repeat rates 8 and 9 with a 32.768 kHz base (datasheet, "Periodic Interrupt Rate" table).
        var shift = rate <= SmallRateLimit ? rate + RateBelowEightShift : rate;
        return ((1L << (shift - 1)) * NsPerSecond) / RtcBaseHz;
    }

    private void ReschedulePeriodic()
    {
        if ((StatusB & RtcStatusB.PeriodicInterrupt) != 0 && PeriodNs() is { } period)
        {
            _periodicTimer.Arm(((_clock.Now / period) + 1) * period);
        }
        else
        {
            _periodicTimer.Cancel();
        }
    }

    private void RescheduleUpdate()
    {
        if (!Frozen && (StatusB & (RtcStatusB.UpdateEndedInterrupt | RtcStatusB.AlarmInterrupt)) != 0)
        {
            var phase = PositiveModulo(CurrentUnixNs(), NsPerSecond);
            _updateTimer.Arm(_clock.Now + (NsPerSecond - phase));
        }
        else
        {
            _updateTimer.Cancel();
        }
    }

    private void OnPeriodic()
    {
        SetFlags(RtcStatusC.Periodic, RtcStatusC.Periodic);
        ReschedulePeriodic();
    }

    private void OnUpdateEnded()
    {
        var flags = RtcStatusC.UpdateEnded;
        if (AlarmMatches(CurrentTime))
        {
            flags |= RtcStatusC.Alarm;
        }

        var enabled = RtcStatusC.None;
        if ((StatusB & RtcStatusB.UpdateEndedInterrupt) != 0)
        {
            enabled |= RtcStatusC.UpdateEnded;
        }

        if ((StatusB & RtcStatusB.AlarmInterrupt) != 0)
        {
            enabled |= RtcStatusC.Alarm;
        }

        SetFlags(flags, enabled);
        RescheduleUpdate();
    }

    private bool AlarmMatches(DateTime now) =>
        AlarmField(CmosOffset.SecondsAlarm, CmosOffset.Seconds, now)
        && AlarmField(CmosOffset.MinutesAlarm, CmosOffset.Minutes, now)
        && AlarmField(CmosOffset.HoursAlarm, CmosOffset.Hours, now);

    private bool AlarmField(CmosOffset alarm, CmosOffset field, DateTime now)
    {
        var value = _ram[(int)alarm];
        return (value & AlarmDontCare) == AlarmDontCare || value == ReadTimeField(field, now);
    }

    private RtcEncoding TimeFormat => new(StatusB);

    private byte ReadTimeField(CmosOffset field, DateTime time) => field switch
    {
        CmosOffset.Seconds => TimeFormat.Encode(time.Second),
        CmosOffset.Minutes => TimeFormat.Encode(time.Minute),
        CmosOffset.Hours => TimeFormat.EncodeHour(time.Hour),
        CmosOffset.DayOfWeek => TimeFormat.Encode((int)time.DayOfWeek + 1),
        CmosOffset.DayOfMonth => TimeFormat.Encode(time.Day),
        CmosOffset.Month => TimeFormat.Encode(time.Month),
        CmosOffset.Year => TimeFormat.Encode(time.Year % YearsPerCentury),
        _ => TimeFormat.Encode(time.Year / YearsPerCentury),
    };

    private void WriteTimeField(CmosOffset field, byte raw)
    {
        var now = CurrentTime;
        int second = now.Second, minute = now.Minute, hour = now.Hour, day = now.Day, month = now.Month;
        int yearInCentury = now.Year % YearsPerCentury, century = now.Year / YearsPerCentury;
        switch (field)
        {
            case CmosOffset.Seconds:
                second = TimeFormat.Decode(raw);
                break;
            case CmosOffset.Minutes:
                minute = TimeFormat.Decode(raw);
                break;
            case CmosOffset.Hours:
                hour = TimeFormat.DecodeHour(raw);
                break;
            case CmosOffset.DayOfMonth:
                day = TimeFormat.Decode(raw);
                break;
            case CmosOffset.Month:
                month = TimeFormat.Decode(raw);
                break;
            case CmosOffset.Year:
                yearInCentury = TimeFormat.Decode(raw);
                break;
            default:
                century = TimeFormat.Decode(raw);
                break;
        }

        var year = Math.Clamp((century * YearsPerCentury) + Math.Clamp(yearInCentury, 0, YearsPerCentury - 1), 1, DateTime.MaxValue.Year);
        month = Math.Clamp(month, 1, 12);
        day = Math.Clamp(day, 1, DateTime.DaysInMonth(year, month));
        var time = new DateTime(year, month, day, Math.Clamp(hour, 0, 23), Math.Clamp(minute, 0, 59), Math.Clamp(second, 0, 59), DateTimeKind.Utc);
        Rebase((time - DateTime.UnixEpoch).Ticks * TicksPerNs);
        RescheduleUpdate();
    }

    private static long PositiveModulo(long value, long modulus)
    {
        var r = value % modulus;
        return r < 0 ? r + modulus : r;
    }
}
