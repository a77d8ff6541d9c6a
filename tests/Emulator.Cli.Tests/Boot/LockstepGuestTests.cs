namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// Issue 18's differential mode over the shared guests (../shared/images, MANIFEST.md): each guest
/// booted twice from the same drives, the interpreter alone and the translating tier, in lockstep
/// (<see cref="LockstepBoot"/>), to the success text MANIFEST.md or the guest's README gives, with no
/// difference in registers, segments, control registers or instruction count after any 256-instruction
/// slice, nor in RAM at the checks and at the end. Minutes of CPU each: FreeDOS and GRUB are in the
/// SlowBoot category (<c>dotnet test tests/Emulator.Cli.Tests --filter Category=SlowBoot</c>), the Linux
/// guest (billions of instructions, each run twice) in SlowBootManual. bootOS runs in the default set
/// (<see cref="TranslatorLockstepTests"/>).
/// </summary>
[Explicit("both CPU tiers side by side over real guests: minutes of CPU")]
[Parallelizable(ParallelScope.Children)]
public class LockstepGuestTests
{
    /// <summary>A compile threshold low enough that the boot's code, not only its busy-waits, runs translated.</summary>
    private const int LowThreshold = 16;

    private const long DosLimit = 1_500_000_000;

    [Test]
    [Category("SlowBoot")]
    public void FreeDos_FromFloppy_VerNoDivergence()
    {
        using var boot = new LockstepBoot(["--drive", GuestImageBootTests.Floppy("8086tiny/fd.img"), "--boot", "a"], LowThreshold);

        var divergence = boot.RunUntilScreen("A:\\>", DosLimit);
        if (divergence is null)
        {
            boot.Type("ver\r");
            divergence = boot.RunUntilScreen(screen => screen.Contains("A:\\>ver", StringComparison.Ordinal)
                && screen[screen.IndexOf("A:\\>ver", StringComparison.Ordinal)..].Contains("FreeCom version", StringComparison.Ordinal), DosLimit);
        }

        Finish(boot, divergence);
    }

    [Test]
    [Category("SlowBoot")]
    public void FreeDos_FromIdeHardDisk_DirNoDivergence()
    {
        var image = GuestImageBootTests.Image("freedos-hdd/fdos-hd8m.img");
        using var boot = new LockstepBoot(["--drive", $"file={image},if=ide,format=raw,snapshot=on", "--boot", "c"], LowThreshold);

        var divergence = boot.RunUntilScreen("C:\\>", DosLimit);
        if (divergence is null)
        {
            boot.Type("dir /w\r");
            divergence = boot.RunUntilScreen("6,792,192 bytes free", DosLimit);
        }

        Finish(boot, divergence);
    }

    [Test]
    [Category("SlowBoot")]
    public void Grub_FromCdNoEmulation_PromptNoDivergence()
    {
        using var boot = new LockstepBoot(["--cdrom", GuestImageBootTests.Image("grub-iso/grub-rescue.iso"), "--boot", "d"], LowThreshold);

        var divergence = boot.RunUntilScreen("grub>", DosLimit);

        Finish(boot, divergence);
    }

    [Test]
    [Category("SlowBootManual")]
    public void LinuxSelftest_FromCd_PassNoDivergence()
    {
        var dir = Directory.CreateTempSubdirectory("emu-lockstep-linux-").FullName;
        try
        {
            var iso = LinuxSelftestBootTests.IsoPath;
            LinuxSelftestBootTests.GenerateDisks(dir);
            string Disk(string name) => Path.Combine(dir, name);

            // Each machine writes to its own overlay. The kernel's 256 MiB are compared every 2^18 slices (67 M instructions) and at the end.
            using var boot = new LockstepBoot(
            [
                "--memory", "256M", "--boot", "d", "--cdrom", iso,
                "--drive", $"file={Disk("sda.img")},if=ide,index=0,format=raw,snapshot=on",
                "--drive", $"file={Disk("sdb.img")},if=ide,index=1,format=raw,snapshot=on",
                "--drive", $"file={Disk("vda.img")},if=virtio,format=raw,snapshot=on",
                "--drive", $"file={Disk("vdb.img")},if=virtio,format=raw,snapshot=on",
                "--drive", $"file={Disk("fd.img")},if=floppy,format=raw,snapshot=on",
            ], translationThreshold: 4096, ramCheckInterval: 1 << 18);

            var divergence = boot.RunUntilSerial("SELFTEST: RESULT PASS 6/6", 40_000_000_000);

            Finish(boot, divergence, boot.Serial);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Finish(LockstepBoot boot, string? divergence, string? serial = null)
    {
        var summary = boot.Summary();
        TestContext.Out.WriteLine($"{TestContext.CurrentContext.Test.Name}: {summary}");
        var screen = boot.Reference.Chipset.Vga.ScreenDump();
        Assert.That(divergence, Is.Null, $"{summary}\n{screen}\n{serial?[Math.Max(0, serial.Length - 2000)..]}");
        Assert.That(boot.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(boot.Candidate.InstructionsExecuted / 10), "the translator ran too little of the guest to count");
    }
}
