using Emulator.Machine.Cpu;
using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu.Translation;

/// <summary>
/// Blocks keyed with flat data segments (DS, ES and SS at base 0 with a 4 GiB limit) address memory with the offset
/// itself. Each test runs a paged flat machine through the interpreter and through the translating tier (every block
/// compiled on first sight) and compares the outcome.
/// </summary>
public class FlatDataSegmentTests
{
    private const ushort OffsetData = 0x30;
    private const uint OffsetBase = 0x1_0000;
    private const uint Variable = 0x5000;
    private const uint FlatValue = 0x11;
    private const uint OffsetValue = 0x2200;

    [Test]
    public void DsLoadedInsideATranslatedLoop_LaterPassesUseTheNewBase()
    {
        var reference = SegmentSwitchLoop(CpuTier.Interpreter);
        var candidate = SegmentSwitchLoop(CpuTier.Translator);

        // Five passes with the flat DS, three with DS based at 64 KiB.
        Assert.That(reference.Registers.EDX, Is.EqualTo((5 * FlatValue) + (3 * OffsetValue)), "the interpreter's own answer");
        Assert.That(candidate.Registers.EDX, Is.EqualTo(reference.Registers.EDX));
        Assert.That(candidate.Inner.Cpu.TranslatedInstructions, Is.GreaterThan(0), "no block ran");
    }

    [Test]
    public void DwordPastFourGigabytes_FromATranslatedLoop_GeneralProtectionAsInterpreted()
    {
        var reference = WrappingLoop(CpuTier.Interpreter);
        var candidate = WrappingLoop(CpuTier.Translator);

        Assert.That(reference.FaultVector, Is.EqualTo(13u), "the interpreter's own answer: the limit check, before paging");
        Assert.That((candidate.FaultVector, candidate.FaultEip, candidate.Registers.ECX), Is.EqualTo((reference.FaultVector, reference.FaultEip, reference.Registers.ECX)));
        Assert.That(candidate.Inner.Cpu.TranslatedInstructions, Is.GreaterThan(0), "no block ran");
    }

    /// <summary>Adds the dword at DS:<see cref="Variable"/> to EDX eight times, loading DS with a segment based at 64 KiB after the fifth.</summary>
    private static PagedCpuMachine SegmentSwitchLoop(CpuTier tier)
    {
        var machine = OnTier(tier);

        // Selector 30h: a writable data segment at base 64 KiB with a 4 GiB limit (G=1, B=1).
        machine.WriteDwords(GdtAddress + OffsetData, 0x0000_FFFF, 0x00CF_9300 | (OffsetBase >> 16));
        machine.Registers.GdtrLimit = OffsetData + 7;
        machine.WriteDwords(Variable, FlatValue);
        machine.WriteDwords(OffsetBase + Variable, OffsetValue);
        machine.Load(a =>
        {
            var top = a.CreateLabel();
            var skip = a.CreateLabel();
            a.mov(ecx, 8);
            a.xor(edx, edx);
            a.Label(ref top);
            a.add(edx, __dword_ptr[Variable]);
            a.cmp(ecx, 4);
            a.jne(skip);
            a.mov(eax, OffsetData);
            a.mov(ds, ax);
            a.Label(ref skip);
            a.dec(ecx);
            a.jnz(top);
        });
        machine.RunToHalt();
        return machine;
    }

    /// <summary>Reads [EBX] in a loop whose last pass points EBX at FFFFFFFE, where a dword runs past the flat limit.</summary>
    private static PagedCpuMachine WrappingLoop(CpuTier tier)
    {
        var machine = OnTier(tier);
        machine.Load(a =>
        {
            var top = a.CreateLabel();
            var skip = a.CreateLabel();
            a.mov(ecx, 6);
            a.mov(ebx, Variable);
            a.Label(ref top);
            a.cmp(ecx, 1);
            a.jne(skip);
            a.mov(ebx, 0xFFFF_FFFE);
            a.Label(ref skip);
            a.add(eax, __dword_ptr[ebx]);
            a.dec(ecx);
            a.jnz(top);
        });
        machine.RunToHalt();
        return machine;
    }
}
