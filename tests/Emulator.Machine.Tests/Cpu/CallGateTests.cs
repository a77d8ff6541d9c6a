using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// Far CALL and JMP through call gates (Intel SDM vol. 3, 5.8.3–5.8.6), with Iced-assembled code: a
/// ring-3 CALL through a DPL-3 gate onto the TSS's ring-0 stack with its parameters copied and RETF n
/// back; the gate and code privilege checks with their error codes; a same-level CALL through a 16-bit gate.
/// </summary>
public class CallGateTests
{
    private const ushort GateSelector = 0x30;
    private const ushort GdtLimitWithGate = GateSelector + 7;
    private const uint UserCodeAddress = CodeAddress + 0x800;
    private const uint GateHandler = HandlerAddress + 0x2000;
    private const uint Gate16Handler = 0x5000;
    private const uint HandlerRecord = 0x3100;
    private const uint UserResult = 0x3200;
    private const int GeneralProtection = 13;
    private const int SegmentNotPresent = 11;
    private const uint FirstParameter = 0x1111_1111;
    private const uint SecondParameter = 0x2222_2222;

    // Gate descriptor high doubleword: P, DPL, type (4 = 16-bit call gate, C = 32-bit), parameter count.
    private const uint Present = 1 << 15;
    private const int DplShift = 13;
    private const uint CallGate32 = 0xC << 8;
    private const uint CallGate16 = 0x4 << 8;

    [Test]
    public void CallFar_Ring3ThroughDpl3Gate_SwitchesToTssStackCopiesParametersAndRetfReturns()
    {
        var machine = WithGate(KernelCode, GateHandler, Present | (3 << DplShift) | CallGate32 | 2);
        machine.WriteCode(GateHandler, asm =>
        {
            asm.mov(__dword_ptr[HandlerRecord], esp);
            for (var slot = 0; slot < 6; slot++)
            {
                asm.mov(eax, __dword_ptr[esp + (slot * 4)]);
                asm.mov(__dword_ptr[HandlerRecord + 4 + (slot * 4)], eax);
            }

            asm.mov(__word_ptr[HandlerRecord + 28], cs);
            asm.retf(8);
        });
        machine.WriteCode(UserCodeAddress, asm =>
        {
            asm.push(FirstParameter);
            asm.push(SecondParameter);
            asm.call(__fword_ptr.ss[UserResult + 0x10]);
            asm.mov(__dword_ptr.ss[UserResult], esp);
            asm.mov(__word_ptr.ss[UserResult + 4], cs);
            asm.hlt();
        });
        machine.WriteDwords(UserResult + 0x10, 0, GateSelector | 3u);
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        var record = Enumerable.Range(0, 7).Select(i => machine.Inner.ReadDword(HandlerRecord + (uint)(i * 4))).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(record[0], Is.EqualTo(KernelStackTop - 24), "EIP, CS, two parameters, ESP, SS on the ring-0 stack");
            Assert.That(record[2], Is.EqualTo((uint)UserCode), "pushed CS");
            Assert.That(record[3..5], Is.EqualTo(new[] { SecondParameter, FirstParameter }), "parameters in their order");
            Assert.That(record[5], Is.EqualTo(UserStackTop - 8), "the old ESP, below the parameters");
            Assert.That(record[6], Is.EqualTo((uint)UserData), "the old SS");
            Assert.That(machine.Inner.ReadWord(HandlerRecord + 28), Is.EqualTo(KernelCode), "the handler ran at ring 0");
            Assert.That(machine.Inner.ReadDword(UserResult), Is.EqualTo(UserStackTop), "RETF 8 released the parameters on the user stack");
            Assert.That(machine.Inner.ReadWord(UserResult + 4), Is.EqualTo(UserCode), "back at ring 3");
            Assert.That(machine.FaultVector, Is.EqualTo(GeneralProtection), "HLT at ring 3");
        });
    }

    [TestCase(0u, GeneralProtection, GateSelector, TestName = "CallFar_Ring3ThroughDpl0Gate_GeneralProtectionNamingTheGate")]
    [TestCase(3u, SegmentNotPresent, GateSelector, TestName = "CallFar_Ring3ThroughNotPresentGate_SegmentNotPresentNamingTheGate")]
    public void CallFar_Ring3ThroughGate_Refused(uint gateDpl, int vector, int errorCode)
    {
        var present = vector == SegmentNotPresent ? 0 : Present;
        var machine = WithGate(KernelCode, GateHandler, present | (gateDpl << DplShift) | CallGate32);
        machine.WriteDwords(UserResult + 0x10, 0, GateSelector | 3u);
        machine.WriteCode(UserCodeAddress, asm => asm.call(__fword_ptr.ss[UserResult + 0x10]));
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That((machine.FaultVector, machine.FaultErrorCode, machine.FaultEip), Is.EqualTo(((uint)vector, (uint)errorCode, UserCodeAddress)));
    }

    [Test]
    public void JmpFar_Ring3ThroughGateToRing0Code_GeneralProtectionNamingTheCode()
    {
        var machine = WithGate(KernelCode, GateHandler, Present | (3 << DplShift) | CallGate32);
        machine.WriteDwords(UserResult + 0x10, 0, GateSelector | 3u);
        machine.WriteCode(UserCodeAddress, asm => asm.jmp(__fword_ptr.ss[UserResult + 0x10]));
        machine.Load(asm => EnterUser(asm, UserCodeAddress));

        machine.RunToHalt();

        Assert.That((machine.FaultVector, machine.FaultErrorCode), Is.EqualTo(((uint)GeneralProtection, (uint)KernelCode)));
    }

    [Test]
    public void CallFar_Ring0Through16BitGate_PushesWordsOnTheSameStack()
    {
        var machine = WithGate(KernelCode, Gate16Handler, Present | CallGate16);
        machine.WriteCode(Gate16Handler, asm =>
        {
            asm.mov(__dword_ptr[HandlerRecord], esp);
            asm.mov(eax, __dword_ptr[esp]);
            asm.mov(__dword_ptr[HandlerRecord + 4], eax);
            asm.hlt();
        });
        machine.Load(asm => asm.call(__fword_ptr[UserResult + 0x10]));
        machine.WriteDwords(UserResult + 0x10, 0x1234_5678, GateSelector);

        machine.RunToHalt();

        Assert.Multiple(() =>
        {
            Assert.That(machine.Inner.ReadDword(HandlerRecord), Is.EqualTo(StackTop - 4), "two words: CS and IP");
            Assert.That(machine.Inner.ReadDword(HandlerRecord + 4), Is.EqualTo(((uint)KernelCode << 16) | ((CodeAddress + 6) & 0xFFFF)), "IP, then CS above it");
            Assert.That(machine.Registers.EIP, Is.EqualTo(Gate16Handler + 15), "ran from the gate's offset (6 + 3 + 5 bytes and HLT), not the pointer's");
        });
    }

    private static PagedCpuMachine WithGate(ushort codeSelector, uint offset, uint high)
    {
        var machine = new PagedCpuMachine();
        machine.Registers.GdtrLimit = GdtLimitWithGate;
        machine.WriteDwords(GdtAddress + GateSelector, ((uint)codeSelector << 16) | (offset & 0xFFFF), (offset & 0xFFFF_0000) | high);
        return machine;
    }
}
