using System.Diagnostics;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// The Linux storage self-test guest (../shared/images/linux-selftest, see its README): Debian's i386
/// kernel boots from the CD through ISOLINUX and its own ata_piix, sd, sr, virtio_blk and floppy drivers
/// read every device end to end against sums built into the ISO, then leave through isa-debug-exit with
/// 0 (status 1). The disks come from the guest's gen-disks.py, written into a temporary folder. Minutes
/// of guest CPU time: run once, on its own (<c>dotnet test --filter Category=SlowBoot</c>; CI does).
/// The whole boot (17.4 G instructions) runs through the translating tier in CI (110 s in a Debug build);
/// on the interpreter alone it takes 610–660 s (Debug or Release alike), so that run is on demand
/// (SlowBootManual); the isohybrid test below still has the interpreter start the kernel in CI.
/// </summary>
[Explicit("a Linux boot: minutes of guest code")]
public class LinuxSelftestBootTests
{
    private const int PassStatus = 1;

    /// <summary>The self-test ISO in ../shared (read it, never write it).</summary>
    internal static string IsoPath => GuestImageBootTests.Image("linux-selftest/linux-selftest-basic.iso");

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-linux-selftest-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("jit", Category = "SlowBoot")]
    [TestCase("interp", Category = "SlowBootManual")]
    public void LinuxSelftest_FromCd_KernelDriversPassOnEveryDevice(string cpu)
    {
        var iso = IsoPath;
        GenerateDisks(_dir);
        string Disk(string name) => Path.Combine(_dir, name);

        var run = GuestImageBootTests.Boot(
        [
            "--cpu", cpu, "--timeout", "1500", "--memory", "256M", "--boot", "d",
            "--cdrom", iso,
            "--hda", Disk("sda.img"), "--hdb", Disk("sdb.img"),
            "--drive", $"file={Disk("vda.img")},if=virtio", "--drive", $"file={Disk("vdb.img")},if=virtio",
            "--fda", Disk("fd.img"),
        ]);

        Assert.Multiple(() =>
        {
            Assert.That(run.Output, Does.Contain("SELFTEST: RESULT PASS 6/6"), run.Describe());
            Assert.That(run.Status, Is.EqualTo(PassStatus), "isa-debug-exit with 0: QEMU's (0 << 1) | 1");
        });
    }

    [Test]
    [Category("SlowBoot")]
    public void LinuxSelftest_IsohybridAsHardDisk_IsolinuxLoadsKernelThroughBiosDisk()
    {
        // A copy made isohybrid (syslinux-utils): its MBR chains to ISOLINUX, which then reads the kernel through INT 13h on drive 80h.
        var iso = Path.Combine(_dir, "hybrid.iso");
        File.Copy(IsoPath, iso);
        File.SetAttributes(iso, FileAttributes.Normal);
        RunTool("isohybrid", "syslinux-utils", iso);

        var run = GuestImageBootTests.Boot(
            ["--timeout", "600", "--memory", "256M", "--boot", "c", "--drive", $"file={iso},if=ide,format=raw", "--until", "Linux version 6.1.0-50-686"]);

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain("ISOLINUX 6.04 20200816 EHDD"), "ISOLINUX started from the hard disk");
            Assert.That(run.Output, Does.Contain("Loading /isolinux/initrd.gz...ok"));
        });
    }

    /// <summary>Writes the disks the ISO expects (the guest's gen-disks.py) into <paramref name="dir"/>.</summary>
    internal static void GenerateDisks(string dir) =>
        RunTool("python3", "python3", Path.Combine(Path.GetDirectoryName(IsoPath)!, "gen-disks.py"), dir);

    /// <summary>Runs a Debian tool; fails the test with the package to install when it is missing or fails.</summary>
    internal static void RunTool(string tool, string package, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"{tool} is needed (Debian package {package}): {e.Message}");
            return;
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.That(process.ExitCode, Is.Zero, $"{tool} {string.Join(' ', args)} failed: {error}{output.Result}");
        }
    }
}
