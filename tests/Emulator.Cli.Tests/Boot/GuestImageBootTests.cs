using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// Real guest images nobody here wrote (../shared/images, see its MANIFEST.md) booted through
/// <c>emu boot</c> to the success text MANIFEST.md gives, with the keystrokes it lists typed once the
/// screen shows each prompt. Writable media are opened with snapshot=on, so the shared files are never
/// written. Output is the streamed screen plus the final screen (<c>--screen-dump</c>); each test
/// reports wall time, guest instructions and virtual time (<c>--stats</c>).
/// </summary>
[Category("Boot")]
[Parallelizable(ParallelScope.Children)]
public class GuestImageBootTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(150);
    private const string Right = "\u001b[C";

    [Test]
    public void SectorLisp_FromFloppy_EvaluatesCar()
    {
        var run = Boot(
            ["--drive", Floppy("sectorlisp/sectorlisp.bin"), "--boot", "a", "--until", "(CAR (QUOTE (A B)))\nA"],
            ("Booting from Floppy...", "(CAR (QUOTE (A B)))\r"));

        Assert.That(run.Status, Is.Zero, run.Describe());
    }

    [Test]
    public void BootOs_FromFloppy_ListsProgramsAndPrintsPi()
    {
        var run = Boot(
            ["--drive", Floppy("bootos/osall.img"), "--boot", "a", "--until", "3.14159265358979323846264338327950288"],
            ("$", "dir\r"),
            ("bootle", "pi\r"));

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain("bootOS"));
            foreach (var program in "fbird pillman invaders basic textmode counter data.bin bootslide atomchess tetranglix snake mine rogue bricks cubicdoom sokoban heart pi bootle".Split(' '))
            {
                Assert.That(run.Output, Does.Contain(program), $"dir lists {program}");
            }
        });
    }

    [Test]
    public void MikeOs_FromFloppy_ReachesPromptAndVer()
    {
        var run = Boot(
            ["--drive", Floppy("mikeos/mikeos.flp"), "--boot", "a", "--until", "> ver\nMikeOS 4.6.1"],
            ("Cancel", Right + "\r"),
            ("VER, EXIT", "ver\r"));

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain("Welcome to MikeOS").And.Contain("Thanks for trying out MikeOS!"));
        });
    }

    [Test]
    public void FreeDos_FromFloppy_ReachesPromptAndVer()
    {
        var run = Boot(
            ["--drive", Floppy("8086tiny/fd.img"), "--boot", "a", "--until", "A:\\>ver"],
            ("A:\\>", "ver\r"));

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain("FreeDOS kernel - SVN (build 2040 OEM:0xfd) [compiled Apr  7 2012]"));
            Assert.That(Regex.Matches(run.Output, Regex.Escape("FreeCom version 0.82 pl 3 XMS_Swap [Dec 10 2003 06:49:21]")), Has.Count.GreaterThanOrEqualTo(2), "ver repeats the FreeCom line");
        });
    }

    [Test]
    public void FreeDos_FromIdeHardDisk_DirShowsFreeSpace()
    {
        var run = Boot(
            ["--drive", $"file={Image("freedos-hdd/fdos-hd8m.img")},if=ide,format=raw,snapshot=on", "--boot", "c", "--until", "6,792,192 bytes free"],
            ("C:\\>", "dir /w\r"));

        AssertFreeDosHardDisk(run);
    }

    [Test]
    public void FreeDos_FromVirtioBlk_DirShowsFreeSpace()
    {
        var run = Boot(
            ["--drive", $"file={Image("freedos-hdd/fdos-hd8m.img")},if=virtio,format=raw,snapshot=on", "--boot", "c", "--until", "6,792,192 bytes free"],
            ("C:\\>", "dir /w\r"));

        AssertFreeDosHardDisk(run);
    }

    [Test]
    public void MikeOs_FromCdFloppyEmulation_ListsFiles()
    {
        var run = Boot(
            ["--cdrom", Image("mikeos/mikeos.iso"), "--boot", "d", "--until", "SAMPLE.PCX"],
            ("Cancel", Right + "\r"),
            ("VER, EXIT", "dir\r"));

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain("KERNEL.BIN").And.Contain("Welcome to MikeOS"));
        });
    }

    [Test]
    public void Grub_FromCdNoEmulation_ReachesPrompt()
    {
        var run = Boot(["--cdrom", Image("grub-iso/grub-rescue.iso"), "--boot", "d", "--until", "grub>"]);

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain("GRUB-BOOT-TEST: GRUB 2.06 normal mode reached"));
            Assert.That(run.Output, Does.Contain("(cd)"), "ls found the CD");
            Assert.That(run.Output, Does.Contain("GNU GRUB  version 2.06-13+deb12u2"));
        });
    }

    private static void AssertFreeDosHardDisk(BootRun run) => Assert.Multiple(() =>
    {
        Assert.That(run.Status, Is.Zero, run.Describe());
        Assert.That(run.Output, Does.Contain("C: HD1, Pri[ 1], CHS=    0-1-1, start=     0 MB, size=     7 MB"));
        Assert.That(run.Output, Does.Not.Contain("suspect partition"));
        Assert.That(run.Output, Does.Contain("KERNEL.SYS").And.Contain("COMMAND.COM").And.Contain("AUTOEXEC.BAT").And.Contain("APPINFO.TGZ"));
    });

    internal static string Image(string relative) =>
        SharedFolder.Find(["images", .. relative.Split('/')]) is { } path
            ? path
            : throw new IgnoreException($"guest image shared/images/{relative} not found beside the repository");

    internal static string Floppy(string relative) => $"file={Image(relative)},if=floppy,format=raw,snapshot=on";

    internal static BootRun Boot(string[] args, params (string WaitFor, string Keys)[] steps)
    {
        var log = new ScreenLog();
        var error = new StringWriter();
        var input = new ScriptedKeyboard(log, StepTimeout, steps);
        var wall = Stopwatch.StartNew();
        var status = EmuCommand.Run(["boot", "--timeout", "240", "--stats", "--screen-dump", "--rtc-base", "2026-01-01T00:00:00", .. args], input, log, error);
        var run = new BootRun(status, log.ToString(), error.ToString(), wall.Elapsed);
        TestContext.Out.WriteLine($"{TestContext.CurrentContext.Test.Name}: {run.Stats}");
        return run;
    }

    internal sealed record BootRun(int Status, string Output, string Error, TimeSpan Wall)
    {
        public string Stats => Error.Split('\n').FirstOrDefault(l => l.Contains("stats:"))?.Trim() ?? $"no stats ({Wall.TotalSeconds:0.0} s)";

        public string Describe() => $"exit {Status}; {Error}\n--- output ---\n{Output[Math.Max(0, Output.Length - 3000)..]}";
    }
}
