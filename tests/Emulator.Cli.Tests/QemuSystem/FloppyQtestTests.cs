using System.Net.Sockets;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// The ISA floppy controller seen as QEMU's tests/qtest/fdc-test.c sees it: FIFO commands over the
/// qtest socket, IRQ 6 on the intercepted I/O APIC, seek time passing only through clock_step.
/// </summary>
public class FloppyQtestTests
{
    /// <summary>82077AA/82078 registers at the primary base 0x3F0.</summary>
    private const ushort DigitalOutput = 0x3F2;
    private const ushort MainStatus = 0x3F4;
    private const ushort Fifo = 0x3F5;
    private const int FloppyIrq = 6;

    /// <summary>DOR: motor A on, DMA/IRQ gate, not in reset, drive 0.</summary>
    private const byte MotorAEnabled = 0x1C;

    /// <summary>MSR: RQM (ready for a byte), DIO (controller to host), CB (command busy).</summary>
    private const uint RequestForMaster = 0x80;
    private const uint DataToHost = 0x40;
    private const uint CommandBusy = 0x10;

    /// <summary>Commands (82078 datasheet, section 5): VERSION answers 0x90 on an enhanced controller.</summary>
    private const byte Version = 0x10;
    private const byte Recalibrate = 0x07;
    private const byte SenseInterrupt = 0x08;
    private const byte SenseDriveStatus = 0x04;

    /// <summary>ST3 bit 6: the medium is write protected.</summary>
    private const uint WriteProtected = 0x40;
    private const uint EnhancedController = 0x90;

    /// <summary>ST0 after a seek: seek end, drive 0.</summary>
    private const uint SeekEnd = 0x20;

    /// <summary>Long enough for a recalibrate from any track at the slowest step rate (80 tracks × 32 ms).</summary>
    private const long SeekNanoseconds = 3_000_000_000;

    private const int FloppyBytes = 1_474_560;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-fdc-qtest-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Version_ResultPhase_EnhancedController()
    {
        using var machine = Start();
        var qtest = machine.Qtest;
        var idle = qtest.Value($"inb 0x{MainStatus:x}");
        qtest.Command($"outb 0x{Fifo:x} 0x{Version:x}");
        var result = qtest.Value($"inb 0x{MainStatus:x}");
        var version = qtest.Value($"inb 0x{Fifo:x}");

        Assert.Multiple(() =>
        {
            Assert.That(idle & (RequestForMaster | DataToHost), Is.EqualTo(RequestForMaster), "idle: ready for a command byte");
            Assert.That(result, Is.EqualTo(RequestForMaster | DataToHost | CommandBusy), "result phase");
            Assert.That(version, Is.EqualTo(EnhancedController));
        });
    }

    [Test]
    public void Recalibrate_ClockStep_Irq6ThenSenseInterruptSeekEnd()
    {
        using var machine = Start();
        var qtest = machine.Qtest;
        qtest.Command("irq_intercept_in ioapic");
        qtest.Command($"outb 0x{DigitalOutput:x} 0x{MotorAEnabled:x}");
        qtest.Command($"outb 0x{Fifo:x} 0x{Recalibrate:x}");
        qtest.Command($"outb 0x{Fifo:x} 0x00");
        qtest.Command($"clock_step {SeekNanoseconds}");
        var afterSeek = qtest.Asynchronous.ToList();
        qtest.Command($"outb 0x{Fifo:x} 0x{SenseInterrupt:x}");
        var st0 = qtest.Value($"inb 0x{Fifo:x}");
        var cylinder = qtest.Value($"inb 0x{Fifo:x}");

        Assert.Multiple(() =>
        {
            Assert.That(afterSeek, Does.Contain($"IRQ raise {FloppyIrq}"));
            Assert.That(st0, Is.EqualTo(SeekEnd));
            Assert.That(cylinder, Is.Zero);
            Assert.That(qtest.Asynchronous[^1], Is.EqualTo($"IRQ lower {FloppyIrq}"), "SENSE INTERRUPT STATUS clears the interrupt");
        });
    }

    [Test]
    public void EmptyFloppyDevice_ChangeMediumRetain_MediumIsWriteProtected()
    {
        // QEMU's -device floppy without drive= gets an empty drive with no read-write flag, so the
        // default read-only-mode (retain) opens the medium read-only: ST3 shows write protect.
        var image = Path.Combine(_dir, "floppy.img");
        File.WriteAllBytes(image, new byte[FloppyBytes]);
        var qmpPath = Path.Combine(_dir, "qmp.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(qmpPath));
        listener.Listen(1);
        using var machine = new QtestMachine(_dir, "-device", "floppy,id=floppy0", "-qmp", $"unix:{qmpPath}");
        listener.ReceiveTimeout = 30_000;
        using var socket = listener.Accept();
        using var qmp = new LineChannel(socket);
        qmp.ReadLine();
        qmp.WriteLine("{\"execute\":\"qmp_capabilities\"}");
        qmp.ReadLine();
        qmp.WriteLine($"{{\"execute\":\"blockdev-change-medium\",\"arguments\":{{\"id\":\"floppy0\",\"filename\":\"{image}\",\"format\":\"raw\"}}}}");
        var changed = qmp.ReadLine();
        var qtest = machine.Qtest;
        qtest.Command($"outb 0x{DigitalOutput:x} 0x{MotorAEnabled:x}");
        qtest.Command($"outb 0x{Fifo:x} 0x{SenseDriveStatus:x}");
        qtest.Command($"outb 0x{Fifo:x} 0x00");
        var st3 = qtest.Value($"inb 0x{Fifo:x}");

        Assert.Multiple(() =>
        {
            Assert.That(changed, Does.Contain("\"return\""));
            Assert.That(st3 & WriteProtected, Is.EqualTo(WriteProtected));
        });
    }

    private QtestMachine Start()
    {
        var image = Path.Combine(_dir, "floppy.img");
        File.WriteAllBytes(image, new byte[FloppyBytes]);
        return new QtestMachine(_dir, "-drive", $"file={image},if=floppy,format=raw");
    }
}
