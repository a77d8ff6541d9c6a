using Emulator.Machine.Bus;
using Emulator.Machine.Platform;
using Emulator.Machine.Tests.Support;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Tests.Timers;

public class Pit8254Tests
{
    private const double PitHz = 1_193_182;
    private const ushort Counter0 = 0x40;
    private const ushort Counter2 = 0x42;
    private const ushort Control = 0x43;
    private const ushort PortB = 0x61;

    // 8254 control words: SC1 SC0 RW1 RW0 M2 M1 M0 BCD.
    private const byte Ch0LowHighMode2 = 0x34;
    private const byte Ch0LowHighMode3 = 0x36;
    private const byte Ch0LowOnlyMode2 = 0x14;
    private const byte Ch0LowHighMode2Bcd = 0x35;
    private const byte Ch0Latch = 0x00;
    private const byte Ch2LowHighMode0 = 0xB0;
    private const byte ReadBackStatusCh0 = 0xE2;
    private const byte ReadBackCountAndStatusCh0 = 0xC2;
    private const byte Timer2OutputBit = 0x20;
    private const byte Timer2GateBit = 0x01;

    private VirtualClock _clock = null!;
    private RecordingIrqLine _irq0 = null!;
    private IoPortBus _bus = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new VirtualClock();
        _irq0 = new RecordingIrqLine { Clock = () => _clock.Now };
        var pit = new Pit8254(_clock, _irq0);
        _bus = new IoPortBus();
        pit.RegisterPorts(_bus);
        new SystemControlPortB(pit).RegisterPorts(_bus);
        _bus.Freeze();
    }

    /// <summary>The first nanosecond at which <paramref name="ticks"/> PIT clocks have elapsed.</summary>
    private static long AtTicks(long ticks) => (long)Math.Ceiling(ticks * 1e9 / PitHz);

    private void Program(ushort counter, byte control, ushort count)
    {
        _bus.WriteByte(Control, control);
        _bus.WriteByte(counter, (byte)count);
        _bus.WriteByte(counter, (byte)(count >> 8));
    }

    private ushort ReadLatched(ushort counter, byte latchCommand)
    {
        _bus.WriteByte(Control, latchCommand);
        var low = _bus.ReadByte(counter);
        return (ushort)(low | (_bus.ReadByte(counter) << 8));
    }

    [Test]
    public void Mode2_After100Ticks_CountDown100()
    {
        Program(Counter0, Ch0LowHighMode2, 1000);

        _clock.AdvanceTo(AtTicks(100));

        Assert.That(ReadLatched(Counter0, Ch0Latch), Is.EqualTo(900));
    }

    [Test]
    public void Mode2_AfterOneAndAHalfPeriods_ReloadedAndCountingAgain()
    {
        Program(Counter0, Ch0LowHighMode2, 1000);

        _clock.AdvanceTo(AtTicks(1500));

        Assert.That(ReadLatched(Counter0, Ch0Latch), Is.EqualTo(500));
    }

    [Test]
    public void Mode3_After100Ticks_CountsDownByTwo()
    {
        Program(Counter0, Ch0LowHighMode3, 1000);

        _clock.AdvanceTo(AtTicks(100));

        Assert.That(ReadLatched(Counter0, Ch0Latch), Is.EqualTo(800));
    }

    [Test]
    public void Mode2_Irq0_RisesOncePerPeriodAtReload()
    {
        Program(Counter0, Ch0LowHighMode2, 1193);
        _irq0.RiseTimes.Clear();

        _clock.AdvanceTo(AtTicks(3 * 1193) + 1);

        Assert.That(_irq0.RiseTimes, Is.EqualTo(new[] { AtTicks(1193), AtTicks(2 * 1193), AtTicks(3 * 1193) }));
    }

    [Test]
    public void Mode3_Irq0_RisesOncePerPeriod()
    {
        Program(Counter0, Ch0LowHighMode3, 100);
        _irq0.RiseTimes.Clear();

        _clock.AdvanceTo(AtTicks(1000));

        Assert.That(_irq0.RiseTimes, Has.Count.EqualTo(10));
    }

    [Test]
    public void Mode3_Output_LowInSecondHalfOfPeriod()
    {
        Program(Counter0, Ch0LowHighMode3, 100);

        _clock.AdvanceTo(AtTicks(60));

        Assert.That(_irq0.Level, Is.False);
    }

    [Test]
    public void Reset_DefaultCounter0_Irq0At18Point2Hz()
    {
        _irq0.RiseTimes.Clear();

        _clock.AdvanceTo(VirtualClock.NanosecondsPerSecond);

        Assert.That(_irq0.RiseTimes, Has.Count.EqualTo(18));
    }

    [Test]
    public void Latch_TimeAdvancesBeforeRead_ReturnsValueAtLatch()
    {
        Program(Counter0, Ch0LowHighMode2, 1000);
        _clock.AdvanceTo(AtTicks(100));
        _bus.WriteByte(Control, Ch0Latch);

        _clock.AdvanceTo(AtTicks(300));
        var low = _bus.ReadByte(Counter0);
        var high = _bus.ReadByte(Counter0);

        Assert.That(low | (high << 8), Is.EqualTo(900));
    }

    [Test]
    public void LowByteOnlyAccess_LoadsAndReadsLowByte()
    {
        _bus.WriteByte(Control, Ch0LowOnlyMode2);
        _bus.WriteByte(Counter0, 200);

        _clock.AdvanceTo(AtTicks(50));

        Assert.That(_bus.ReadByte(Counter0), Is.EqualTo(150));
    }

    [Test]
    public void BcdMode_CountReadsInBcd()
    {
        Program(Counter0, Ch0LowHighMode2Bcd, 0x1000);

        _clock.AdvanceTo(AtTicks(1));

        Assert.That(ReadLatched(Counter0, Ch0Latch), Is.EqualTo(0x0999));
    }

    [Test]
    public void ReadBackStatus_Mode2Counting_ReportsOutputHighAndProgrammedMode()
    {
        Program(Counter0, Ch0LowHighMode2, 1000);

        _bus.WriteByte(Control, ReadBackStatusCh0);

        Assert.That(_bus.ReadByte(Counter0), Is.EqualTo(0x80 | Ch0LowHighMode2));
    }

    [Test]
    public void ReadBackStatus_AfterControlWordBeforeCount_ReportsNullCount()
    {
        _bus.WriteByte(Control, Ch0LowHighMode2);

        _bus.WriteByte(Control, ReadBackStatusCh0);

        Assert.That(_bus.ReadByte(Counter0) & 0x40, Is.EqualTo(0x40));
    }

    [Test]
    public void ReadBackCountAndStatus_StatusFirstThenCount()
    {
        Program(Counter0, Ch0LowHighMode2, 1000);
        _clock.AdvanceTo(AtTicks(10));

        _bus.WriteByte(Control, ReadBackCountAndStatusCh0);
        var status = _bus.ReadByte(Counter0);
        var count = _bus.ReadByte(Counter0) | (_bus.ReadByte(Counter0) << 8);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(0x80 | Ch0LowHighMode2));
            Assert.That(count, Is.EqualTo(990));
        });
    }

    [Test]
    public void Mode0_Channel2_OutputLowUntilTerminalCount()
    {
        _bus.WriteByte(PortB, Timer2GateBit);
        Program(Counter2, Ch2LowHighMode0, 100);

        _clock.AdvanceTo(AtTicks(99));

        Assert.That(_bus.ReadByte(PortB) & Timer2OutputBit, Is.Zero);
    }

    [Test]
    public void Mode0_Channel2_OutputHighAtTerminalCount()
    {
        _bus.WriteByte(PortB, Timer2GateBit);
        Program(Counter2, Ch2LowHighMode0, 100);

        _clock.AdvanceTo(AtTicks(100));

        Assert.That(_bus.ReadByte(PortB) & Timer2OutputBit, Is.EqualTo(Timer2OutputBit));
    }

    [Test]
    public void Mode0_Counter0_Irq0RisesOnceAtTerminalCount()
    {
        _bus.WriteByte(Control, 0x30);
        _irq0.RiseTimes.Clear();
        _bus.WriteByte(Counter0, 50);
        _bus.WriteByte(Counter0, 0);

        _clock.AdvanceTo(AtTicks(10_000));

        Assert.That(_irq0.RiseTimes, Is.EqualTo(new[] { AtTicks(50) }));
    }

    [Test]
    public void Mode0_Channel2GateLow_CountingSuspended()
    {
        _bus.WriteByte(PortB, Timer2GateBit);
        Program(Counter2, Ch2LowHighMode0, 1000);
        _clock.AdvanceTo(AtTicks(100));
        _bus.WriteByte(PortB, 0);

        _clock.AdvanceTo(AtTicks(600));

        Assert.That(ReadLatched(Counter2, 0x80), Is.EqualTo(900));
    }

    [Test]
    public void Mode0_Channel2GateRaisedAgain_ResumesWhereItStopped()
    {
        _bus.WriteByte(PortB, Timer2GateBit);
        Program(Counter2, Ch2LowHighMode0, 1000);
        _clock.AdvanceTo(AtTicks(100));
        _bus.WriteByte(PortB, 0);
        _clock.AdvanceTo(AtTicks(600));

        _bus.WriteByte(PortB, Timer2GateBit);
        _clock.AdvanceTo(AtTicks(700));

        // The gate rises between two CLK edges, so the chip may count the partial clock or not (datasheet: gate sampled on the rising CLK).
        Assert.That(ReadLatched(Counter2, 0x80), Is.EqualTo(800).Within(1));
    }

    [Test]
    public void Mode4_Counter0_Irq0RisesOneClockAfterTerminalCount()
    {
        _bus.WriteByte(Control, 0x38);
        _irq0.RiseTimes.Clear();
        _bus.WriteByte(Counter0, 100);
        _bus.WriteByte(Counter0, 0);

        _clock.AdvanceTo(AtTicks(10_000));

        Assert.That(_irq0.RiseTimes, Is.EqualTo(new[] { AtTicks(101) }));
    }

    [Test]
    public void Mode1_Channel2_WaitsForGateThenOutputLowForCount()
    {
        Program(Counter2, 0xB2, 100);
        _clock.AdvanceTo(AtTicks(500));
        var beforeTrigger = _bus.ReadByte(PortB) & Timer2OutputBit;
        _bus.WriteByte(PortB, Timer2GateBit);

        _clock.AdvanceTo(AtTicks(550));
        var during = _bus.ReadByte(PortB) & Timer2OutputBit;
        _clock.AdvanceTo(AtTicks(601));

        Assert.Multiple(() =>
        {
            Assert.That(beforeTrigger, Is.EqualTo(Timer2OutputBit));
            Assert.That(during, Is.Zero);
            Assert.That(_bus.ReadByte(PortB) & Timer2OutputBit, Is.EqualTo(Timer2OutputBit));
        });
    }

    [Test]
    public void Mode5_Channel2_StrobeOneClockAfterGateTriggerPlusCount()
    {
        Program(Counter2, 0xBA, 100);
        _bus.WriteByte(PortB, Timer2GateBit);

        _clock.AdvanceTo(_clock.Now + AtTicks(100) + 1);

        Assert.That(_bus.ReadByte(PortB) & Timer2OutputBit, Is.Zero);
    }

    [Test]
    public void Mode3_Channel2GateLow_OutputHeldHigh()
    {
        _bus.WriteByte(PortB, Timer2GateBit);
        Program(Counter2, 0xB6, 100);
        _clock.AdvanceTo(AtTicks(60));
        var lowHalf = _bus.ReadByte(PortB) & Timer2OutputBit;

        _bus.WriteByte(PortB, 0);

        Assert.Multiple(() =>
        {
            Assert.That(lowHalf, Is.Zero);
            Assert.That(_bus.ReadByte(PortB) & Timer2OutputBit, Is.EqualTo(Timer2OutputBit));
        });
    }

    [Test]
    public void PortB_RefreshBit_TogglesBetweenReads()
    {
        var first = _bus.ReadByte(PortB) & 0x10;

        var second = _bus.ReadByte(PortB) & 0x10;

        Assert.That(second, Is.Not.EqualTo(first));
    }

    [Test]
    public void PortB_WrittenControlBits_ReadBack()
    {
        _bus.WriteByte(PortB, 0x03);

        Assert.That(_bus.ReadByte(PortB) & 0x0F, Is.EqualTo(0x03));
    }
}
