using System.Diagnostics;
using System.Text.Json.Nodes;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// Every way out of <c>emu boot</c> keeps what the guest wrote: a boot sector (assembled here) on a qcow2
/// disk writes one sector with INT 13h AH=43h (ATA WRITE SECTORS underneath, no FLUSH), says "WROTE" on
/// COM1 and then waits or exits; the run ends by a signal, --until, --timeout, isa-debug-exit or QMP quit.
/// Afterwards qemu-img check finds the image clean and qemu-img reads the sector back.
/// </summary>
public class BootExitPathTests
{
    private const ushort Origin = 0x7C00;
    private const ushort Buffer = 0x1000;
    private const ushort Packet = 0x0700;
    private const ushort Com1 = 0x3F8;
    private const ushort DebugExitPort = 0x501;
    private const string Ready = "WROTE";
    private const int SignalStatusBase = 128;

    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        QemuTools.Require();
        _dir = Directory.CreateTempSubdirectory("emu-boot-exit-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("TERM", 15)]
    [TestCase("INT", 2)]
    [TestCase("HUP", 1)]
    public void Signal_AfterAcknowledgedWrite_ImageCleanAndWriteKept(string signal, int number)
    {
        var disk = ExitImage.Create(_dir, BootSector(exitAfterWrite: false));
        using var process = Start("--hda", disk);
        WaitForReady(process);

        Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        Assert.That(process.WaitForExit(60_000), Is.True, "emu boot ended after the signal");

        AssertKept(disk, process.ExitCode, SignalStatusBase + number);
    }

    [Test]
    public void Until_TextOnSerial_ImageCleanAndWriteKept()
    {
        var disk = ExitImage.Create(_dir, BootSector(exitAfterWrite: false));

        var status = RunInProcess("--hda", disk, "--until", Ready, "--timeout", "60");

        AssertKept(disk, status, 0);
    }

    [Test]
    public void Timeout_GuestStillRunning_ImageCleanAndWriteKept()
    {
        var disk = ExitImage.Create(_dir, BootSector(exitAfterWrite: false));

        var status = RunInProcess("--hda", disk, "--timeout", "5");

        AssertKept(disk, status, 124);
    }

    [Test]
    public void DebugExit_RightAfterWrite_ImageCleanAndWriteKept()
    {
        var disk = ExitImage.Create(_dir, BootSector(exitAfterWrite: true));

        var status = RunInProcess("--hda", disk, "--timeout", "60");

        AssertKept(disk, status, 1);
    }

    [Test]
    public void QmpQuit_AfterAcknowledgedWrite_ImageCleanAndWriteKept()
    {
        var disk = ExitImage.Create(_dir, BootSector(exitAfterWrite: false));
        var socket = Path.Combine(_dir, "qmp.sock");
        using var process = Start("--hda", disk, "--qmp", $"unix:{socket}");
        WaitForReady(process);
        using (var qmp = QmpLineClient.Connect(socket))
        {
            qmp.Execute("qmp_capabilities");
            qmp.Execute("quit", new JsonObject());
        }

        Assert.That(process.WaitForExit(60_000), Is.True, "emu boot ended after quit");

        AssertKept(disk, process.ExitCode, 0);
    }

    private static void AssertKept(string disk, int status, int expectedStatus)
    {
        var (check, report) = ExitImage.Check(disk);
        var sector = ExitImage.WrittenSector(disk);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(expectedStatus));
            Assert.That(check, Is.Zero, report);
            Assert.That(sector.Distinct(), Is.EqualTo(new[] { ExitImage.Fill }), "the acknowledged write is on disk");
        });
    }

    private static int RunInProcess(params string[] args) =>
        EmuCommand.Run(["boot", .. args], new StringReader(string.Empty), new StringWriter(), new StringWriter());

    /// <summary>emu boot as its own process (this test assembly carries emu.dll), stdout read for "WROTE".</summary>
    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "emu.dll"), "boot", .. args, "--timeout", "120"])
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private static void WaitForReady(Process process)
    {
        var seen = new System.Text.StringBuilder();
        var reader = process.StandardOutput;
        var buffer = new char[256];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!seen.ToString().Contains(Ready, StringComparison.Ordinal))
        {
            var read = reader.ReadAsync(buffer, 0, buffer.Length);
            if (!read.Wait(deadline - DateTime.UtcNow) || read.Result == 0)
            {
                process.Kill();
                Assert.Fail($"the guest never reported its write: {seen} {process.StandardError.ReadToEnd()}");
            }

            seen.Append(buffer, 0, read.Result);
        }

        // Keep draining stdout so the emulator never blocks on a full pipe.
        _ = reader.ReadToEndAsync();
    }

    /// <summary>Fills a buffer, writes it to LBA 200 of drive 80h with AH=43h, prints "WROTE" on COM1, then halts forever or exits through isa-debug-exit.</summary>
    private static byte[] BootSector(bool exitAfterWrite)
    {
        var a = new Assembler(16);
        var failed = a.CreateLabel();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, Origin);
        a.sti();
        a.cld();
        a.mov(di, Buffer);
        a.mov(cx, ExitImage.Sector);
        a.mov(al, ExitImage.Fill);
        a.rep.stosb();
        a.mov(__word_ptr[Packet], 0x0010);
        a.mov(__word_ptr[Packet + 2], 1);
        a.mov(__word_ptr[Packet + 4], Buffer);
        a.mov(__word_ptr[Packet + 6], 0);
        a.mov(__dword_ptr[Packet + 8], ExitImage.WrittenLba);
        a.mov(__dword_ptr[Packet + 12], 0);
        a.mov(si, Packet);
        a.mov(ax, 0x4300);
        a.mov(dl, 0x80);
        a.@int(0x13);
        a.jc(failed);
        a.mov(dx, Com1);
        foreach (var c in Ready + "\n")
        {
            a.mov(al, (byte)c);
            a.@out(dx, al);
        }

        if (exitAfterWrite)
        {
            a.mov(dx, DebugExitPort);
            a.mov(al, 0);
            a.@out(dx, al);
        }

        var wait = a.CreateLabel();
        a.Label(ref wait);
        a.hlt();
        a.jmp(wait);
        a.Label(ref failed);
        a.mov(dx, DebugExitPort);
        a.mov(al, 0x7F);
        a.@out(dx, al);
        a.jmp(wait);

        return QemuSystem.BootSectors.Sector(a);
    }
}
