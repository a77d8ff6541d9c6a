using System.Text.Json.Nodes;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// The machine-wide QEMU options (-smp, -cpu, -bios, -L, -vga, -display, -audio, -k, -name, -msg, -trace,
/// -nodefaults, -no-shutdown, -drive aio=/detect-zeroes=): each has its effect or is refused, compared with
/// the shared reference QEMU on the same command line wherever QEMU has the same answer.
/// </summary>
public class PlatformOptionTests
{
    private const string OurPrefix = "emu-system-x86_64: ";
    private const int DiskBytes = 1 << 20;
    private const string Disk = "{disk}";

    /// <summary>COM1's line status register (16550 LSR) and the VGA's miscellaneous output read port: absent devices read all ones.</summary>
    private const ushort Com1LineStatus = 0x3FD;
    private const ushort VgaMiscOutputRead = 0x3CC;
    private const byte Floating = 0xFF;

    /// <summary>PIIX4 PM (00:01.3): PMBA (40h) and PMREGMISC (80h) in configuration space; PM1a control at PMBA + 4, SLP_EN with type 0 is soft-off on QEMU's pc.</summary>
    private const uint PmConfig = 0x8000_0B00;
    private const uint PmBase = 0x600;
    private const ushort Pm1Control = 0x604;
    private const ushort SleepEnable = 0x2000;

    private const uint VirtioBlkId = 0x1001_1AF4;

    private static readonly string[] QemuPrefixes = ["qemu-ref-bin: ", "qemu: "];

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-options-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("-smp", "foo")]
    [TestCase("-smp", "2,foo=1")]
    [TestCase("-smp", "1,sockets=2")]
    [TestCase("-smp", "2,maxcpus=1")]
    [TestCase("-machine", "none", "-smp", "2")]
    [TestCase("-cpu", "foo")]
    [TestCase("-cpu", "host")]
    [TestCase("-bios", "no-such-bios.bin")]
    [TestCase("-bios", "/etc/passwd")]
    [TestCase("-vga", "foo")]
    [TestCase("-vga", "qxl")]
    [TestCase("-display", "sdl")]
    [TestCase("-display", "vnc=:5")]
    [TestCase("-audio", "alsa")]
    [TestCase("-audio", "none")]
    [TestCase("-audio", "driver=none")]
    [TestCase("-audio", "driver=none,model=foo")]
    [TestCase("-name", "guest1,bar=1")]
    [TestCase("-msg", "foo=on")]
    [TestCase("-run-with", "chroot=/")]
    [TestCase("-drive", "file={disk},format=raw,aio=native")]
    [TestCase("-drive", "file={disk},format=raw,aio=native,cache=none")]
    [TestCase("-drive", "file={disk},format=raw,aio=io_uring")]
    [TestCase("-drive", "file={disk},format=raw,detect-zeroes=foo")]
    [TestCase("-blockdev", "driver=file,filename={disk},node-name=f0,locking=off,aio=native")]
    [TestCase("-blockdev", "driver=file,filename={disk},node-name=f0,locking=off,aio=io_uring")]
    [TestCase("-blockdev", "driver=file,filename={disk},node-name=f0,locking=off,detect-zeroes=foo")]
    [TestCase("-blockdev", "driver=file,filename={disk},node-name=f0,locking=off,detect-zeroes=unmap")]
    public void Option_Refused_SameMessageAsReferenceQemu(params string[] option)
    {
        var args = Arguments(option);

        var (ours, qemu) = BothRefusals(args);

        Assert.That(ours, Is.EqualTo(qemu).And.Not.Empty);
    }

    [TestCase("-smp", "1")]
    [TestCase("-smp", "cpus=1,sockets=1,cores=1,threads=1")]
    [TestCase("-cpu", "max")]
    [TestCase("-vga", "std")]
    [TestCase("-vga", "none")]
    [TestCase("-name", "guest1")]
    [TestCase("-msg", "timestamp=on")]
    [TestCase("-no-shutdown")]
    [TestCase("-drive", "file={disk},format=raw,aio=threads,detect-zeroes=unmap,discard=unmap,file.locking=off")]
    [TestCase("-blockdev", "driver=file,filename={disk},node-name=f0,locking=off,aio=threads,discard=unmap,detect-zeroes=unmap")]
    public void Option_Accepted_AsReferenceQemuAcceptsIt(params string[] option)
    {
        var (ours, qemu) = BothRefusals(Arguments(option));

        Assert.Multiple(() =>
        {
            Assert.That(qemu, Is.Empty, "the reference QEMU refused it");
            Assert.That(ours, Is.Empty);
        });
    }

    [TestCase("2", "2")]
    [TestCase("sockets=2,cores=2", "4")]
    [TestCase("300", "300")]
    public void Smp_MoreThanOneCpu_RefusedWithQemusMaximumMessage(string value, string count)
    {
        var ours = Refusal(Launcher.Path(), Arguments(["-smp", value]), [OurPrefix]);

        Assert.That(ours, Is.EqualTo($"Invalid SMP CPUs {count}. The max CPUs supported by machine 'pc-i440fx-7.2' is 1"));
    }

    [TestCase("qemu64")]
    [TestCase("pentium2-v1")]
    [TestCase("max,+sse2")]
    public void Cpu_ModelNotEmulated_RefusedNamingMax(string value)
    {
        var ours = Refusal(Launcher.Path(), Arguments(["-cpu", value]), [OurPrefix]);

        Assert.That(ours, Does.StartWith($"-cpu {value}: ").And.Contain("'max'"));
    }

    [Test]
    public void CpuHelp_ListsMax()
    {
        using var process = Launcher.Start("-cpu", "help");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.That(output, Does.StartWith("Available CPUs:").And.Contain("x86 max "));
    }

    [Test]
    public void KeyboardLayout_NoVncDisplay_Refused()
    {
        var ours = Refusal(Launcher.Path(), Arguments(["-k", "de"]), [OurPrefix]);

        Assert.That(ours, Is.EqualTo("-k de: keyboard layouts apply to a VNC display, and VNC support is disabled"));
    }

    [Test]
    public void Trace_UnknownEvent_WarnsAsQemuAndRuns()
    {
        using var process = Launcher.Start(Arguments(["-trace", "ide_*"]));
        var line = process.StandardError.ReadLine();
        process.Kill();
        process.WaitForExit();

        Assert.That(line, Is.EqualTo($"{OurPrefix}-trace ide_*: warning: trace event 'ide_*' does not exist"));
    }

    [Test]
    public void MsgTimestamp_Error_StartsWithUtcTime()
    {
        var error = Refusal(Launcher.Path(), Arguments(["-msg", "timestamp=on", "-smp", "foo"]), []);

        Assert.That(error, Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z emu-system-x86_64: Parameter 'smp.cpus' expects integer$"));
    }

    [Test]
    public void Name_QueryName_AnswersIt()
    {
        var socket = Path.Combine(_dir, "qmp.sock");
        using var machine = new QtestMachine(_dir, "-name", "guest=vm1,debug-threads=on", "-qmp", $"unix:{socket},server=on,wait=off");
        using var qmp = QmpLineClient.Connect(socket);
        qmp.Execute("qmp_capabilities");

        var name = qmp.Execute("query-name")["return"]!["name"];

        Assert.That((string?)name, Is.EqualTo("vm1"));
    }

    [TestCase(false, "")]
    [TestCase(true, "")]
    [TestCase(false, "-vga none")]
    [TestCase(true, "-vga std")]
    [TestCase(false, "-serial none")]
    [TestCase(true, "-serial null")]
    [TestCase(true, "-nographic")]
    public void DefaultDevices_Com1AndVgaPresent_AsReferenceQemu(bool noDefaults, string options)
    {
        var args = options.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string Probe(string binary)
        {
            using var machine = new QtestMachine(binary, _dir, args, noDefaults);
            var com1 = machine.Qtest.Value($"inb 0x{Com1LineStatus:x}") != Floating;
            var vga = machine.Qtest.Value($"inb 0x{VgaMiscOutputRead:x}") != Floating;
            return $"COM1 {com1}, VGA {vga}";
        }

        var ours = Probe(Launcher.Path());
        var qemu = Probe(Reference());

        Assert.That(ours, Is.EqualTo(qemu));
    }

    [TestCase(false, "")]
    [TestCase(true, "")]
    [TestCase(false, "-vga none")]
    [TestCase(true, "-vga std")]
    public void VirtioDriveWithoutAddress_Slot_AsReferenceQemu(bool noDefaults, string options)
    {
        var disk = CreateDisk();
        string[] args = [.. options.Split(' ', StringSplitOptions.RemoveEmptyEntries), "-drive", $"file={disk},format=raw,if=virtio,file.locking=off"];
        int Slot(string binary)
        {
            using var machine = new QtestMachine(binary, _dir, args, noDefaults);
            return Enumerable.Range(0, 32).First(slot =>
            {
                machine.Qtest.Command($"outl 0xcf8 0x{0x8000_0000u | (uint)(slot << 11):x}");
                return machine.Qtest.Value("inl 0xcfc") == VirtioBlkId;
            });
        }

        Assert.That(Slot(Launcher.Path()), Is.EqualTo(Slot(Reference())));
    }

    [Test]
    public void NoShutdown_GuestPowersOff_SameEventsAndStatesAsReferenceQemu()
    {
        var ours = PowerOffTranscript(Launcher.Path());
        var qemu = PowerOffTranscript(Reference());

        Assert.That(ours, Is.EqualTo(qemu));
    }

    [Test]
    public void NoShutdown_GuestPowersOff_StopsInsteadOfExiting()
    {
        var transcript = PowerOffTranscript(Launcher.Path());

        Assert.That(transcript, Is.EqualTo(new[]
        {
            "SHUTDOWN {\"guest\":true,\"reason\":\"guest-shutdown\"}", "STOP", "shutdown",
            "cont: Resetting the Virtual Machine is required", "RESET {\"guest\":false,\"reason\":\"host-qmp-system-reset\"}",
            "prelaunch", "RESUME", "running",
        }));
    }

    [Test]
    public void Bios_RomFile_RunsInsteadOfBuiltInBios_AsReferenceQemu()
    {
        var rom = Path.Combine(_dir, "rom.bin");
        File.WriteAllBytes(rom, BiosRoms.SerialThenExit('B', 0x21));

        var ours = RunRom(Launcher.Path(), rom);
        var qemu = RunRom(Reference(), rom);

        Assert.Multiple(() =>
        {
            Assert.That(ours, Is.EqualTo(("B", (0x21 << 1) | 1)));
            Assert.That(ours, Is.EqualTo(qemu));
        });
    }

    [Test]
    public void Bios_FoundThroughDataDirectory_Runs()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, "firmware")).FullName;
        File.WriteAllBytes(Path.Combine(dir, "rom.bin"), BiosRoms.SerialThenExit('L', 0x11));

        var ours = RunRom(Launcher.Path(), "rom.bin", "-L", dir);

        Assert.That(ours, Is.EqualTo(("L", (0x11 << 1) | 1)));
    }

    /// <summary>A guest power-off under -no-shutdown, then cont, system_reset and cont, as QMP sees them.</summary>
    private List<string> PowerOffTranscript(string binary)
    {
        var socket = Path.Combine(_dir, $"qmp-{Path.GetFileName(binary)}.sock");
        using var machine = new QtestMachine(binary, _dir, ["-no-shutdown", "-qmp", $"unix:{socket},server=on,wait=off"]);
        using var qmp = QmpLineClient.Connect(socket);
        qmp.Execute("qmp_capabilities");
        var transcript = new List<string>();
        string Event(string name) => qmp.WaitForEvent(name)["data"] is JsonObject data ? $"{name} {data.ToJsonString()}" : name;
        string Status() => (string)qmp.Execute("query-status")["return"]!["status"]!;

        machine.Qtest.Command($"outl 0xcf8 0x{PmConfig | 0x40:x}");
        machine.Qtest.Command($"outl 0xcfc 0x{PmBase | 1:x}");
        machine.Qtest.Command($"outl 0xcf8 0x{PmConfig | 0x80:x}");
        machine.Qtest.Command("outb 0xcfc 0x1");
        machine.Qtest.Command($"outw 0x{Pm1Control:x} 0x{SleepEnable:x}");
        transcript.Add(Event("SHUTDOWN"));
        transcript.Add(Event("STOP"));
        transcript.Add(Status());
        transcript.Add($"cont: {qmp.Execute("cont")["error"]?["desc"]}");
        qmp.Execute("system_reset");
        transcript.Add(Event("RESET"));
        transcript.Add(Status());
        qmp.Execute("cont");
        transcript.Add(Event("RESUME"));
        transcript.Add(Status());
        return transcript;
    }

    private static (string Serial, int Status) RunRom(string binary, string rom, params string[] extra)
    {
        using var process = Launcher.StartBinary(binary, ["-display", "none", "-serial", "stdio", "-accel", "tcg", "-device", "isa-debug-exit", "-bios", rom, .. extra]);
        var serial = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            Assert.Fail($"{binary} did not exit");
        }

        return (serial.Result, process.ExitCode);
    }

    private static string Reference()
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");
        return reference!;
    }

    private string CreateDisk()
    {
        var disk = Path.Combine(_dir, "d.img");
        File.WriteAllBytes(disk, new byte[DiskBytes]);
        return disk;
    }

    private string[] Arguments(string[] option)
    {
        var disk = CreateDisk();
        return ["-machine", "pc", "-accel", "qtest", "-display", "none", .. option.Select(o => o.Replace(Disk, disk, StringComparison.Ordinal))];
    }

    /// <summary>Runs ours and the reference at once; each answer is the first error line without the program's name, or empty when it started.</summary>
    private static (string Ours, string Qemu) BothRefusals(string[] args)
    {
        var reference = Reference();
        var ours = Task.Run(() => Refusal(Launcher.Path(), args, [OurPrefix]));
        var qemu = Task.Run(() => Refusal(reference, args, QemuPrefixes));
        return (ours.Result, qemu.Result);
    }

    private static string Refusal(string binary, string[] args, string[] prefixes)
    {
        using var process = Launcher.StartBinary(binary, args);
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(4_000))
        {
            process.Kill();
            process.WaitForExit();
            return string.Empty;
        }

        var line = error.Result.Split('\n')[0].Trim();
        var prefix = prefixes.FirstOrDefault(p => line.StartsWith(p, StringComparison.Ordinal));
        return prefix is null ? line : line[prefix.Length..];
    }
}
