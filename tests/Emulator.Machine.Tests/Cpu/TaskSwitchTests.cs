using static Emulator.Machine.Tests.Cpu.PagedCpuMachine;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// Hardware task switches (Intel SDM vol. 3, 7.3) with Iced-assembled code: JMP to a TSS, CALL through
/// a task gate and IRET back along the link, an exception through a task gate in the IDT with its
/// error code on the new task's stack, and the busy-TSS refusal.
/// </summary>
public class TaskSwitchTests
{
    private const ushort SecondTss = 0x30;
    private const ushort TaskGateSelector = 0x38;
    private const ushort GdtLimitWithTasks = TaskGateSelector + 7;
    private const uint SecondTssAddress = 0x6000;
    private const uint TaskCode = HandlerAddress + 0x3000;
    private const uint TaskStackTop = 0x6_0000;
    private const uint Record = 0x3200;
    private const int GeneralProtection = 13;
    private const byte GeneralProtectionVector = 13;

    // 32-bit TSS fields and descriptor bits.
    private const uint TssLink = 0x00;
    private const uint TssCr3 = 0x1C;
    private const uint TssEip = 0x20;
    private const uint TssEflags = 0x24;
    private const uint TssEax = 0x28;
    private const uint TssEsp = 0x38;
    private const uint TssEs = 0x48;
    private const uint TssLimit = 0x67;
    private const uint AvailableTss32High = 0x0000_8900;
    private const uint TaskGateHigh = 0x0000_8500;
    private const uint BusyBit = 0x200;
    private const uint NestedTask = 1 << 14;
    private const uint TaskSwitched = 1 << 3;

    [Test]
    public void JmpFar_ToTss_LoadsTheNewTaskAndSavesTheOld()
    {
        var machine = WithSecondTask(asm =>
        {
            asm.mov(__dword_ptr[Record], eax);
            asm.mov(__dword_ptr[Record + 4], esp);
            asm.pushfd();
            asm.pop(__dword_ptr[Record + 8]);
            asm.hlt();
        });
        machine.Load(asm =>
        {
            asm.mov(eax, 0xA11CE);
            asm.jmp(__fword_ptr[Record + 0x20]);
        });
        machine.WriteDwords(Record + 0x20, 0, SecondTss);

        machine.RunToHalt();

        Assert.Multiple(() =>
        {
            Assert.That(machine.Inner.ReadDword(Record), Is.EqualTo(0x7A5Cu), "EAX from the new TSS");
            Assert.That(machine.Inner.ReadDword(Record + 4), Is.EqualTo(TaskStackTop));
            Assert.That(machine.Inner.ReadDword(Record + 8) & NestedTask, Is.Zero, "JMP does not nest");
            Assert.That(machine.Inner.ReadDword(TssAddress + TssEax), Is.EqualTo(0xA11CEu), "the old task's EAX saved in its TSS");
            Assert.That(machine.Inner.ReadDword(TssAddress + TssEip), Is.EqualTo(CodeAddress + 11), "and its EIP after the JMP");
            Assert.That(machine.Registers.TaskRegister.Selector, Is.EqualTo(SecondTss));
            Assert.That(machine.Inner.ReadDword(GdtAddress + SecondTss + 4) & BusyBit, Is.EqualTo(BusyBit), "the new TSS is busy");
            Assert.That(machine.Inner.ReadDword(GdtAddress + TssSelector + 4) & BusyBit, Is.Zero, "the old one is not");
            Assert.That(machine.Registers.CR0 & TaskSwitched, Is.EqualTo(TaskSwitched));
        });
    }

    [Test]
    public void CallFar_ThroughTaskGate_NestsAndIretReturnsToTheCaller()
    {
        var machine = WithSecondTask(asm =>
        {
            asm.pushfd();
            asm.pop(__dword_ptr[Record + 4]);
            asm.mov(eax, 0xBEEF);
            asm.iretd();
        });
        machine.Load(asm =>
        {
            asm.mov(eax, 0xCAFE);
            asm.call(__fword_ptr[Record + 0x20]);
            asm.mov(__dword_ptr[Record], eax);
        });
        machine.WriteDwords(Record + 0x20, 0, TaskGateSelector);

        machine.RunToHalt();

        Assert.Multiple(() =>
        {
            Assert.That(machine.Inner.ReadDword(Record + 4) & NestedTask, Is.EqualTo(NestedTask), "the called task runs with NT");
            Assert.That(machine.Inner.ReadWord(SecondTssAddress + TssLink), Is.EqualTo(TssSelector), "linked back to the caller");
            Assert.That(machine.Inner.ReadDword(Record), Is.EqualTo(0xCAFEu), "IRET restored the caller's EAX after its CALL");
            Assert.That(machine.Registers.TaskRegister.Selector, Is.EqualTo(TssSelector));
            Assert.That(machine.Inner.ReadDword(SecondTssAddress + TssEax), Is.EqualTo(0xBEEFu), "the called task's state saved at IRET");
            Assert.That(machine.Inner.ReadDword(SecondTssAddress + TssEflags) & NestedTask, Is.Zero, "with NT cleared");
            Assert.That(machine.Inner.ReadDword(GdtAddress + SecondTss + 4) & BusyBit, Is.Zero, "the called task is free again");
        });
    }

    [Test]
    public void GeneralProtection_ThroughTaskGateInIdt_RunsTheTaskWithTheErrorCodeOnItsStack()
    {
        var machine = WithSecondTask(asm =>
        {
            asm.pop(__dword_ptr[Record]);
            asm.mov(__dword_ptr[Record + 4], esp);
            asm.hlt();
        });
        machine.WriteDwords(IdtAddress + (GeneralProtectionVector * 8u), (uint)SecondTss << 16, TaskGateHigh);
        machine.Load(asm =>
        {
            asm.mov(ax, 0x1234);
            asm.mov(ds, ax);
        });

        machine.RunToHalt();

        Assert.Multiple(() =>
        {
            Assert.That(machine.Inner.ReadDword(Record), Is.EqualTo(0x1234u), "#GP's error code: the selector with TI (no LDT)");
            Assert.That(machine.Inner.ReadDword(Record + 4), Is.EqualTo(TaskStackTop), "pushed on the new task's stack");
            Assert.That(machine.Inner.ReadDword(TssAddress + TssEip), Is.EqualTo(CodeAddress + 4), "the faulting MOV saved as the old task's EIP");
        });
    }

    [Test]
    public void JmpFar_ToBusyTss_GeneralProtectionNamingIt()
    {
        var machine = WithSecondTask(asm => asm.hlt());
        machine.WriteDwords(GdtAddress + SecondTss + 4, AvailableTss32High | BusyBit);
        machine.Load(asm => asm.jmp(__fword_ptr[Record + 0x20]));
        machine.WriteDwords(Record + 0x20, 0, SecondTss);

        machine.RunToHalt();

        Assert.That((machine.FaultVector, machine.FaultErrorCode), Is.EqualTo(((uint)GeneralProtection, (uint)SecondTss)));
    }

    /// <summary>A second 32-bit TSS (ring 0, flat, same page tables) whose task runs <paramref name="task"/>, and a task gate to it.</summary>
    private static PagedCpuMachine WithSecondTask(Action<Iced.Intel.Assembler> task)
    {
        var machine = new PagedCpuMachine();
        machine.Registers.GdtrLimit = GdtLimitWithTasks;
        machine.WriteDwords(GdtAddress + TssSelector + 4, AvailableTss32High | BusyBit); // the running task's TSS is busy, as LTR left it
        machine.WriteDwords(TssAddress + TssCr3, DirectoryAddress); // a switch does not save CR3: the OS puts it in every TSS

        machine.WriteDwords(GdtAddress + SecondTss, (SecondTssAddress << 16) | TssLimit, AvailableTss32High);
        machine.WriteDwords(GdtAddress + TaskGateSelector, (uint)SecondTss << 16, TaskGateHigh);
        machine.WriteDwords(SecondTssAddress + TssCr3, DirectoryAddress, TaskCode, 0x2, 0x7A5C);
        machine.WriteDwords(SecondTssAddress + TssEsp, TaskStackTop);
        machine.WriteDwords(SecondTssAddress + TssEs, KernelData, KernelCode, KernelData, KernelData, KernelData, KernelData, 0);
        machine.WriteCode(TaskCode, task);
        return machine;
    }
}
