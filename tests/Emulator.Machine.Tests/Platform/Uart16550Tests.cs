using Emulator.Machine.Bus;
using Emulator.Machine.Platform;
using Emulator.Machine.Tests.Support;
using Emulator.Machine.Timers;

namespace Emulator.Machine.Tests.Platform;

public class Uart16550Tests
{
    private const ushort Rbr = 0x3F8;
    private const ushort Ier = 0x3F9;
    private const ushort Iir = 0x3FA;
    private const ushort Lcr = 0x3FB;
    private const ushort Mcr = 0x3FC;
    private const ushort Lsr = 0x3FD;
    private const ushort Msr = 0x3FE;
    private const ushort Scr = 0x3FF;
    private const byte LcrDlab = 0x80;
    private const byte Lcr8N1 = 0x03;
    private const byte McrLoopback = 0x10;
    private const byte IerRda = 0x01;
    private const byte IerThre = 0x02;
    private const byte LsrDataReady = 0x01;
    private const byte LsrThreTemt = 0x60;
    private const byte IirNone = 0x01;
    private const byte IirThre = 0x02;
    private const byte IirRda = 0x04;
    private const byte FcrEnableClearTrigger14 = 0xC7;

    private IoPortBus _bus = null!;
    private Uart16550 _uart = null!;
    private RecordingIrqLine _irq = null!;
    private List<byte> _sent = null!;

    [SetUp]
    public void SetUp()
    {
        _irq = new RecordingIrqLine();
        _sent = [];
        _uart = new Uart16550(_irq, _sent.Add);
        _bus = new IoPortBus();
        _uart.RegisterPorts(_bus);
        _bus.Freeze();
    }

    [Test]
    public void DivisorLatch_WrittenWithDlab_ReadsBackAndSetsBaud()
    {
        _bus.WriteByte(Lcr, LcrDlab | Lcr8N1);
        _bus.WriteByte(Rbr, 0x0C);
        _bus.WriteByte(Ier, 0x00);

        Assert.Multiple(() =>
        {
            Assert.That(_bus.ReadByte(Rbr), Is.EqualTo(0x0C));
            Assert.That(_uart.BaudRate, Is.EqualTo(9600));
        });
    }

    [Test]
    public void DivisorLatch_DlabCleared_Offset1IsIerAgain()
    {
        _bus.WriteByte(Lcr, LcrDlab);
        _bus.WriteByte(Ier, 0x01);
        _bus.WriteByte(Lcr, Lcr8N1);

        Assert.That(_bus.ReadByte(Ier), Is.Zero);
    }

    [Test]
    public void Transmit_ThrWrite_GoesToHostSink()
    {
        _bus.WriteByte(Rbr, (byte)'A');

        Assert.That(_sent, Is.EqualTo(new[] { (byte)'A' }));
    }

    [Test]
    public void Lsr_Idle_TransmitterEmptyAndNoData()
    {
        Assert.That(_bus.ReadByte(Lsr), Is.EqualTo(LsrThreTemt));
    }

    [Test]
    public void Loopback_ThrWrite_ReceivedByGuestNotSent()
    {
        _bus.WriteByte(Mcr, McrLoopback);

        _bus.WriteByte(Rbr, 0x55);

        Assert.Multiple(() =>
        {
            Assert.That(_bus.ReadByte(Lsr) & LsrDataReady, Is.EqualTo(LsrDataReady));
            Assert.That(_bus.ReadByte(Rbr), Is.EqualTo(0x55));
            Assert.That(_sent, Is.Empty);
        });
    }

    [Test]
    public void Loopback_ModemOutputs_AppearOnModemStatusInputs()
    {
        _bus.WriteByte(Mcr, McrLoopback | 0x0F);

        Assert.That(_bus.ReadByte(Msr) & 0xF0, Is.EqualTo(0xF0));
    }

    [Test]
    public void ThreInterrupt_Enabled_RaisesIrqWithIirThre()
    {
        _bus.WriteByte(Ier, IerThre);

        Assert.Multiple(() =>
        {
            Assert.That(_irq.Level, Is.True);
            Assert.That(_bus.ReadByte(Iir), Is.EqualTo(IirThre));
        });
    }

    [Test]
    public void ThreInterrupt_IirRead_AcknowledgesAndLowersIrq()
    {
        _bus.WriteByte(Ier, IerThre);
        _bus.ReadByte(Iir);

        Assert.Multiple(() =>
        {
            Assert.That(_bus.ReadByte(Iir), Is.EqualTo(IirNone));
            Assert.That(_irq.Level, Is.False);
        });
    }

    [Test]
    public void ThreInterrupt_AfterTransmit_RaisedAgain()
    {
        _bus.WriteByte(Ier, IerThre);
        _bus.ReadByte(Iir);

        _bus.WriteByte(Rbr, (byte)'x');

        Assert.That(_irq.RisingEdges, Is.EqualTo(2));
    }

    [Test]
    public void Receive_HostByteWithRdaEnabled_RaisesIrqAndReportsRda()
    {
        _bus.WriteByte(Ier, IerRda);

        _uart.Enqueue((byte)'x');

        Assert.Multiple(() =>
        {
            Assert.That(_irq.Level, Is.True);
            Assert.That(_bus.ReadByte(Iir), Is.EqualTo(IirRda));
            Assert.That(_bus.ReadByte(Rbr), Is.EqualTo((byte)'x'));
        });
    }

    [Test]
    public void Receive_LastByteRead_LowersIrqAndClearsDataReady()
    {
        _bus.WriteByte(Ier, IerRda);
        _uart.Enqueue((byte)'x');

        _bus.ReadByte(Rbr);

        Assert.Multiple(() =>
        {
            Assert.That(_irq.Level, Is.False);
            Assert.That(_bus.ReadByte(Lsr) & LsrDataReady, Is.Zero);
        });
    }

    [Test]
    public void Receive_SeveralHostBytesWithoutFifo_DeliveredInOrder()
    {
        _uart.Enqueue("abc"u8);

        var received = new[] { _bus.ReadByte(Rbr), _bus.ReadByte(Rbr), _bus.ReadByte(Rbr) };

        Assert.That(received, Is.EqualTo("abc"u8.ToArray()));
    }

    [Test]
    public void Fifo_Enabled_IirShowsFifoBits()
    {
        _bus.WriteByte(Iir, FcrEnableClearTrigger14);

        Assert.That(_bus.ReadByte(Iir), Is.EqualTo(0xC1));
    }

    [Test]
    public void Fifo_BelowTriggerLevel_ReportsCharacterTimeout()
    {
        _bus.WriteByte(Iir, FcrEnableClearTrigger14);
        _bus.WriteByte(Ier, IerRda);

        _uart.Enqueue("abc"u8);

        Assert.That(_bus.ReadByte(Iir), Is.EqualTo(0xCC));
    }

    [Test]
    public void Fifo_AtTriggerLevel_ReportsReceivedData()
    {
        _bus.WriteByte(Iir, FcrEnableClearTrigger14);
        _bus.WriteByte(Ier, IerRda);

        _uart.Enqueue("0123456789abcd"u8);

        Assert.That(_bus.ReadByte(Iir), Is.EqualTo(0xC4));
    }

    [Test]
    public void Fifo_WithClock_TimeoutWaitsFourCharacterTimes()
    {
        var clock = new VirtualClock();
        var irq = new RecordingIrqLine();
        var bus = new IoPortBus();
        var uart = new Uart16550(irq, _ => { }, Rbr, clock);
        uart.RegisterPorts(bus);
        bus.Freeze();
        bus.WriteByte(Lcr, Lcr8N1);
        bus.WriteByte(Iir, FcrEnableClearTrigger14);
        bus.WriteByte(Ier, IerRda);

        uart.Enqueue((byte)'a');

        // 8N1 at 115200 baud: 10 bits = 86.8 µs a character, so the timeout falls at 347 µs.
        clock.Advance(340_000);
        var before = irq.Level;
        clock.Advance(10_000);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.False);
            Assert.That(irq.Level, Is.True);
            Assert.That(bus.ReadByte(Iir), Is.EqualTo(0xCC));
        });
    }

    [Test]
    public void Scratch_Written_ReadsBack()
    {
        _bus.WriteByte(Scr, 0xA5);

        Assert.That(_bus.ReadByte(Scr), Is.EqualTo(0xA5));
    }

    [Test]
    public void Loopback_SecondByteWithoutFifo_SetsOverrun()
    {
        _bus.WriteByte(Mcr, McrLoopback);
        _bus.WriteByte(Rbr, 1);

        _bus.WriteByte(Rbr, 2);

        Assert.That(_bus.ReadByte(Lsr) & 0x02, Is.EqualTo(0x02));
    }

    [Test]
    public void Lsr_Read_ClearsOverrun()
    {
        _bus.WriteByte(Mcr, McrLoopback);
        _bus.WriteByte(Rbr, 1);
        _bus.WriteByte(Rbr, 2);
        _bus.ReadByte(Lsr);

        Assert.That(_bus.ReadByte(Lsr) & 0x02, Is.Zero);
    }

    [Test]
    public void ModemStatus_LoopbackRtsToggled_DeltaCtsSetThenClearedByRead()
    {
        _bus.WriteByte(Mcr, McrLoopback);
        _bus.WriteByte(Mcr, McrLoopback | 0x02);

        var first = _bus.ReadByte(Msr);

        Assert.Multiple(() =>
        {
            Assert.That(first & 0x11, Is.EqualTo(0x11));
            Assert.That(_bus.ReadByte(Msr) & 0x01, Is.Zero);
        });
    }

    [Test]
    public void ModemStatusInterrupt_Enabled_DeltaRaisesIrqWithIir0()
    {
        _bus.WriteByte(Ier, 0x08);
        _bus.WriteByte(Mcr, McrLoopback | 0x02);

        Assert.Multiple(() =>
        {
            Assert.That(_irq.Level, Is.True);
            Assert.That(_bus.ReadByte(Iir), Is.EqualTo(0x00));
        });
    }
}
