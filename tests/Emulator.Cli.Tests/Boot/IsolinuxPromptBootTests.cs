namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// Debian's ISOLINUX 6.04 (packages isolinux and syslinux-common) on a CD built here with genisoimage,
/// configured to stop at its <c>boot:</c> prompt (<c>PROMPT 1</c>, <c>TIMEOUT 0</c>), then driven through
/// the keyboard as a person would: ISOLINUX reads the keys through INT 16h and acts on the label typed.
/// The reference QEMU 7.2 (qemu-system-i386 -accel tcg, SeaBIOS) shows the same lines for the same ISO.
/// </summary>
[Category("Boot")]
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class IsolinuxPromptBootTests
{
    private const string IsolinuxBin = "/usr/lib/ISOLINUX/isolinux.bin";
    private const string LdlinuxC32 = "/usr/lib/syslinux/modules/bios/ldlinux.c32";
    private const string Banner = "ISOLINUX 6.04 20200816 ETCD";

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-isolinux-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Isolinux_PromptWithoutLabels_UnknownLabelIsReportedAndPromptReturns()
    {
        var iso = BuildIso("PROMPT 1\nTIMEOUT 0\n", withKernel: false);

        var run = GuestImageBootTests.Boot(
            ["--cdrom", iso, "--boot", "d", "--until", "No such file or directory\nboot:"],
            ("boot:", "nosuch\r"));

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain(Banner));
            Assert.That(run.Output, Does.Contain("boot: nosuch"), "the typed label is echoed at the prompt");
            Assert.That(run.Output, Does.Contain("Loading nosuch... failed: No such file or directory"), "ISOLINUX looked for a kernel file of that name");
        });
    }

    [Test]
    public void Isolinux_PromptWithLabel_TabListsItAndTypingItStartsTheKernel()
    {
        // The self-test guest's kernel, without an initramfs: reaching its real-mode setup code is enough
        // to show that ISOLINUX loaded it and jumped to it ("Probing EDD" is printed by the kernel's setup).
        var iso = BuildIso(
            "PROMPT 1\nTIMEOUT 0\nLABEL selftest\n  KERNEL /isolinux/vmlinuz\n  APPEND console=ttyS0,115200 panic=-1\n",
            withKernel: true);

        var run = GuestImageBootTests.Boot(
            ["--cdrom", iso, "--boot", "d", "--memory", "256M", "--until", "Probing EDD (edd=off to disable)... ok"],
            ("boot:", "\t"),
            ("selftest", "selftest\r"));

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain(Banner));
            Assert.That(run.Output, Does.Contain("boot: selftest"), "the typed label is echoed at the prompt");
            Assert.That(run.Output, Does.Contain("Loading /isolinux/vmlinuz... ok"), "ISOLINUX read the label's kernel from the CD");
        });
    }

    /// <summary>Writes isolinux.bin, ldlinux.c32, <paramref name="config"/> (and the self-test kernel) into an El Torito no-emulation ISO.</summary>
    private string BuildIso(string config, bool withKernel)
    {
        foreach (var (file, package) in new[] { (IsolinuxBin, "isolinux"), (LdlinuxC32, "syslinux-common") })
        {
            Assert.That(File.Exists(file), Is.True, $"{file} is needed (Debian package {package})");
        }

        var root = Path.Combine(_dir, "root");
        var boot = Directory.CreateDirectory(Path.Combine(root, "isolinux")).FullName;
        File.Copy(IsolinuxBin, Path.Combine(boot, "isolinux.bin"));
        File.Copy(LdlinuxC32, Path.Combine(boot, "ldlinux.c32"));
        File.WriteAllText(Path.Combine(boot, "isolinux.cfg"), config);
        if (withKernel)
        {
            var kernel = Path.Combine(boot, "vmlinuz");
            LinuxSelftestBootTests.RunTool("sh", "genisoimage (isoinfo)", "-c",
                "command -v isoinfo >/dev/null || { echo 'isoinfo is needed (Debian package genisoimage)' >&2; exit 1; }; isoinfo -R -i \"$1\" -x /isolinux/vmlinuz > \"$2\"", "sh",
                LinuxSelftestBootTests.IsoPath, kernel);
            Assert.That(new FileInfo(kernel).Length, Is.GreaterThan(1 << 20), "isoinfo extracted the self-test kernel");
        }

        var iso = Path.Combine(_dir, "isolinux.iso");
        LinuxSelftestBootTests.RunTool("genisoimage", "genisoimage",
            "-quiet", "-o", iso, "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
            "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", "-J", "-R", root);
        return iso;
    }
}
