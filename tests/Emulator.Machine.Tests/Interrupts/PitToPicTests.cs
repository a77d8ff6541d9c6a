using Emulator.Machine.Bus;
using Emulator.Machine.Interrupts;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Tests.Interrupts;

/// <summary>The PIT's counter 0 reaching the CPU through the ISA lines and the 8259A pair.</summary>
public class PitToPicTests
{
    private const byte Icw1 = 0x11;
    private const byte MasterBase = 0x08;
    private const byte SlaveBase = 0x70;
    private const byte Icw4 = 0x01;
    private const byte Eoi = 0x20;
    private const byte Ch0Mode2 = 0x34;

    private VirtualClock _clock = null!;
    private IoPortBus _bus = null!;
    private PicPair _pic = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new VirtualClock();
        _bus = new IoPortBus();
        _pic = new PicPair();
        var lines = new IsaIrqLines(_pic);
        var pit = new Pit8254(_clock, lines[0]);
        _pic.RegisterPorts(_bus);
        pit.RegisterPorts(_bus);
        _bus.Freeze();
        _bus.WriteByte(0x20, Icw1);
        _bus.WriteByte(0x21, MasterBase);
        _bus.WriteByte(0x21, 0x04);
        _bus.WriteByte(0x21, Icw4);
        _bus.WriteByte(0xA0, Icw1);
        _bus.WriteByte(0xA1, SlaveBase);
        _bus.WriteByte(0xA1, 0x02);
        _bus.WriteByte(0xA1, Icw4);
        _bus.WriteByte(0x43, Ch0Mode2);
        _bus.WriteByte(0x40, 0xA9);
        _bus.WriteByte(0x40, 0x04);
    }

    [Test]
    public void Irq0_BeforeFirstPeriod_NotPending()
    {
        // 1193 clocks at 1.193182 MHz: the first reload comes at 999.85 µs.
        _clock.Advance(990_000);

        Assert.That(_pic.InterruptPending, Is.False);
    }

    [Test]
    public void Irq0_AfterOnePeriod_AcknowledgesVector8()
    {
        _clock.Advance(1_000_100);

        Assert.That(_pic.Acknowledge(), Is.EqualTo(MasterBase));
    }

    [Test]
    public void Irq0_TenPeriodsWithEoiEachTime_TenTimerVectors()
    {
        var vectors = new List<byte>();
        for (var i = 0; i < 10; i++)
        {
            _clock.Advance(1_000_000);
            vectors.Add(_pic.Acknowledge());
            _bus.WriteByte(0x20, Eoi);
        }

        Assert.That(vectors, Has.Count.EqualTo(10).And.All.EqualTo(MasterBase));
    }
}
