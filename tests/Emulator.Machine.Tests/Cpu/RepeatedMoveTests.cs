using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// REP MOVS and REP STOS upward over RAM move page by page in one copy or fill (StringUnit.TryMoveInRam).
/// These check what that must not change: the element order where source and destination overlap, runs that
/// cross pages and the re-execution every few thousand elements, and stores into bytes that hold decoded code.
/// </summary>
public class RepeatedMoveTests
{
    private const int LongRun = 10_000;

    [Test]
    public void RepMovsb_DestinationOneByteAboveSource_ReplicatesTheFirstByte()
    {
        var machine = new CpuTestMachine();
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x100), "ABCDEFGH"u8);
        machine.Load16(asm =>
        {
            asm.cld();
            asm.push(ds);
            asm.pop(es);
            asm.mov(si, 0x100);
            asm.mov(di, 0x101);
            asm.mov(cx, 7);
            asm.rep.movsb();
        });

        machine.RunToHalt();

        var bytes = new byte[8];
        machine.Memory.Read(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x100), bytes);
        Assert.That(bytes, Is.EqualTo("AAAAAAAA"u8.ToArray()), "element order: each byte copies the one just written");
        Assert.That(machine.Registers.DI, Is.EqualTo(0x108));
    }

    [Test]
    public void RepMovsd_UnalignedAcrossPages_CopiesEveryByteAndAdvancesTheRegisters()
    {
        var machine = new CpuTestMachine();
        var pattern = new byte[LongRun * 4];
        new Random(31).NextBytes(pattern);
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x3), pattern[..0x8000]);
        machine.Load16(asm =>
        {
            asm.cld();
            asm.mov(si, 0x3);
            asm.mov(di, 0x7FD);
            asm.mov(cx, 0x2000);
            asm.rep.movsd();
        });

        machine.RunToHalt();

        var copy = new byte[0x8000];
        machine.Memory.Read(CpuTestMachine.Physical(CpuTestMachine.ExtraSegment, 0x7FD), copy);
        Assert.That(copy, Is.EqualTo(pattern[..0x8000]));
        Assert.That(machine.Registers.CX, Is.Zero);
        Assert.That(machine.Registers.SI, Is.EqualTo(0x8003));
        Assert.That(machine.Registers.DI, Is.EqualTo(0x87FD));
    }

    [Test]
    public void RepStosw_LongerThanOneStep_FillsAcrossPagesAndStopsAtTheCount()
    {
        var machine = new CpuTestMachine();
        machine.Load16(asm =>
        {
            asm.cld();
            asm.mov(ax, 0xBEEF);
            asm.mov(di, 0x11);
            asm.mov(cx, LongRun / 2);
            asm.rep.stosw();
        });

        machine.RunToHalt();

        var filled = new byte[LongRun + 2];
        machine.Memory.Read(CpuTestMachine.Physical(CpuTestMachine.ExtraSegment, 0x11), filled);
        for (var i = 0; i < LongRun; i += 2)
        {
            Assert.That(filled[i] | (filled[i + 1] << 8), Is.EqualTo(0xBEEF), $"word at +{i}");
        }

        Assert.That(filled[LongRun] | (filled[LongRun + 1] << 8), Is.Zero, "one word too many");
        Assert.That(machine.Registers.DI, Is.EqualTo(0x11 + LongRun));
    }

    [Test]
    public void RepMovsb_OverAnInstructionAlreadyDecoded_RunsTheNewBytes()
    {
        // The loop runs the 'mov bx, imm16' at Patched once, then copies new bytes over it and runs it again.
        var machine = new CpuTestMachine();
        const ushort Patched = 0x80;
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x10), [0xBB, 0x34, 0x12]);
        machine.Load16(asm =>
        {
            var again = asm.CreateLabel();
            var done = asm.CreateLabel();
            asm.cld();
            asm.xor(dx, dx);
            asm.Label(ref again);
            asm.call(Patched);
            asm.add(dx, bx);
            asm.cmp(dx, 0x1000);
            asm.ja(done);
            asm.push(cs);
            asm.pop(es);
            asm.mov(si, 0x10);
            asm.mov(di, Patched);
            asm.mov(cx, 3);
            asm.rep.movsb();
            asm.jmp(again);
            asm.Label(ref done);
        });
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, Patched), CpuTestMachine.Assemble(16, Patched, asm =>
        {
            asm.mov(bx, 0x0001);
            asm.ret();
        }));

        machine.RunToHalt();

        Assert.That(machine.Registers.DX, Is.EqualTo(0x1235), "the copied 'mov bx, 0x1234' was not the one run");
    }
}
