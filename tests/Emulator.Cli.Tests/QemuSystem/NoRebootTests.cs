namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>-no-reboot: a guest that resets itself ends the emulator with status 0 instead of booting again, as QEMU does.</summary>
public class NoRebootTests
{
    private const string DebianQemu = "/usr/bin/qemu-system-x86_64";
    private const int FloppyBytes = 1_474_560;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-noreboot-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void NoReboot_GuestResets_ExitsZeroAfterOneBoot()
    {
        var ours = Run(Launcher.Path());

        Assert.That(ours, Is.EqualTo(("R", 0)));
    }

    [Test]
    public void NoReboot_GuestResets_SameAsQemu()
    {
        Assume.That(File.Exists(DebianQemu), Is.True, "qemu-system-x86_64 is not installed; the comparison needs it");

        Assert.That(Run(Launcher.Path()), Is.EqualTo(Run(DebianQemu)));
    }

    private (string Serial, int Status) Run(string binary)
    {
        var floppy = Path.Combine(_dir, "r.img");
        var image = new byte[FloppyBytes];
        BootSectors.SerialThenReset('R').CopyTo(image, 0);
        File.WriteAllBytes(floppy, image);
        using var process = Launcher.StartBinary(binary, "-display", "none", "-serial", "stdio", "-no-reboot",
            "-drive", $"file={floppy},if=floppy,format=raw,snapshot=on", "-boot", "a");
        var serial = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            Assert.Fail($"{binary} did not exit");
        }

        return (serial.Result, process.ExitCode);
    }
}
