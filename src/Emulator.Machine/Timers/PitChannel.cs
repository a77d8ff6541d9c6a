namespace Emulator.Machine.Timers;

/// <summary>
/// One counter of the 8254 (datasheet 231164, "Modes"), computed from the virtual clock rather
/// than decremented: the count and OUT at any moment follow from the ticks since the count was
/// loaded (or the gate triggered), so nothing runs per tick.
/// Limitations: a new count in modes 2/3 takes effect at once (QEMU's behaviour), not at the end of
/// the current period; counting starts on the write, not on the following CLK edge. Gate low in
/// modes 0 and 4 suspends counting; in modes 2 and 3 it forces OUT high and a rising gate restarts
/// the period; in modes 1 and 5 a rising gate (re)triggers.
/// </summary>
public sealed class PitChannel
{
    private const int ModeCount = 6;
    private const int ModeAliasOffset = 4;
    private const int MaxBinaryCount = 0x10000;
    private const int MaxBcdCount = 10000;
    private const int ModeShift = 1;
    private const int AccessShift = 4;
    private const byte StatusOutput = 0x80;
    private const byte StatusNullCount = 0x40;
    private const int ByteBits = 8;
    private const int BcdDigitBits = 4;
    private const int DecimalBase = 10;
    private const ushort DigitMask = 0x0F;

    private readonly Func<long> _now;
    private readonly Action _changed;

    private int _reload = MaxBinaryCount;
    private long _startTime;
    private long? _pausedTicks;
    private bool _counting;
    private bool _triggered;
    private bool _nullCount;
    private bool _writeHighNext;
    private byte _writeLow;
    private bool _readHighNext;
    private ushort _latchedCount;
    private int _latchBytes;
    private bool _latchHighFirst;
    private byte _latchedStatus;
    private bool _statusLatched;

    internal PitChannel(int index, bool gate, Func<long> now, Action changed)
    {
        Index = index;
        _now = now;
        _changed = changed;
        Reset(gate);
    }

    /// <summary>The counter number, 0-2.</summary>
    public int Index { get; }

    /// <summary>The counting mode from the last control word.</summary>
    public PitMode Mode { get; private set; }

    /// <summary>How the count is read and written, from the last control word.</summary>
    public PitAccess Access { get; private set; }

    /// <summary>True when the counter counts in BCD (0-9999) rather than binary.</summary>
    public bool Bcd { get; private set; }

    /// <summary>The level of the counter's GATE input.</summary>
    public bool Gate { get; private set; }

    /// <summary>The programmed count in clocks (1-65536, 0 meaning the maximum).</summary>
    public int Reload => _reload;

    /// <summary>The OUT pin now.</summary>
    public bool Output => OutputAt(TicksNow());

    /// <summary>
    /// Power-on state, as QEMU's PIT resets: mode 3, count 65536 counting from now, nothing latched,
    /// the gate at the board's level. The caller recomputes OUT and IRQ 0.
    /// </summary>
    internal void Reset(bool gate)
    {
        Gate = gate;
        Mode = PitMode.SquareWave;
        Access = PitAccess.LowThenHigh;
        Bcd = false;
        _reload = MaxBinaryCount;
        _startTime = _now();
        _pausedTicks = null;
        _counting = true;
        _triggered = true;
        _nullCount = false;
        _writeHighNext = false;
        _writeLow = 0;
        _readHighNext = false;
        _latchedCount = 0;
        _latchBytes = 0;
        _latchHighFirst = false;
        _latchedStatus = 0;
        _statusLatched = false;
    }

    internal void WriteControl(PitControlWord control)
    {
        var access = (PitAccess)((byte)(control & PitControlWord.AccessMask) >> AccessShift);
        if (access == PitAccess.CounterLatch)
        {
            LatchCount();
            return;
        }

        Access = access;
        var mode = (byte)(control & PitControlWord.ModeMask) >> ModeShift;

        // Modes 6 and 7 are aliases of 2 and 3 (datasheet, "Control Word Format").
        Mode = (PitMode)(mode >= ModeCount ? mode - ModeAliasOffset : mode);
        Bcd = (control & PitControlWord.Bcd) != 0;
        _writeHighNext = false;
        _readHighNext = false;
        _counting = false;
        _pausedTicks = null;
        _nullCount = true;
        _changed();
    }

    internal void WriteCount(byte value)
    {
        switch (Access)
        {
            case PitAccess.LowByte:
                Load(value);
                break;
            case PitAccess.HighByte:
                Load(value << ByteBits);
                break;
            default:
                if (_writeHighNext)
                {
                    _writeHighNext = false;
                    Load(_writeLow | (value << ByteBits));
                }
                else
                {
                    _writeLow = value;
                    _writeHighNext = true;
                }

                break;
        }
    }

    internal byte ReadCount()
    {
        if (_statusLatched)
        {
            _statusLatched = false;
            return _latchedStatus;
        }

        if (_latchBytes > 0)
        {
            var high = _latchHighFirst || _latchBytes == 1 && Access == PitAccess.LowThenHigh;
            _latchBytes--;
            _latchHighFirst = false;
            return (byte)(high ? _latchedCount >> ByteBits : _latchedCount);
        }

        var count = CounterValue();
        switch (Access)
        {
            case PitAccess.LowByte:
                return (byte)count;
            case PitAccess.HighByte:
                return (byte)(count >> ByteBits);
            default:
                var readHigh = _readHighNext;
                _readHighNext = !_readHighNext;
                return (byte)(readHigh ? count >> ByteBits : count);
        }
    }

    /// <summary>Counter latch command: freezes the count for reading until it has been read (a second latch is ignored).</summary>
    internal void LatchCount()
    {
        if (_latchBytes > 0)
        {
            return;
        }

        _latchedCount = CounterValue();
        _latchBytes = Access == PitAccess.LowThenHigh ? 2 : 1;
        _latchHighFirst = Access == PitAccess.HighByte;
    }

    internal void LatchStatus()
    {
        if (_statusLatched)
        {
            return;
        }

        _latchedStatus = (byte)((Output ? StatusOutput : 0)
            | (_nullCount ? StatusNullCount : 0)
            | ((byte)Access << AccessShift)
            | ((int)Mode << ModeShift)
            | (Bcd ? (byte)PitControlWord.Bcd : 0));
        _statusLatched = true;
    }

    internal void SetGate(bool level)
    {
        var rising = level && !Gate;
        var falling = !level && Gate;
        Gate = level;
        if (_counting && IsGateSuspended)
        {
            if (falling)
            {
                _pausedTicks = TicksNow();
            }
            else if (rising && _pausedTicks is { } paused)
            {
                // Resume on a tick boundary so the count carries on exactly where it stopped.
                _pausedTicks = null;
                _startTime = _now() - TicksToNanoseconds(paused);
            }
        }
        else if (_counting && rising)
        {
            // Rising gate (re)triggers modes 1 and 5 and restarts the period in modes 2 and 3.
            _startTime = _now();
            _triggered = true;
        }

        _changed();
    }

    /// <summary>Virtual time (ns) of the next OUT change after now, or null if OUT will not change by itself.</summary>
    internal long? NextOutputChange()
    {
        if (_pausedTicks is not null)
        {
            return null;
        }

        var ticks = TicksNow();
        var next = NextTransitionTick(ticks);
        return next is { } t ? _startTime + TicksToNanoseconds(t) : null;
    }

    private void Load(int raw)
    {
        var count = Bcd ? FromBcd(raw) : raw;
        _reload = count == 0 ? (Bcd ? MaxBcdCount : MaxBinaryCount) : count;
        _startTime = _now();
        _pausedTicks = IsGateSuspended && !Gate ? 0 : null;
        _counting = true;
        _nullCount = false;

        // Modes 1 and 5 wait for a gate trigger; the others count from the load.
        _triggered = Mode is not (PitMode.HardwareRetriggerableOneShot or PitMode.HardwareTriggeredStrobe);
        _changed();
    }

    private bool Active => _counting && _triggered && (Gate || !IsPeriodic);

    private bool IsPeriodic => Mode is PitMode.RateGenerator or PitMode.SquareWave;

    /// <summary>Modes whose count simply stops while the gate is low.</summary>
    private bool IsGateSuspended => Mode is PitMode.InterruptOnTerminalCount or PitMode.SoftwareTriggeredStrobe;

    private long TicksNow() => _pausedTicks ?? NanosecondsToTicks(_now() - _startTime);

    private ushort CounterValue()
    {
        if (!Active)
        {
            return ToRegister(_reload);
        }

        var d = TicksNow();
        long value = Mode switch
        {
            PitMode.RateGenerator => _reload - (d % _reload),
            PitMode.SquareWave => _reload - (2 * d % _reload),
            _ => _reload - d,
        };
        var wrap = Bcd ? MaxBcdCount : MaxBinaryCount;
        value %= wrap;
        if (value < 0)
        {
            value += wrap;
        }

        return ToRegister((int)value);
    }

    private ushort ToRegister(int value) => Bcd ? ToBcd(value % MaxBcdCount) : (ushort)value;

    private bool OutputAt(long d)
    {
        if (!_counting)
        {
            // After a control word OUT goes low in mode 0 and high in every other mode.
            return Mode != PitMode.InterruptOnTerminalCount;
        }

        if (!Active)
        {
            return true;
        }

        return Mode switch
        {
            PitMode.InterruptOnTerminalCount or PitMode.HardwareRetriggerableOneShot => d >= _reload,
            PitMode.RateGenerator => _reload < 2 || d % _reload != _reload - 1,
            PitMode.SquareWave => _reload < 2 || d % _reload < (_reload + 1) / 2,
            _ => d != _reload,
        };
    }

    private long? NextTransitionTick(long d)
    {
        if (!Active)
        {
            return null;
        }

        switch (Mode)
        {
            case PitMode.InterruptOnTerminalCount:
            case PitMode.HardwareRetriggerableOneShot:
                return d < _reload ? _reload : null;
            case PitMode.RateGenerator:
            case PitMode.SquareWave:
                if (_reload < 2)
                {
                    return null;
                }

                var phase = d % _reload;
                var periodStart = d - phase;
                var fall = Mode == PitMode.RateGenerator ? _reload - 1 : (_reload + 1) / 2;
                return phase < fall ? periodStart + fall : periodStart + _reload;
            default:
                return d < _reload ? _reload : d == _reload ? _reload + 1 : null;
        }
    }

    private static long NanosecondsToTicks(long ns) =>
        (long)((Int128)ns * Pit8254.InputFrequencyHz / VirtualClock.NanosecondsPerSecond);

    /// <summary>The first nanosecond at which <paramref name="ticks"/> clocks have elapsed.</summary>
    internal static long TicksToNanoseconds(long ticks) =>
        (long)((((Int128)ticks * VirtualClock.NanosecondsPerSecond) + Pit8254.InputFrequencyHz - 1) / Pit8254.InputFrequencyHz);

    private static int FromBcd(int bcd)
    {
        var value = 0;
        var scale = 1;
        for (var shift = 0; shift < 2 * ByteBits; shift += BcdDigitBits)
        {
            value += Math.Min((bcd >> shift) & DigitMask, DecimalBase - 1) * scale;
            scale *= DecimalBase;
        }

        return value;
    }

    private static ushort ToBcd(int value)
    {
        var bcd = 0;
        for (var shift = 0; shift < 2 * ByteBits; shift += BcdDigitBits)
        {
            bcd |= (value % DecimalBase) << shift;
            value /= DecimalBase;
        }

        return (ushort)bcd;
    }
}
