using Emulator.Machine.Bus;
using Emulator.Machine.Platform;
using Emulator.Machine.Tests.Support;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Tests.Platform;

public class CmosRtcTests
{
    private const ushort Index = 0x70;
    private const ushort Data = 0x71;
    private const byte RegSeconds = 0x00;
    private const byte RegMinutes = 0x02;
    private const byte RegHours = 0x04;
    private const byte RegDayOfWeek = 0x06;
    private const byte RegDay = 0x07;
    private const byte RegMonth = 0x08;
    private const byte RegYear = 0x09;
    private const byte RegA = 0x0A;
    private const byte RegB = 0x0B;
    private const byte RegC = 0x0C;
    private const byte RegD = 0x0D;
    private const byte RegCentury = 0x32;
    private const byte BSet = 0x80;
    private const byte BPeriodic = 0x40;
    private const byte BBinary = 0x04;
    private const byte B24Hour = 0x02;
    private const byte AUpdateInProgress = 0x80;
    private const byte ANormal = 0x26;
    private const byte ADividerReset = 0x76;
    private const byte RegSecondsAlarm = 0x01;
    private const byte RegMinutesAlarm = 0x03;
    private const byte RegHoursAlarm = 0x05;
    private const byte AlarmDontCare = 0xC0;
    private const byte CAlarm = 0x20;
    private const byte CUpdateEnded = 0x10;
    private const byte BUpdateEnded = 0x10;
    private const long Second = VirtualClock.NanosecondsPerSecond;

    /// <summary>QEMU's UIP_HOLD_LENGTH: eight 32.768 kHz cycles.</summary>
    private const long UipHold = 8 * Second / 32768;
    private const long Ms = 1_000_000;

    private static readonly DateTime Start = new(2024, 3, 15, 13, 45, 30, DateTimeKind.Utc);

    private VirtualClock _clock = null!;
    private CmosRtc _cmos = null!;
    private RecordingIrqLine _irq8 = null!;
    private IoPortBus _bus = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new VirtualClock();
        _irq8 = new RecordingIrqLine();
        _cmos = new CmosRtc(_clock, Start, _irq8);
        _bus = new IoPortBus();
        _cmos.RegisterPorts(_bus);
        _bus.Freeze();
    }

    private byte ReadCmos(byte index)
    {
        _bus.WriteByte(Index, index);
        return _bus.ReadByte(Data);
    }

    private void WriteCmos(byte index, byte value)
    {
        _bus.WriteByte(Index, index);
        _bus.WriteByte(Data, value);
    }

    [TestCase(RegSeconds, 0x30)]
    [TestCase(RegMinutes, 0x45)]
    [TestCase(RegHours, 0x13)]
    [TestCase(RegDayOfWeek, 0x06)]
    [TestCase(RegDay, 0x15)]
    [TestCase(RegMonth, 0x03)]
    [TestCase(RegYear, 0x24)]
    [TestCase(RegCentury, 0x20)]
    public void TimeRegister_DefaultBcd_ReadsStartTime(byte register, int expected)
    {
        Assert.That(ReadCmos(register), Is.EqualTo(expected));
    }

    [Test]
    public void Hours_BinaryMode_ReadsBinary()
    {
        WriteCmos(RegB, B24Hour | BBinary);

        Assert.That(ReadCmos(RegHours), Is.EqualTo(13));
    }

    [Test]
    public void Hours_TwelveHourBcd_ReadsOnePmWithPmBit()
    {
        WriteCmos(RegB, 0);

        Assert.That(ReadCmos(RegHours), Is.EqualTo(0x81));
    }

    [Test]
    public void Time_VirtualClockAdvances90Seconds_ClockFollows()
    {
        _clock.Advance(90 * VirtualClock.NanosecondsPerSecond);

        Assert.Multiple(() =>
        {
            Assert.That(ReadCmos(RegMinutes), Is.EqualTo(0x47));
            Assert.That(ReadCmos(RegSeconds), Is.EqualTo(0x00));
        });
    }

    [Test]
    public void StatusA_JustBeforeSecondBoundary_UpdateInProgressSet()
    {
        _clock.AdvanceTo(VirtualClock.NanosecondsPerSecond - (100 * 1000));

        Assert.That(ReadCmos(RegA) & AUpdateInProgress, Is.EqualTo(AUpdateInProgress));
    }

    [Test]
    public void StatusA_MidSecond_UpdateInProgressClear()
    {
        _clock.AdvanceTo(500 * Ms);

        Assert.That(ReadCmos(RegA) & AUpdateInProgress, Is.Zero);
    }

    [Test]
    public void StatusD_ReportsValidRamAndTime()
    {
        Assert.That(ReadCmos(RegD), Is.EqualTo(0x80));
    }

    [Test]
    public void WriteHours_UnderSetBit_NewTimeKeptAfterSetCleared()
    {
        WriteCmos(RegB, BSet | B24Hour);
        WriteCmos(RegHours, 0x08);
        WriteCmos(RegB, B24Hour);

        _clock.Advance(10 * Ms);

        Assert.That(ReadCmos(RegHours), Is.EqualTo(0x08));
    }

    [Test]
    public void SetBit_Held_ClockDoesNotAdvance()
    {
        WriteCmos(RegB, BSet | B24Hour);

        _clock.Advance(5 * VirtualClock.NanosecondsPerSecond);

        Assert.That(ReadCmos(RegSeconds), Is.EqualTo(0x30));
    }

    [Test]
    public void PeriodicInterrupt_Enabled_RaisesIrq8WithinOnePeriod()
    {
        WriteCmos(RegB, BPeriodic | B24Hour);

        _clock.Advance(1 * Ms);

        Assert.That(_irq8.Level, Is.True);
    }

    [Test]
    public void StatusC_AfterPeriodicInterrupt_ReportsIrqfAndPfThenLowersLine()
    {
        WriteCmos(RegB, BPeriodic | B24Hour);
        _clock.Advance(1 * Ms);

        var c = ReadCmos(RegC);

        Assert.Multiple(() =>
        {
            Assert.That(c & 0xC0, Is.EqualTo(0xC0));
            Assert.That(_irq8.Level, Is.False);
        });
    }

    [Test]
    public void StatusC_ReadTwice_SecondReadIsClear()
    {
        WriteCmos(RegB, BPeriodic | B24Hour);
        _clock.Advance(1 * Ms);
        ReadCmos(RegC);

        Assert.That(ReadCmos(RegC) & 0x80, Is.Zero);
    }

    [Test]
    public void PeriodicInterrupt_1024Hz_Fires1024TimesASecond()
    {
        WriteCmos(RegB, BPeriodic | B24Hour);
        for (var i = 0; i < 1024; i++)
        {
            // The period is 32 cycles of 32.768 kHz, 976 562.5 ns: step by it rounded up so each step holds one interrupt.
            _clock.Advance((VirtualClock.NanosecondsPerSecond + 1023) / 1024);
            ReadCmos(RegC);
        }

        Assert.That(_irq8.RisingEdges, Is.EqualTo(1024));
    }

    [Test]
    public void IndexPort_Bit7_MasksNmi()
    {
        _bus.WriteByte(Index, 0x80 | RegSeconds);

        Assert.That(_cmos.NmiMasked, Is.True);
    }

    [Test]
    public void IndexPort_Bit7_DoesNotChangeSelectedRegister()
    {
        _bus.WriteByte(Index, 0x80 | RegD);

        Assert.That(_bus.ReadByte(Data), Is.EqualTo(0x80));
    }

    [Test]
    public void RamByte_WrittenByGuest_ReadsBack()
    {
        WriteCmos(0x40, 0x5A);

        Assert.That(ReadCmos(0x40), Is.EqualTo(0x5A));
    }

    [Test]
    public void SetMemorySize_32MiB_BaseAndExtendedBytes()
    {
        CmosSetup.SetMemorySize(_cmos, 32UL << 20);

        Assert.Multiple(() =>
        {
            Assert.That(ReadCmos(0x15) | (ReadCmos(0x16) << 8), Is.EqualTo(640));
            Assert.That(ReadCmos(0x17) | (ReadCmos(0x18) << 8), Is.EqualTo(31 * 1024));
            Assert.That(ReadCmos(0x30) | (ReadCmos(0x31) << 8), Is.EqualTo(31 * 1024));
            Assert.That(ReadCmos(0x34) | (ReadCmos(0x35) << 8), Is.EqualTo(256));
        });
    }

    [Test]
    public void SetMemorySize_128MiB_ExtendedCappedAt65535K()
    {
        CmosSetup.SetMemorySize(_cmos, 128UL << 20);

        Assert.That(ReadCmos(0x17) | (ReadCmos(0x18) << 8), Is.EqualTo(0xFFFF));
    }

    [Test]
    public void SetFloppyTypes_144MOnA_TypeByteAndEquipmentByte()
    {
        CmosSetup.SetFloppyTypes(_cmos, CmosFloppyType.Drive1440K, CmosFloppyType.None);

        Assert.Multiple(() =>
        {
            Assert.That(ReadCmos(0x10), Is.EqualTo(0x40));
            Assert.That(ReadCmos(0x14) & 0xC1, Is.EqualTo(0x01));
        });
    }

    [Test]
    public void SetHardDisk_Drive0_Type47WithGeometry()
    {
        CmosSetup.SetHardDisk(_cmos, 0, cylinders: 1024, heads: 16, sectorsPerTrack: 63);

        Assert.Multiple(() =>
        {
            Assert.That(ReadCmos(0x12) >> 4, Is.EqualTo(0x0F));
            Assert.That(ReadCmos(0x19), Is.EqualTo(47));
            Assert.That(ReadCmos(0x1B) | (ReadCmos(0x1C) << 8), Is.EqualTo(1024));
            Assert.That(ReadCmos(0x1D), Is.EqualTo(16));
            Assert.That(ReadCmos(0x23), Is.EqualTo(63));
        });
    }

    /// <summary>QEMU's pc writes no checksum (and SeaBIOS none either): a guest reads 0x2E-0x2F as zero.</summary>
    [Test]
    public void Checksum_AfterSetup_LeftZeroAsQemu()
    {
        CmosSetup.SetMemorySize(_cmos, 32UL << 20);
        CmosSetup.SetFloppyTypes(_cmos, CmosFloppyType.Drive1440K, CmosFloppyType.Drive720K);
        CmosSetup.SetHardDisk(_cmos, 1, 500, 4, 17);

        Assert.That((ReadCmos(0x2E), ReadCmos(0x2F)), Is.EqualTo((0, 0)));
    }

    /// <summary>QEMU's pc: FPU (bit 1) and PS/2 mouse (bit 2) always, plus the diskette bits.</summary>
    [Test]
    public void Equipment_TwoFloppies_FpuMouseAndDiskettes()
    {
        CmosSetup.SetFloppyTypes(_cmos, CmosFloppyType.Drive1440K, CmosFloppyType.Drive720K);

        Assert.That(ReadCmos(0x14), Is.EqualTo(0x47));
    }

    [Test]
    public void UpdateEndedInterrupt_Enabled_RaisesIrq8AtNextSecond()
    {
        WriteCmos(RegB, 0x10 | B24Hour);

        _clock.Advance(VirtualClock.NanosecondsPerSecond);

        Assert.Multiple(() =>
        {
            Assert.That(_irq8.Level, Is.True);
            Assert.That(ReadCmos(RegC) & 0x90, Is.EqualTo(0x90));
        });
    }

    [Test]
    public void AlarmInterrupt_MatchingTime_RaisesIrq8WithAlarmFlag()
    {
        WriteCmos(0x01, 0x35);
        WriteCmos(0x03, 0x45);
        WriteCmos(0x05, 0x13);
        WriteCmos(RegB, 0x20 | B24Hour);

        _clock.Advance(5 * VirtualClock.NanosecondsPerSecond);

        Assert.That(ReadCmos(RegC) & 0xA0, Is.EqualTo(0xA0));
    }

    [Test]
    public void AlarmInterrupt_BeforeMatchingSecond_NotRaised()
    {
        WriteCmos(0x01, 0x35);
        WriteCmos(0x03, 0x45);
        WriteCmos(0x05, 0x13);
        WriteCmos(RegB, 0x20 | B24Hour);

        _clock.Advance(4 * VirtualClock.NanosecondsPerSecond);

        Assert.That(_irq8.Level, Is.False);
    }

    [Test]
    public void StatusC_PeriodicInterruptDisabled_PfStillSetAfterAPeriod()
    {
        ReadCmos(RegC);

        _clock.Advance(2 * Ms);

        Assert.That(ReadCmos(RegC) & 0xC0, Is.EqualTo(0x40));
    }

    /// <summary>As QEMU's rtc-test set_time: divider in reset, the time written, divider released.</summary>
    private void SetTime(byte statusB, byte hours, byte minutes, byte seconds)
    {
        WriteCmos(RegB, statusB);
        WriteCmos(RegA, ADividerReset);
        WriteCmos(RegHours, hours);
        WriteCmos(RegMinutes, minutes);
        WriteCmos(RegSeconds, seconds);
        ReadCmos(RegC);
        WriteCmos(RegA, ANormal);
    }

    [Test]
    public void AlarmFlag_TwelveHourPmAlarmWithInterruptsOff_SetWhenHourReached()
    {
        WriteCmos(RegMinutesAlarm, AlarmDontCare);
        WriteCmos(RegSecondsAlarm, AlarmDontCare);
        WriteCmos(RegHoursAlarm, 0x82);
        SetTime(0, 0x81, 0x59, 0x00);

        _clock.Advance(60 * Second);

        Assert.Multiple(() =>
        {
            Assert.That(ReadCmos(RegHours), Is.EqualTo(0x82));
            Assert.That(ReadCmos(RegC) & CAlarm, Is.EqualTo(CAlarm));
        });
    }

    [Test]
    public void AlarmFlag_HoursDifferOnlyByPmBit_NotSet()
    {
        WriteCmos(RegMinutesAlarm, AlarmDontCare);
        WriteCmos(RegSecondsAlarm, AlarmDontCare);
        WriteCmos(RegHoursAlarm, 0x02);
        SetTime(BBinary, 3, 0, 0);

        _clock.Advance(11 * 3600 * Second);

        Assert.Multiple(() =>
        {
            Assert.That(ReadCmos(RegHours), Is.EqualTo(0x82));
            Assert.That(ReadCmos(RegC) & CAlarm, Is.Zero);
        });
    }

    [Test]
    public void UpdateEndedFlag_InterruptDisabled_SetByNextUpdateCycle()
    {
        ReadCmos(RegC);

        _clock.Advance(Second);

        Assert.That(ReadCmos(RegC) & CUpdateEnded, Is.EqualTo(CUpdateEnded));
    }

    [Test]
    public void UpdateTimer_UpdateEndedFlagPending_NextWakeIsTheAlarm()
    {
        // Alarm bytes are 0: 00:00:00, which is 10 h 14 min 30 s after the 13:45:30 start.
        _clock.Advance(Second);

        Assert.That(_clock.NextDeadline, Is.EqualTo(((10 * 3600) + (14 * 60) + 30) * Second));
    }

    [Test]
    public void UpdateTimer_UpdateEndedAndAlarmFlagsPending_NoWakeUntilRegisterCRead()
    {
        WriteCmos(RegSecondsAlarm, AlarmDontCare);
        WriteCmos(RegMinutesAlarm, AlarmDontCare);
        WriteCmos(RegHoursAlarm, AlarmDontCare);

        _clock.Advance(Second);

        Assert.That(_clock.NextDeadline, Is.Null);
    }

    [Test]
    public void DividerReset_Held_TimeRegistersDoNotAdvance()
    {
        WriteCmos(RegA, ADividerReset);
        WriteCmos(RegSeconds, 0x58);

        _clock.Advance(Second);

        Assert.That(ReadCmos(RegSeconds), Is.EqualTo(0x58));
    }

    [Test]
    public void DividerReset_Released_FirstUpdateHalfASecondLater()
    {
        SetTime(B24Hour, 0x02, 0x04, 0x58);

        _clock.Advance((Second / 2) - UipHold - 1);
        var beforeUip = ReadCmos(RegA) & AUpdateInProgress;
        var secondsBefore = ReadCmos(RegSeconds);
        _clock.Advance(1);
        var atUip = ReadCmos(RegA) & AUpdateInProgress;
        _clock.Advance(UipHold);

        Assert.Multiple(() =>
        {
            Assert.That(beforeUip, Is.Zero);
            Assert.That(secondsBefore, Is.EqualTo(0x58));
            Assert.That(atUip, Is.EqualTo(AUpdateInProgress));
            Assert.That(ReadCmos(RegA) & AUpdateInProgress, Is.Zero);
            Assert.That(ReadCmos(RegSeconds), Is.EqualTo(0x59));
        });
    }

    [Test]
    public void UpdateInProgress_AlarmMovedAwayDuringUip_ClearsAfterTheUpdate()
    {
        SetTime(B24Hour, 0x02, 0x04, 0x58);
        _clock.Advance(Second / 2);
        WriteCmos(RegHoursAlarm, 0x02);
        WriteCmos(RegMinutesAlarm, AlarmDontCare);
        WriteCmos(RegSecondsAlarm, AlarmDontCare);
        _clock.Advance(Second - (UipHold / 2));
        var duringUip = ReadCmos(RegA) & AUpdateInProgress;

        WriteCmos(RegHoursAlarm, 0x03);
        _clock.Advance(UipHold);

        Assert.Multiple(() =>
        {
            Assert.That(duringUip, Is.EqualTo(AUpdateInProgress));
            Assert.That(ReadCmos(RegA) & AUpdateInProgress, Is.Zero);
        });
    }

    [Test]
    public void PeriodicInterrupt_RateSlowedAfterAnInterrupt_NewPeriodCountsFromThatInterrupt()
    {
        WriteCmos(RegA, 0x2D);
        WriteCmos(RegB, BPeriodic | B24Hour);
        _clock.Advance(126 * Ms);
        ReadCmos(RegC);
        WriteCmos(RegA, 0x2F);

        _clock.Advance(498 * Ms);
        var early = _irq8.Level;
        _clock.Advance(2 * Ms);

        Assert.Multiple(() =>
        {
            Assert.That(early, Is.False);
            Assert.That(_irq8.Level, Is.True);
        });
    }

    [Test]
    public void TimeRegisters_ImpossibleDateWrittenUnderSet_RollsOverWhenSetCleared()
    {
        WriteCmos(RegB, BSet | B24Hour);
        WriteCmos(RegYear, 0x11);
        WriteCmos(RegMonth, 0x02);
        WriteCmos(RegDay, 0x31);
        WriteCmos(RegB, B24Hour);

        Assert.Multiple(() =>
        {
            Assert.That(ReadCmos(RegDay), Is.EqualTo(0x03));
            Assert.That(ReadCmos(RegMonth), Is.EqualTo(0x03));
        });
    }

    [Test]
    public void SetBit_Cleared_UpdateKeepsTheDividerPhase()
    {
        _clock.Advance(300 * Ms);
        WriteCmos(RegB, BSet | B24Hour);
        _clock.Advance(500 * Ms);
        WriteCmos(RegB, B24Hour);

        _clock.Advance(250 * Ms);

        Assert.That(ReadCmos(RegSeconds), Is.EqualTo(0x31));
    }

    [Test]
    public void StatusB_InterruptEnabledWithItsFlagPending_RaisesIrq8AtOnce()
    {
        ReadCmos(RegC);
        _clock.Advance(Second);

        WriteCmos(RegB, BUpdateEnded | B24Hour);

        Assert.That(_irq8.Level, Is.True);
    }
}
