using System.Net.Sockets;
using System.Text;
using Emulator.Machine.Loop;
using Emulator.Monitor.Machine;
using Emulator.Monitor.Qtest;

namespace Emulator.Monitor.Tests.Qtest;

/// <summary>
/// The qtest protocol as libqtest speaks it: the test listens, the emulator connects, one line per
/// command. The machine runs with -accel qtest semantics (no CPU; time moves only by clock_step).
/// </summary>
public class QtestProtocolTests
{
    private string _dir = null!;
    private PcMachine _machine = null!;
    private Thread _loop = null!;
    private QtestServer _server = null!;
    private Socket _listener = null!;
    private Socket _client = null!;
    private StreamReader _reader = null!;
    private NetworkStream _stream = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("emu-qtest-").FullName;
        _machine = new PcMachine(new PcMachineOptions { RunCpu = false, RtcStartTime = new DateTime(2026, 1, 1) });
        _machine.Start();
        _loop = new Thread(() => _machine.Run(new RunLimits())) { IsBackground = true };
        _loop.Start();
        var path = Path.Combine(_dir, "qtest.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(1);
        _server = new QtestServer(_machine, new MachineMonitorExecutor(_machine));
        _server.ConnectUnix(path);
        _client = _listener.Accept();
        _stream = new NetworkStream(_client) { ReadTimeout = 10_000 };
        _reader = new StreamReader(_stream, Encoding.ASCII);
    }

    [TearDown]
    public void TearDown()
    {
        _machine.Exit(0);
        _loop.Join(TimeSpan.FromSeconds(10));
        _reader.Dispose();
        _stream.Dispose();
        _client.Dispose();
        _listener.Dispose();
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Sends a command; returns the reply and the asynchronous IRQ lines that came before it.</summary>
    private (string Reply, List<string> Irqs) Send(string command)
    {
        _stream.Write(Encoding.ASCII.GetBytes(command + "\n"));
        var irqs = new List<string>();
        while (true)
        {
            var line = _reader.ReadLine() ?? throw new IOException("qtest connection closed");
            if (line.StartsWith("IRQ ", StringComparison.Ordinal))
            {
                irqs.Add(line);
                continue;
            }

            return (line, irqs);
        }
    }

    private string Reply(string command) => Send(command).Reply;

    [Test]
    public void Endianness_Little() => Assert.That(Reply("endianness"), Is.EqualTo("OK little"));

    [Test]
    public void UnknownCommand_Fail() => Assert.That(Reply("frobnicate 1 2"), Is.EqualTo("FAIL Unknown command 'frobnicate'"));

    [Test]
    public void WritelReadl_RamRoundTripWithWidths()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Reply("writel 0x1000 0xdeadbeef"), Is.EqualTo("OK"));
            Assert.That(Reply("readl 0x1000"), Is.EqualTo("OK 0x00000000deadbeef"));
            Assert.That(Reply("readb 0x1000"), Is.EqualTo("OK 0x00000000000000ef"));
            Assert.That(Reply("readw 4098"), Is.EqualTo("OK 0x000000000000dead"), "decimal address");
            Assert.That(Reply("writeq 010000 0x0102030405060708"), Is.EqualTo("OK"), "octal address 4096");
            Assert.That(Reply("readq 0x1000"), Is.EqualTo("OK 0x0102030405060708"));
        });
    }

    [Test]
    public void ReadWriteHexBase64Memset_Bytes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Reply("write 0x2000 4 0x01020304"), Is.EqualTo("OK"));
            Assert.That(Reply("read 0x2000 4"), Is.EqualTo("OK 0x01020304"));
            Assert.That(Reply("write 0x2000 4 0x0a"), Is.EqualTo("OK"), "short data is zero-filled");
            Assert.That(Reply("read 0x2000 4"), Is.EqualTo("OK 0x0a000000"));
            Assert.That(Reply("write 0x2000 4 0x"), Is.EqualTo("ERR invalid argument size"));
            Assert.That(Reply("b64write 0x3000 3 AQID"), Is.EqualTo("OK"));
            Assert.That(Reply("b64read 0x3000 3"), Is.EqualTo("OK AQID"));
            Assert.That(Reply("memset 0x3000 2 0x5a"), Is.EqualTo("OK"));
            Assert.That(Reply("read 0x3000 3"), Is.EqualTo("OK 0x5a5a03"));
        });
    }

    [Test]
    public void InOut_FwCfgSignatureThroughPorts()
    {
        Reply("outw 0x510 0x0000");

        var signature = Enumerable.Range(0, 4).Select(_ => Reply("inb 0x511")).ToList();

        Assert.That(signature, Is.EqualTo(new[] { "OK 0x0051", "OK 0x0045", "OK 0x004d", "OK 0x0055" }), "QEMU");
    }

    [Test]
    public void ClockStep_PitInterceptedIrq0_ReportedBeforeReply()
    {
        Assert.That(Reply("irq_intercept_in ioapic"), Is.EqualTo("OK"));

        // PIT channel 0, mode 2, count 1193: one period is 1 ms.
        Reply("outb 0x43 0x34");
        Reply("outb 0x40 0xa9");
        Reply("outb 0x40 0x04");
        var (reply, irqs) = Send("clock_step 1500000");

        Assert.Multiple(() =>
        {
            Assert.That(reply, Is.EqualTo("OK 1500000"));
            Assert.That(irqs, Does.Contain("IRQ raise 0"));
        });
    }

    [Test]
    public void ClockStep_NoArgument_GoesToNextDeadline()
    {
        Reply("outb 0x43 0x34");
        Reply("outb 0x40 0xa9");
        Reply("outb 0x40 0x04");

        var reply = Reply("clock_step");

        Assert.That(reply, Does.Match(@"^OK \d+$"));
        Assert.That(long.Parse(reply[3..]), Is.InRange(1L, 1_000_000L));
    }

    [Test]
    public void ClockSet_Backwards_FailsWithCurrentTime()
    {
        Reply("clock_set 5000");

        Assert.Multiple(() =>
        {
            Assert.That(Reply("clock_set 1000"), Is.EqualTo("FAIL 5000"));
            Assert.That(Reply("clock_set 9000"), Is.EqualTo("OK 9000"));
        });
    }

    [TestCase("outb", "ERR missing port")]
    [TestCase("outb 0x10000 1", "ERR port beyond 0xffff")]
    [TestCase("readl zzz", "ERR invalid address 'zzz'")]
    [TestCase("read 0 0x100000000", "ERR size larger than 67108864 bytes")]
    [TestCase("irq_intercept_in /machine/nothing", "FAIL Unknown device")]
    public void BadInput_ErrorLineAndConnectionKept(string command, string reply)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Reply(command), Is.EqualTo(reply));
            Assert.That(Reply("endianness"), Is.EqualTo("OK little"));
        });
    }

    [TestCase("read 0xfffffff0 32")]
    [TestCase("writeq 0xfffffffc 1")]
    [TestCase("memset 0xffffffff 2 0")]
    [TestCase("b64read 0xffffff00 512")]
    public void AccessAcrossTopOfAddressSpace_AnsweredAndConnectionKept(string command)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Reply(command), Does.StartWith("OK"));
            Assert.That(Reply("endianness"), Is.EqualTo("OK little"));
        });
    }
}
