using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// Every way out of <c>emu system</c> keeps what the guest wrote: over qtest, ATA WRITE SECTORS (PIO,
/// completed, no FLUSH CACHE) puts one sector into a qcow2 disk; then a signal or QMP quit ends the
/// run. qemu-img check must find the image clean and qemu-img must read the sector back, as with QEMU.
/// </summary>
public class SystemExitPathTests
{
    /// <summary>Primary channel task file (ATA-6 section 7) and the commands used.</summary>
    private const ushort Data = 0x1F0;
    private const ushort SectorCount = 0x1F2;
    private const ushort LbaLow = 0x1F3;
    private const ushort LbaMid = 0x1F4;
    private const ushort LbaHigh = 0x1F5;
    private const ushort DriveHead = 0x1F6;
    private const ushort CommandStatus = 0x1F7;
    private const byte LbaMaster = 0xE0;
    private const byte WriteSectors = 0x30;
    private const uint Busy = 0x80;
    private const uint DataRequest = 0x08;
    private const uint Error = 0x01;
    private static readonly TimeSpan PollTime = TimeSpan.FromSeconds(20);

    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        QemuTools.Require();
        _dir = Directory.CreateTempSubdirectory("emu-system-exit-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("TERM")]
    [TestCase("INT")]
    [TestCase("HUP")]
    public void Signal_AfterAcknowledgedWrite_ImageCleanAndWriteKept(string signal)
    {
        var disk = ExitImage.Create(_dir, new byte[ExitImage.Sector]);
        using var listener = Listen("qtest.sock");
        using var process = Launcher.Start(
            "-qtest", $"unix:{_dir}/qtest.sock", "-accel", "qtest", "-display", "none", "-nodefaults",
            "-drive", $"file={disk},if=ide,format=qcow2");
        var status = WriteThenEnd(listener, process, () =>
            Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit());

        AssertKept(disk, process, status);
    }

    [Test]
    public void QmpQuit_AfterAcknowledgedWrite_ImageCleanAndWriteKept()
    {
        var disk = ExitImage.Create(_dir, new byte[ExitImage.Sector]);
        using var listener = Listen("qtest.sock");
        var qmpSocket = Path.Combine(_dir, "qmp.sock");
        using var process = Launcher.Start(
            "-qtest", $"unix:{_dir}/qtest.sock", "-accel", "qtest", "-display", "none", "-nodefaults",
            "-drive", $"file={disk},if=ide,format=qcow2", "-qmp", $"unix:{qmpSocket},server=on,wait=off");
        var status = WriteThenEnd(listener, process, () =>
        {
            using var qmp = QmpLineClient.Connect(qmpSocket);
            qmp.Execute("qmp_capabilities");
            qmp.Execute("quit", new JsonObject());
        });

        AssertKept(disk, process, status);
    }

    private static void AssertKept(string disk, Process process, uint status)
    {
        var (check, report) = ExitImage.Check(disk);
        var sector = ExitImage.WrittenSector(disk);

        Assert.Multiple(() =>
        {
            Assert.That(status & (Busy | Error), Is.Zero, "WRITE SECTORS completed without error before the end");
            Assert.That(process.ExitCode, Is.Zero, "QEMU exits 0 on quit and on a terminating signal");
            Assert.That(check, Is.Zero, report);
            Assert.That(sector.Distinct(), Is.EqualTo(new[] { ExitImage.Fill }), "the acknowledged write is on disk");
        });
    }

    /// <summary>Writes LBA 200 by PIO, waits for the command to complete, runs <paramref name="end"/>, waits for the exit; returns the final status register.</summary>
    private static uint WriteThenEnd(Socket listener, Process process, Action end)
    {
        if (!listener.Poll(TimeSpan.FromSeconds(30), SelectMode.SelectRead))
        {
            process.Kill();
            Assert.Fail($"emu-system-x86_64 did not connect: {process.StandardError.ReadToEnd()}");
        }

        using var socket = listener.Accept();
        using var qtest = new LineChannel(socket);
        qtest.Command($"outb 0x{DriveHead:x} 0x{LbaMaster:x}");
        qtest.Command($"outb 0x{SectorCount:x} 1");
        qtest.Command($"outb 0x{LbaLow:x} 0x{ExitImage.WrittenLba & 0xFF:x}");
        qtest.Command($"outb 0x{LbaMid:x} 0x{(ExitImage.WrittenLba >> 8) & 0xFF:x}");
        qtest.Command($"outb 0x{LbaHigh:x} 0x{(ExitImage.WrittenLba >> 16) & 0xFF:x}");
        qtest.Command($"outb 0x{CommandStatus:x} 0x{WriteSectors:x}");
        Poll(qtest, s => (s & (Busy | DataRequest)) == DataRequest);
        var word = (ExitImage.Fill << 8) | ExitImage.Fill;
        for (var i = 0; i < ExitImage.Sector / 2; i++)
        {
            qtest.Command($"outw 0x{Data:x} 0x{word:x}");
        }

        var status = Poll(qtest, s => (s & (Busy | DataRequest)) == 0);
        end();
        Assert.That(process.WaitForExit(60_000), Is.True, "emu-system-x86_64 ended");
        return status;
    }

    private static uint Poll(LineChannel qtest, Func<uint, bool> done)
    {
        // The write runs on an I/O thread: wall time must pass too, not just virtual time.
        var deadline = DateTime.UtcNow + PollTime;
        while (DateTime.UtcNow < deadline)
        {
            var status = qtest.Value($"inb 0x{CommandStatus:x}");
            if (done(status))
            {
                return status;
            }

            qtest.Command("clock_step 100000");
            Thread.Sleep(1);
        }

        return qtest.Value($"inb 0x{CommandStatus:x}");
    }

    private Socket Listen(string name)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_dir, name)));
        socket.Listen(1);
        return socket;
    }
}
