using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

public class ControlFlowTests
{
    private const ushort FarSegment = 0x6000;
    private const byte SoftwareVector = 0x60;
    private const byte InvalidOpcodeVector = 6;

    [Test]
    public void FarCallRetf_WithImmediate_ReturnsAndDropsArgument()
    {
        var machine = new CpuTestMachine();
        machine.Memory.Write(CpuTestMachine.Physical(FarSegment, 0), CpuTestMachine.Assemble(16, 0, asm =>
        {
            asm.mov(bx, cs);
            asm.retf(2);
        }));
        machine.Load16(asm =>
        {
            asm.push(0x1111);
            asm.call(FarSegment, 0);
            asm.mov(cx, cs);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.BX, Is.EqualTo(FarSegment));
        Assert.That(machine.Registers.CX, Is.EqualTo(CpuTestMachine.CodeSegment));
        Assert.That(machine.Registers.SP, Is.EqualTo(CpuTestMachine.StackTop), "RETF 2 dropped the pushed argument");
    }

    [Test]
    public void IntIret_SoftwareInterrupt_ClearsIfInHandlerAndRestoresFlags()
    {
        var machine = new CpuTestMachine();
        machine.InstallHandler(SoftwareVector, FarSegment, asm =>
        {
            asm.pushf();
            asm.pop(dx);
            asm.mov(ax, 0x4242);
            asm.iret();
        });
        machine.Load16(asm =>
        {
            asm.sti();
            asm.stc();
            asm.@int(SoftwareVector);
            asm.mov(bx, ax);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.BX, Is.EqualTo(0x4242));
        Assert.That(machine.Registers.DX & 0x200, Is.Zero, "IF is clear inside the handler");
        Assert.That(machine.Registers.InterruptFlag, Is.True, "IRET restores IF");
        Assert.That(machine.Registers.CarryFlag, Is.True, "IRET restores CF");
    }

    [Test]
    public void Loop_CxTen_RunsBodyTenTimes()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            var top = asm.CreateLabel();
            asm.mov(cx, 10);
            asm.xor(ax, ax);
            asm.Label(ref top);
            asm.add(ax, 3);
            asm.loop(top);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AX, Is.EqualTo(30));
        Assert.That(machine.Registers.CX, Is.Zero);
    }

    [Test]
    public void EnterLeave_FrameOfEightBytes_RestoresBpAndSp()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(bp, 0x1234);
            asm.enter(8, 0);
            asm.mov(ax, sp);
            asm.mov(bx, bp);
            asm.leave();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.BX, Is.EqualTo(CpuTestMachine.StackTop - 2));
        Assert.That(machine.Registers.AX, Is.EqualTo(CpuTestMachine.StackTop - 10));
        Assert.That(machine.Registers.BP, Is.EqualTo(0x1234));
        Assert.That(machine.Registers.SP, Is.EqualTo(CpuTestMachine.StackTop));
    }

    [Test]
    public void PushaPopa_AfterClobber_RestoresRegisters()
    {
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(ax, 1);
            asm.mov(cx, 2);
            asm.mov(di, 7);
            asm.pusha();
            asm.xor(ax, ax);
            asm.xor(cx, cx);
            asm.xor(di, di);
            asm.popa();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.AX, Is.EqualTo(1));
        Assert.That(machine.Registers.CX, Is.EqualTo(2));
        Assert.That(machine.Registers.DI, Is.EqualTo(7));
        Assert.That(machine.Registers.SP, Is.EqualTo(CpuTestMachine.StackTop));
    }

    [Test]
    public void Ud2_InRealMode_RaisesInvalidOpcodeWithFaultingIp()
    {
        var machine = new CpuTestMachine();
        machine.InstallHandler(InvalidOpcodeVector, FarSegment, asm => asm.hlt());
        machine.Load16(asm =>
        {
            asm.nop();
            asm.ud2();
        });

        machine.RunToHalt();

        Assert.That(machine.ReadWord(CpuTestMachine.Physical(CpuTestMachine.StackSegment, machine.Registers.SP)), Is.EqualTo(1));
        Assert.That(machine.Registers.CS, Is.EqualTo(FarSegment));
    }

    [Test]
    public void WordRead_AtOffsetFfff_RaisesGeneralProtection()
    {
        const byte generalProtectionVector = 13;
        var machine = new CpuTestMachine();
        machine.InstallHandler(generalProtectionVector, FarSegment, asm => asm.hlt());
        machine.Load16(asm =>
        {
            asm.mov(bx, 0xFFFF);
            asm.mov(ax, __word_ptr[bx]);
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.CS, Is.EqualTo(FarSegment));
    }

    [Test]
    public void Cpuid_Leaf1_ReportsFamily6WithFpuTscCx8AndCmov()
    {
        const uint fpuBit = 1 << 0;
        const uint tscBit = 1 << 4;
        const uint cx8Bit = 1 << 8;
        const uint cmovBit = 1 << 15;
        var machine = new CpuTestMachine().Load16(asm =>
        {
            asm.mov(eax, 1);
            asm.cpuid();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EDX & (fpuBit | tscBit | cx8Bit | cmovBit), Is.EqualTo(fpuBit | tscBit | cx8Bit | cmovBit));
        Assert.That((machine.Registers.EAX >> 8) & 0xF, Is.EqualTo(6), "family 6: the i686 instructions are there");
        Assert.That(machine.Registers.ECX, Is.EqualTo(1u << 31), "only the hypervisor bit, as QEMU reports under TCG");
    }

    [Test]
    public void TrapFlag_SetByPopf_TrapsAfterEachFollowingInstruction()
    {
        const byte debugVector = 1;
        const ushort trapFlag = 0x100;
        var machine = new CpuTestMachine();
        machine.InstallHandler(debugVector, FarSegment, asm =>
        {
            asm.inc(si);
            asm.iret();
        });
        machine.Load16(asm =>
        {
            asm.xor(si, si);
            asm.pushf();
            asm.pop(ax);
            asm.or(ax, trapFlag);
            asm.push(ax);
            asm.popf();
            asm.nop();
            asm.nop();
            asm.pushf();
            asm.pop(ax);
            asm.and(ax, unchecked((ushort)~trapFlag));
            asm.push(ax);
            asm.popf();
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.SI, Is.EqualTo(7), "one trap after each of the 7 instructions that began with TF set");
    }
}
