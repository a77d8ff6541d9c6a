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
            _clock.Advance(VirtualClock.NanosecondsPerSecond / 1024);
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

    [Test]
    public void Checksum_AfterSetup_EqualsSumOf10Through2D()
    {
        CmosSetup.SetMemorySize(_cmos, 32UL << 20);
        CmosSetup.SetFloppyTypes(_cmos, CmosFloppyType.Drive1440K, CmosFloppyType.Drive720K);
        CmosSetup.SetHardDisk(_cmos, 1, 500, 4, 17);
        var sum = 0;
        for (byte i = 0x10; i <= 0x2D; i++)
        {
            sum += ReadCmos(i);
        }

        Assert.That((ReadCmos(0x2E) << 8) | ReadCmos(0x2F), Is.EqualTo(sum));
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
}
