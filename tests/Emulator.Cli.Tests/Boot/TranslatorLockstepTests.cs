using Emulator.Firmware;
using Emulator.Firmware.Services;
using Emulator.Machine.Cpu;
using Emulator.Machine.Loop;

namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// The translating tier in lockstep with the interpreter over a real guest: our BIOS's POST, then
/// bootOS (shared/images/bootos/os.img, a boot sector written outside this project) handed over
/// through fw_cfg like the demo guest, to the prompt MANIFEST.md gives (<c>bootOS</c>, then <c>$</c>).
/// </summary>
public class TranslatorLockstepTests
{
    private const long InstructionLimit = 60_000_000;
    private const long KeyInstructions = 200_000;
    /// <summary>A value and address (in the 4 MiB RAM) that bootOS's first slices leave alone.</summary>
    private const uint UntouchedValue = 0x0030_1234;
    private const int RamBytes = 4 << 20;
    /// <summary>MANIFEST.md's SectorLISP session: the first atom of a quoted list.</summary>
    private const string Program = "(CAR (QUOTE (A B)))\r";
    private static readonly DateTime RtcStart = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);

    [Test]
    public void SectorLisp_InterpreterAndTranslator_EvaluateWithoutDivergence()
    {
        var image = SharedFolder.Find("images", "sectorlisp", "sectorlisp.bin")
            ?? throw new IgnoreException("shared/images/sectorlisp/sectorlisp.bin is not available here.");
        var bootSector = File.ReadAllBytes(image);
        var reference = Build(bootSector, CpuTier.Interpreter);
        var candidate = Build(bootSector, CpuTier.Translator);
        candidate.Cpu.TranslationThreshold = 2;
        var runner = new LockstepRunner(reference, candidate);
        var booted = runner.Run(m => m.Chipset.Vga.ScreenDump().Contains("Booting from ROM"), InstructionLimit);
        foreach (var key in Program)
        {
            // One key at a time with time to read it, as a person types (the BIOS buffer holds 15 keys).
            foreach (var machine in new[] { reference, candidate })
            {
                machine.Chipset.Keyboard.TypeText(key.ToString());
            }

            var typedAt = reference.InstructionsExecuted;
            booted ??= runner.Run(m => m.InstructionsExecuted >= typedAt + KeyInstructions, InstructionLimit);
        }

        var divergence = booted ?? runner.Run(m => m.Chipset.Vga.ScreenDump().Split('\n').Any(line => line.TrimEnd() == "A"), InstructionLimit);

        Assert.That(divergence, Is.Null, reference.Chipset.Vga.ScreenDump());
        Assert.That(candidate.Cpu.TranslatedInstructions, Is.GreaterThan(candidate.InstructionsExecuted / 10), "the translator ran too little of the guest to count");
        TestContext.Out.WriteLine(reference.Chipset.Vga.ScreenDump());
        TestContext.Out.WriteLine($"{reference.InstructionsExecuted} instructions, {runner.Slices} slices; translated: {candidate.Cpu.BlocksTranslated} blocks, {candidate.Cpu.TranslatedInstructions} instructions");
    }

    /// <summary>
    /// bootOS's own boot sector reaches its prompt in about 500 guest instructions: our BIOS's POST and
    /// services run behind the trap port (firmware-stubs/Emulator.Firmware/Rom), so the run is the boot
    /// sector's copy loop, its INT 10h calls and the INT 16h wait (STI; HLT). The program disk's <c>pi</c>
    /// (<see cref="BootOs_ProgramDiskPi_NoDivergence"/>) is the longer run.
    /// </summary>
    [Test]
    public void BootOs_InterpreterAndTranslator_ReachPromptWithoutDivergence()
    {
        var image = SharedFolder.Find("images", "bootos", "os.img")
            ?? throw new IgnoreException("shared/images/bootos/os.img is not available here.");
        var bootSector = File.ReadAllBytes(image);
        var reference = Build(bootSector, CpuTier.Interpreter);
        var candidate = Build(bootSector, CpuTier.Translator);
        candidate.Cpu.TranslationThreshold = 2;
        var runner = new LockstepRunner(reference, candidate);

        var divergence = runner.Run(m => m.Chipset.Vga.ScreenDump() is var screen && screen.Contains("bootOS") && screen.Contains('$'), InstructionLimit);

        Assert.That(divergence, Is.Null);
        Assert.That(candidate.Cpu.TranslatedInstructions, Is.GreaterThan(candidate.InstructionsExecuted / 10), "the translator ran too little of the boot to count");
        TestContext.Out.WriteLine(reference.Chipset.Vga.ScreenDump());
        TestContext.Out.WriteLine($"{reference.InstructionsExecuted} instructions, {runner.Slices} slices; translated: {candidate.Cpu.BlocksTranslated} blocks, {candidate.Cpu.TranslatedInstructions} instructions");
    }

    /// <summary>bootOS from its program disk (osall.img, a floppy), then <c>pi</c>: a bignum spigot, millions of instructions.</summary>
    [Test]
    public void BootOs_ProgramDiskPi_NoDivergence()
    {
        using var boot = new LockstepBoot(["--drive", GuestImageBootTests.Floppy("bootos/osall.img"), "--boot", "a"], translationThreshold: 16);

        var divergence = boot.RunUntilScreen("$", InstructionLimit);
        if (divergence is null)
        {
            boot.Type("pi\r");
            divergence = boot.RunUntilScreen("3.14159265358979323846264338327950288", InstructionLimit);
        }

        TestContext.Out.WriteLine(boot.Summary());
        Assert.That(divergence, Is.Null, boot.Reference.Chipset.Vga.ScreenDump());
        Assert.That(boot.Candidate.Cpu.TranslatedInstructions, Is.GreaterThan(boot.Candidate.InstructionsExecuted / 2), "the spigot's loops ran translated");
    }

    [Test]
    public void Runner_CandidateRegisterDiffers_ReportsItAfterTheSlice()
    {
        var bootSector = File.ReadAllBytes(SharedFolder.Find("images", "bootos", "os.img") ?? throw new IgnoreException("shared/images/bootos/os.img is not available here."));
        var reference = Build(bootSector, CpuTier.Interpreter);
        var candidate = Build(bootSector, CpuTier.Translator);
        var runner = new LockstepRunner(reference, candidate);
        var agreed = runner.Run(m => m.InstructionsExecuted >= 256, InstructionLimit);

        // Set after the first slice: starting the machine resets the CPU.
        candidate.Cpu.Registers.CR2 = UntouchedValue;
        var divergence = runner.Run(_ => false, InstructionLimit);

        Assert.That(agreed, Is.Null);
        Assert.That(divergence, Does.StartWith("after instruction 512 ").And.Contain($"CR2: reference 00000000, candidate {UntouchedValue:X8}"));
    }

    [Test]
    public void Runner_CandidateRamDiffers_ReportsTheFirstByteAtTheEnd()
    {
        var bootSector = File.ReadAllBytes(SharedFolder.Find("images", "bootos", "os.img") ?? throw new IgnoreException("shared/images/bootos/os.img is not available here."));
        var reference = Build(bootSector, CpuTier.Interpreter);
        var candidate = Build(bootSector, CpuTier.Translator);
        candidate.Memory.WriteByte(UntouchedValue, 0x5A);
        var runner = new LockstepRunner(reference, candidate);

        var divergence = runner.Run(m => m.InstructionsExecuted >= 256, InstructionLimit);

        Assert.That(divergence, Is.EqualTo($"by instruction 256: RAM byte {UntouchedValue:X8}: reference 00, candidate 5A"));
    }

    private static PcMachine Build(byte[] bootSector, CpuTier tier)
    {
        var machine = new PcMachine(new PcMachineOptions { Idle = IdleMode.Skip, RtcStartTime = RtcStart, RamSize = RamBytes });
        machine.Cpu.Tier = tier;
        PcFirmware.Install(machine);
        machine.Chipset.FwCfg.AddFile(FirmwareOptions.BootSectorFile, bootSector);
        return machine;
    }
}
