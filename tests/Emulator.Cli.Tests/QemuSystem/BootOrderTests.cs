using System.Diagnostics;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// <c>-boot</c> chooses what boots, as on QEMU's pc machine: the same floppy, hard disk and CD images
/// (each boot sector writes its own letter to COM1 and leaves through isa-debug-exit) are booted by
/// emu-system-x86_64 and by the installed Debian qemu-system-x86_64 with the same command line.
/// </summary>
public class BootOrderTests
{
    private const string DebianQemu = "/usr/bin/qemu-system-x86_64";
    private const string Genisoimage = "/usr/bin/genisoimage";
    private const int FloppyBytes = 1_474_560;
    private const int DiskBytes = 1 << 20;
    private const byte ExitValue = 0x10;
    private const int SignatureOffset = 510;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-bootorder-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("a", "A")]
    [TestCase("c", "C")]
    [TestCase("ca", "C")]
    [TestCase("order=a", "A")]
    [TestCase("order=c,once=a", "A")]
    public void Boot_FloppyAndHardDisk_BootsTheDeviceTheOrderNames(string boot, string expected)
    {
        var args = Drives(withCd: false).Concat(["-boot", boot]).ToArray();

        var ours = Run(Launcher.Path(), args);

        Assert.That(ours, Is.EqualTo((expected, (ExitValue << 1) | 1)));
    }

    [TestCase("a")]
    [TestCase("c")]
    [TestCase("d")]
    [TestCase("dca")]
    [TestCase("order=d,once=c")]
    public void Boot_SameImages_SameDeviceAsQemu(string boot)
    {
        Assume.That(File.Exists(DebianQemu), Is.True, "qemu-system-x86_64 is not installed; the comparison needs it");
        Assume.That(File.Exists(Genisoimage), Is.True, "genisoimage is not installed; the CD image needs it");
        var args = Drives(withCd: true).Concat(["-boot", boot]).ToArray();

        var ours = Run(Launcher.Path(), args);
        var qemu = Run(DebianQemu, args);

        Assert.That(ours, Is.EqualTo(qemu));
    }

    [TestCase("a")]
    [TestCase("c")]
    [TestCase("d")]
    [TestCase("dca")]
    [TestCase("order=c,once=d")]
    public void Boot_SameImages_SameDeviceAsReferenceQemu(string boot)
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");
        Assume.That(File.Exists(Genisoimage), Is.True, "genisoimage is not installed; the CD image needs it");
        var args = Drives(withCd: true).Concat(["-boot", boot]).ToArray();

        var ours = Run(Launcher.Path(), args);
        var qemu = Run(reference!, args);

        Assert.That(ours, Is.EqualTo(qemu));
    }

    [TestCase("a")]
    [TestCase("c")]
    public void Boot_FdaAndHda_SameDeviceAsReferenceQemu(string boot)
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");
        Drives(withCd: false);
        string[] args =
        [
            "-display", "none", "-serial", "stdio", "-device", "isa-debug-exit", "-snapshot",
            "-fda", Path.Combine(_dir, "a.img"), "-hda", Path.Combine(_dir, "c.img"), "-boot", boot,
        ];

        var ours = Run(Launcher.Path(), args);
        var qemu = Run(reference!, args);

        Assert.That(ours, Is.EqualTo(qemu));
    }

    [Test]
    public void Boot_UnsignedFloppyWithNoFdBootchk_BootsAsReferenceQemu()
    {
        var reference = SharedFolder.Find("qemu-qtest", "qemu-ref-system-x86_64");
        Assume.That(reference, Is.Not.Null, "../shared/qemu-qtest/qemu-ref-system-x86_64 is not there; the comparison needs it");
        var floppy = Path.Combine(_dir, "unsigned.img");
        var image = Image(BootSectors.SerialThenExit('A', ExitValue), FloppyBytes);
        image[SignatureOffset] = 0;
        image[SignatureOffset + 1] = 0;
        File.WriteAllBytes(floppy, image);
        string[] args =
        [
            "-display", "none", "-serial", "stdio", "-device", "isa-debug-exit", "-no-fd-bootchk", "-boot", "a",
            "-drive", $"file={floppy},if=floppy,format=raw,snapshot=on",
        ];

        var ours = Run(Launcher.Path(), args);
        var qemu = Run(reference!, args);

        Assert.That(ours, Is.EqualTo(qemu));
        Assert.That(ours, Is.EqualTo(("A", (ExitValue << 1) | 1)), "the floppy without its 55AAh signature booted");
    }

    [TestCase("x", "Invalid boot device 'x'")]
    [TestCase("cadn", "Too many boot devices for PC")]
    [TestCase("acdc", "Boot device 'c' was given twice")]
    [TestCase("e", "Invalid boot device for PC: 'e'")]
    [TestCase("order=c,foo=1", "Parameter 'boot.foo' is unexpected")]
    public void Boot_Refused_QemusMessage(string boot, string message)
    {
        using var process = Launcher.Start("-display", "none", "-boot", boot);
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();

        Assert.That((process.ExitCode, error.Trim()), Is.EqualTo((1, $"emu-system-x86_64: {message}")));
    }

    private string[] Drives(bool withCd)
    {
        var floppy = Path.Combine(_dir, "a.img");
        var disk = Path.Combine(_dir, "c.img");
        File.WriteAllBytes(floppy, Image(BootSectors.SerialThenExit('A', ExitValue), FloppyBytes));
        File.WriteAllBytes(disk, Image(BootSectors.SerialThenExit('C', ExitValue), DiskBytes));
        string[] drives =
        [
            "-display", "none", "-serial", "stdio", "-device", "isa-debug-exit",
            "-drive", $"file={floppy},if=floppy,format=raw,snapshot=on",
            "-drive", $"file={disk},if=ide,index=0,format=raw,snapshot=on",
        ];
        return withCd ? [.. drives, "-drive", $"file={Cd()},if=ide,index=2,media=cdrom"] : drives;
    }

    /// <summary>A no-emulation El Torito CD whose boot image writes 'D'.</summary>
    private string Cd()
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, "cdroot")).FullName;
        File.WriteAllBytes(Path.Combine(root, "boot.bin"), Image(BootSectors.SerialThenExit('D', ExitValue), 2048));
        var iso = Path.Combine(_dir, "d.iso");
        using var process = Process.Start(new ProcessStartInfo(Genisoimage, ["-quiet", "-o", iso, "-b", "boot.bin", "-no-emul-boot", "-boot-load-size", "4", root])
        {
            RedirectStandardError = true,
        })!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, "genisoimage");
        return iso;
    }

    private static (string Serial, int Status) Run(string binary, string[] args)
    {
        using var process = Launcher.StartBinary(binary, args);
        var serial = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            Assert.Fail($"{binary} did not exit");
        }

        return (serial.Result, process.ExitCode);
    }

    private static byte[] Image(byte[] first, int size)
    {
        var image = new byte[size];
        first.CopyTo(image, 0);
        return image;
    }
}
