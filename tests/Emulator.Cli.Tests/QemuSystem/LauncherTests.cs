using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// bin/emu-system-x86_64 started the way libqtest starts QEMU: the test listens on a qtest and a QMP
/// socket, the emulator connects to both, and the test drives the machine through them.
/// </summary>
public class LauncherTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-launcher-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static Process Start(params string[] args) => Launcher.Start(args);

    private Socket Listen(string name)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_dir, name)));
        socket.Listen(1);
        return socket;
    }

    [Test]
    public void Libqtest_QtestAndQmp_DriveMachineThenQuit()
    {
        using var qtestListener = Listen("qtest.sock");
        using var qmpListener = Listen("qmp.sock");
        using var process = Start(
            "-qtest", $"unix:{_dir}/qtest.sock", "-qtest-log", "/dev/null",
            "-chardev", $"socket,path={_dir}/qmp.sock,id=char0", "-mon", "chardev=char0,mode=control",
            "-display", "none", "-machine", "pc", "-accel", "qtest");
        qtestListener.ReceiveTimeout = 30_000;
        using var qtestSocket = qtestListener.Accept();
        using var qmpSocket = qmpListener.Accept();
        using var qtest = new LineChannel(qtestSocket);
        using var qmp = new LineChannel(qmpSocket);

        var greeting = qmp.ReadLine();
        qmp.WriteLine("{\"execute\":\"qmp_capabilities\"}");
        var negotiated = qmp.ReadLine();
        var endianness = qtest.Command("endianness");
        qtest.Command("outw 0x510 0x0000");
        var signature = qtest.Command("inb 0x511");
        var step = qtest.Command("clock_step 1000000");
        qmp.WriteLine("{\"execute\":\"query-status\"}");
        var status = (JsonObject)JsonNode.Parse(qmp.ReadLine())!;
        qmp.WriteLine("{\"execute\":\"quit\"}");
        var exited = process.WaitForExit(30_000);
        var stdout = process.StandardOutput.ReadToEnd();

        Assert.Multiple(() =>
        {
            Assert.That(greeting, Does.Contain("\"QMP\""));
            Assert.That(negotiated, Does.Contain("\"return\""));
            Assert.That(endianness, Is.EqualTo("OK little"));
            Assert.That(signature, Is.EqualTo("OK 0x0051"), "'Q' of QEMU");
            Assert.That(step, Is.EqualTo("OK 1000000"));
            Assert.That((bool?)status["return"]?["running"], Is.True);
            Assert.That(exited, Is.True);
            Assert.That(process.ExitCode, Is.Zero);
            Assert.That(stdout, Is.Empty, "nothing on stdout in qtest mode");
        });
    }

    [Test]
    public void Sigterm_ExitsZero()
    {
        using var qtestListener = Listen("qtest.sock");
        using var process = Start("-qtest", $"unix:{_dir}/qtest.sock", "-accel", "qtest", "-display", "none");
        using var qtestSocket = qtestListener.Accept();
        using var qtest = new LineChannel(qtestSocket);
        qtest.Command("endianness");

        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        var exited = process.WaitForExit(30_000);

        Assert.Multiple(() =>
        {
            Assert.That(exited, Is.True);
            Assert.That(process.ExitCode, Is.Zero);
        });
    }

    [Test]
    public void StorageDevices_SeenThroughPortsOverQtest()
    {
        var disk = Path.Combine(_dir, "disk.img");
        var virtioDisk = Path.Combine(_dir, "virtio.img");
        File.WriteAllBytes(disk, new byte[1 << 20]);
        File.WriteAllBytes(virtioDisk, new byte[1 << 20]);
        using var qtestListener = Listen("qtest.sock");
        using var process = Start(
            "-qtest", $"unix:{_dir}/qtest.sock", "-accel", "qtest", "-display", "none", "-nodefaults",
            "-drive", $"file={virtioDisk},if=none,id=d0,format=raw", "-device", "virtio-blk-pci,drive=d0,addr=04.0",
            "-drive", $"file={disk},if=ide,format=raw");
        if (!qtestListener.Poll(TimeSpan.FromSeconds(30), SelectMode.SelectRead))
        {
            process.Kill();
            Assert.Fail($"emu-system-x86_64 did not connect: {process.StandardError.ReadToEnd()}");
        }

        using var qtestSocket = qtestListener.Accept();
        using var qtest = new LineChannel(qtestSocket);

        // PCI 00:04.0 through configuration mechanism #1: vendor 1AF4, transitional virtio-blk 1001.
        qtest.Command("outl 0xcf8 0x80002000");
        var virtioId = qtest.Command("inl 0xcfc");

        // The IDE primary master answers IDENTIFY DEVICE: words 27-46 hold the model, byte-swapped.
        qtest.Command("outb 0x1f6 0xa0");
        qtest.Command("outb 0x1f7 0xec");
        var status = qtest.Command("inb 0x1f7");
        var words = Enumerable.Range(0, 256).Select(_ => Convert.ToUInt16(qtest.Command("inw 0x1f0")["OK ".Length..], 16)).ToArray();
        var model = new string(words[27..47].SelectMany(w => new[] { (char)(w >> 8), (char)(w & 0xFF) }).ToArray()).Trim();
        process.Kill();

        Assert.Multiple(() =>
        {
            Assert.That(virtioId, Is.EqualTo("OK 0x10011af4"));
            Assert.That(status, Is.EqualTo("OK 0x0058"), "DRDY, DSC and DRQ: the data is ready (qtest prints at least four digits, as QEMU does)");
            Assert.That(model, Is.EqualTo("QEMU HARDDISK"));
            Assert.That(words[60] | (words[61] << 16), Is.EqualTo(2048), "LBA28 capacity of a 1 MiB disk");
        });
    }

    [TestCase("-foo", "emu-system-x86_64: -foo: invalid option")]
    [TestCase("-machine q35", "emu-system-x86_64: -machine q35: unsupported machine type (this emulator builds 'pc' and 'none')")]
    [TestCase("-accel kvm", "emu-system-x86_64: -accel: no accelerator found (kvm is not available; use tcg or qtest)")]
    [TestCase("-accel qtest,help", "emu-system-x86_64: -accel qtest,help: Property 'qtest-accel.help' not found")]
    [TestCase("-accel foo", "emu-system-x86_64: -accel foo: invalid accelerator foo")]
    [TestCase("-device frob", "emu-system-x86_64: -device frob: 'frob' is not a valid device model name")]
    [TestCase("-device ide-hd,drive=d0", "emu-system-x86_64: -device ide-hd,drive=d0: Property 'ide-hd.drive' can't find value 'd0'")]
    [TestCase("-device virtio-blk-pci", "emu-system-x86_64: -device virtio-blk-pci: drive property not set")]
    [TestCase("-drive file=/nonexistent/x.img,if=none,id=d0,format=raw", "emu-system-x86_64: Could not open '/nonexistent/x.img': No such file or directory")]
    public void BadCommandLine_OneLineErrorStatus1(string args, string message)
    {
        using var process = Start(args.Split(' '));
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit(30_000);

        Assert.Multiple(() =>
        {
            Assert.That(process.ExitCode, Is.EqualTo(1));
            Assert.That(error.TrimEnd(), Is.EqualTo(message));
        });
    }
}
