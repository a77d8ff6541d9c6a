using System.Diagnostics;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// The Linux storage self-test guest (../shared/images/linux-selftest, see its README): Debian's i386
/// kernel boots from the CD through ISOLINUX and its own ata_piix, sd, sr, virtio_blk and floppy drivers
/// read every device end to end against sums built into the ISO, then leave through isa-debug-exit with
/// 0 (status 1). The disks come from the guest's gen-disks.py, written into a temporary folder. Minutes
/// of guest CPU time: run once, on its own (<c>dotnet test --filter Category=SlowBoot</c>; CI does).
/// </summary>
[Explicit("a Linux boot: minutes of interpreted guest code")]
[Category("SlowBoot")]
public class LinuxSelftestBootTests
{
    private const int PassStatus = 1;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-linux-selftest-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void LinuxSelftest_FromCd_KernelDriversPassOnEveryDevice()
    {
        var iso = GuestImageBootTests.Image("linux-selftest/linux-selftest-basic.iso");
        GenerateDisks(Path.Combine(Path.GetDirectoryName(iso)!, "gen-disks.py"));
        string Disk(string name) => Path.Combine(_dir, name);

        var run = GuestImageBootTests.Boot(
        [
            "--timeout", "1500", "--memory", "256M", "--boot", "d",
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

    private void GenerateDisks(string script)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(_dir);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"gen-disks.py failed: {error}{output.Result}");
    }
}
