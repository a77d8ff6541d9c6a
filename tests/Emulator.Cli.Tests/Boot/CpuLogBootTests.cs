using Emulator.Cli.Tests.QemuSystem;

namespace Emulator.Cli.Tests.Boot;

/// <summary><c>emu boot --cpu-log FILE --no-reboot</c>: each processor exception and the shutdown are logged with the instruction.</summary>
public class CpuLogBootTests
{
    private const int FloppyBytes = 1_474_560;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-cpulog-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void CpuLog_GuestTripleFaults_LogsEachStepAndNoRebootEndsRun()
    {
        var floppy = Path.Combine(_dir, "t.img");
        var log = Path.Combine(_dir, "cpu.log");
        var image = new byte[FloppyBytes];
        BootSectors.SerialThenTripleFault('T').CopyTo(image, 0);
        File.WriteAllBytes(floppy, image);
        var output = new StringWriter();
        var error = new StringWriter();

        var status = EmuCommand.Run(["boot", "--fda", floppy, "--boot", "a", "--no-reboot", "--cpu-log", log, "--timeout", "60"],
            new StringReader(string.Empty), output, error);

        var lines = File.ReadAllLines(log);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.Zero, error.ToString());
            // #UD is benign: the #GP its empty vector raises is delivered serially (Intel SDM table 6-5, QEMU's
            // check_exception); that #GP's own #GP makes the double fault, whose delivery fault shuts down.
            Assert.That(lines, Has.Length.EqualTo(3));
            Assert.That(lines[0], Does.Match(@"^#UD at 0000:00007C\w\w .* -> superseded  \[ud2\]$"));
            Assert.That(lines[1], Does.Match(@"^#GP\(0032\) at 0000:00007C\w\w .* -> shutdown  \[ud2\]$"));
            Assert.That(lines[2], Is.EqualTo("cpu reset: shutdown (triple fault)"));
        });
    }

    [Test]
    public void CpuLog_UnwritablePath_NamesOptionAndFails()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var status = EmuCommand.Run(["boot", "--cpu-log", Path.Combine(_dir, "missing", "cpu.log")], new StringReader(string.Empty), output, error);

        Assert.That(status, Is.EqualTo(1));
        Assert.That(error.ToString(), Does.StartWith("emu boot: --cpu-log: "));
    }
}
