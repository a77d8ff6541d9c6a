using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>386 and 486 additions the 286 vectors cannot cover: 32-bit addressing, MOVZX/MOVSX, bit instructions, SETcc, XADD/CMPXCHG/BSWAP, FS/GS.</summary>
public class Integer386Tests
{
    [Test]
    public void ScaledIndexAddressing_InRealMode_ReadsElement()
    {
        var machine = new CpuTestMachine();
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x100 + (3 * 4) + 8), [0x78, 0x56, 0x34, 0x12]);
        machine.Load16(asm =>
        {
            asm.mov(ebx, 0x100);
            asm.mov(ecx, 3);
            asm.mov(eax, __dword_ptr[ebx + ecx * 4 + 8]);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(0x1234_5678));
    }

    [Test]
    public void MovzxMovsx_ByteSource_ExtendsToDword()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(bl, 0x80);
            asm.movzx(eax, bl);
            asm.movsx(edx, bl);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(0x80));
        Assert.That(machine.Registers.EDX, Is.EqualTo(0xFFFF_FF80));
    }

    [Test]
    public void BtsMemory_RegisterBitOffsetBeyondOperand_SetsBitInLaterWord()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(ax, 19);
            asm.bts(__word_ptr[0x40], ax);
        });

        machine.RunToHalt();

        Assert.That(machine.ReadWord(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x42)), Is.EqualTo(1 << 3));
        Assert.That(machine.Registers.CarryFlag, Is.False);
    }

    [Test]
    public void BsfBsr_NonZeroSource_FindLowestAndHighestBits()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(ebx, 0x0010_0100);
            asm.bsf(eax, ebx);
            asm.bsr(ecx, ebx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(8));
        Assert.That(machine.Registers.ECX, Is.EqualTo(20));
        Assert.That(machine.Registers.ZeroFlag, Is.False);
    }

    [Test]
    public void Setcc_AfterSignedCompare_StoresConditions()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(ax, unchecked((ushort)-5));
            asm.cmp(ax, 3);
            asm.setl(bl);
            asm.seta(bh);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.BL, Is.EqualTo(1), "-5 < 3 signed");
        Assert.That(machine.Registers.BH, Is.EqualTo(1), "FFFBh > 3 unsigned");
    }

    [Test]
    public void XaddCmpxchgBswap_Dword_BehaveAs486()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, 10);
            asm.mov(ebx, 5);
            asm.xadd(eax, ebx);
            asm.mov(ecx, 0x1122_3344);
            asm.bswap(ecx);
            asm.mov(__dword_ptr[0x10], 15);
            asm.mov(edx, 99);
            asm.cmpxchg(__dword_ptr[0x10], edx);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EAX, Is.EqualTo(15), "XADD sum, then CMPXCHG compared equal and left EAX");
        Assert.That(machine.Registers.EBX, Is.EqualTo(10));
        Assert.That(machine.Registers.ECX, Is.EqualTo(0x4433_2211));
        Assert.That(machine.ReadDword(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x10)), Is.EqualTo(99));
    }

    [Test]
    public void LoadFarPointerIntoFs_ThenFsOverride_ReadsThroughNewSegment()
    {
        const ushort farSegment = 0x7000;
        var machine = new CpuTestMachine();
        machine.WriteWord(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x20), 0x0010);
        machine.WriteWord(CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0x22), farSegment);
        machine.WriteWord(CpuTestMachine.Physical(farSegment, 0x10), 0xABCD);
        machine.Load16(asm =>
        {
            asm.lfs(bx, __dword_ptr[0x20]);
            asm.mov(ax, __word_ptr.fs[bx]);
            asm.mov(cx, fs);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AX, Is.EqualTo(0xABCD));
        Assert.That(machine.Registers.CX, Is.EqualTo(farSegment));
    }

    [Test]
    public void Loop_AddressSizePrefix_CountsInEcx()
    {
        static void Preamble(Iced.Intel.Assembler asm)
        {
            asm.mov(ecx, 0x1_0002);
            asm.xor(ax, ax);
        }

        var top = (ulong)CpuTestMachine.Assemble(16, 0, Preamble).Length;
        var machine = new CpuTestMachine().Load16(asm =>
        {
            Preamble(asm);
            asm.inc(ax);
            asm.AddInstruction(Iced.Intel.Instruction.CreateBranch(Iced.Intel.Code.Loop_rel8_16_ECX, top));
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.ECX, Is.Zero);
        Assert.That(machine.Registers.AX, Is.EqualTo(2), "AX wrapped after 1_0002h iterations");
    }
}
