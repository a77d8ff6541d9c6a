namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// memtest86+ 6.10 as Debian packages it (<c>apt-get install memtest86+</c>: /boot/memtest86+ia32.bin, a
/// Linux boot-protocol image whose first sector also boots from a floppy), written onto a 1.44 MB
/// floppy in a temporary folder. It runs in 32-bit protected mode with PAE paging, calibrates the TSC
/// against PIT channel 2, and tests RAM with REP STOS/MOVS and tight loops.
/// <para>
/// RAM is the least memtest accepts here (4352 KiB): it moves itself above 4 MiB to test the first
/// 4 MiB and needs about 192 KiB free there. Even so, its default first pass does not fit a CI run:
/// tests 0-9 take ~5.1 G guest instructions (51 s of virtual time), and the last test, bit fade, sleeps
/// 2 × 80 s by polling RDTSC — another 16 G instructions of virtual time at 10 ns each. So the test
/// does what a user short of time does: in memtest's own configuration menu (F1, typed as digits)
/// it removes test 10 from the selection, then waits for the pass counter to reach 1 with no errors
/// (SlowBoot category: ~5.1 G instructions, minutes of CPU). The default run only checks that memtest
/// starts testing on its own and gets through its two address tests without an error (~0.3 G).
/// The whole default pass, bit fade included, is a manual run (SlowBootManual).
/// </para>
/// </summary>
public class MemtestBootTests
{
    private const string MemtestImage = "/boot/memtest86+ia32.bin";
    private const int FloppyBytes = 1_474_560;
    private const int BitFadeTest = 10;

    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("emu-memtest-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    [Category("Boot")]
    public void Memtest_NoKeyPressed_StartsTestingAndPassesTheAddressTests()
    {
        var floppy = WriteFloppy();

        // The streamed screen is sampled, so a short test's line may never appear in it: judge the final screen.
        var run = GuestImageBootTests.Boot(["--fda", floppy, "--memory", "4352K", "--cpu", "jit", "--until", "Test #3  [Moving inversions, 1s & 0s]"]);

        var screen = FinalScreen(run.Output);
        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(screen, Does.Contain("Test #3  [Moving inversions, 1s & 0s]"), "tests 0 and 2 (address tests) are behind it");
            Assert.That(screen, Does.Contain("[PAE]"), "memtest tests through PAE paging");
            Assert.That(screen, Does.Contain("Status: Testing"));
            Assert.That(screen, Does.Match(@"Pass:\s+0\s+Errors:\s+0\b"), "no error in the address tests");
        });
    }

    [Explicit("memtest86+ pass: minutes of guest CPU time")]
    // CI runs the translating tier's pass (SlowBoot); the interpreter's takes as long again and runs on demand.
    [TestCase("interp", Category = "SlowBootManual")]
    [TestCase("jit", Category = "SlowBoot")]
    public void Memtest_FirstPassWithoutBitFade_CompletesWithNoErrors(string cpu)
    {
        var floppy = WriteFloppy();

        var run = GuestImageBootTests.Boot(
            ["--fda", floppy, "--memory", "4352K", "--cpu", cpu, "--timeout", "1800", "--until", "Pass:  1"],
            ("<Enter> to start testing", "1"),
            ("<F1>  Test selection", "1"),
            ("<F2>  Remove one test", "2"),
            ("Enter test #", $"{BitFadeTest}\r00"));

        var screen = FinalScreen(run.Output);
        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain("Memtest86+ v6.10"));
            Assert.That(run.Output, Does.Contain("[PAE]"), "memtest tests through PAE paging");
            Assert.That(run.Output, Does.Not.Contain("[Bit fade test"), "bit fade was deselected");
            Assert.That(screen, Does.Match(@"Pass:\s+1\s+Errors:\s+0\b"), "one whole pass, no errors");
            Assert.That(screen, Does.Contain("Status: Pass"), "memtest's verdict after the pass");
        });
    }

    [Test]
    [Explicit("memtest86+'s default first pass with bit fade: ~21 G guest instructions, tens of minutes of CPU")]
    [Category("SlowBootManual")]
    public void Memtest_FirstFullPass_CompletesWithNoErrors()
    {
        var floppy = WriteFloppy();

        // No key: memtest starts its default selection on its own, bit fade (2 × 80 s of RDTSC polling) included.
        var run = GuestImageBootTests.Boot(["--fda", floppy, "--memory", "4352K", "--cpu", "jit", "--timeout", "7200", "--until", "Pass:  1"]);

        var screen = FinalScreen(run.Output);
        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.Zero, run.Describe());
            Assert.That(run.Output, Does.Contain("[Bit fade test"), "bit fade ran");
            Assert.That(screen, Does.Match(@"Pass:\s+1\s+Errors:\s+0\b"), "one whole pass, no errors");
            Assert.That(screen, Does.Contain("Status: Pass"), "memtest's verdict after the pass");
        });
    }

    /// <summary>memtest's image at the start of a blank 1.44 MB floppy (its boot sector loads the rest).</summary>
    private string WriteFloppy()
    {
        if (!File.Exists(MemtestImage))
        {
            Assert.Fail($"{MemtestImage} is needed (Debian package memtest86+: apt-get install -y memtest86+)");
        }

        var image = File.ReadAllBytes(MemtestImage);
        Assert.That(image, Has.Length.LessThanOrEqualTo(FloppyBytes), "memtest fits on a 1.44 MB floppy");
        var floppy = Path.Combine(_dir, "memtest.img");
        var bytes = new byte[FloppyBytes];
        image.CopyTo(bytes, 0);
        File.WriteAllBytes(floppy, bytes);
        return floppy;
    }

    /// <summary>The last screen dump (<c>--screen-dump</c>) of the run's output.</summary>
    private static string FinalScreen(string output)
    {
        var at = output.LastIndexOf("---- screen ----", StringComparison.Ordinal);
        return at < 0 ? string.Empty : output[at..];
    }
}
