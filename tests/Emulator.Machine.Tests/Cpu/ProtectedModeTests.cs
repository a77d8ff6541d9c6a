using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Machine.Tests.Cpu;

/// <summary>
/// The round trip a firmware thunk or a 32-bit boot loader makes: LGDT/LIDT, set CR0.PE, far jump into
/// flat 32-bit code, take an interrupt through an IDT gate, far jump to a 16-bit segment, clear PE,
/// far jump back to real mode, and keep a 4 GiB data limit in FS afterwards (unreal mode).
/// </summary>
public class ProtectedModeTests
{
    private const uint GdtAddress = 0x8000;
    private const uint IdtAddress = 0x8100;
    private const ushort Code32Selector = 0x08;
    private const ushort Data32Selector = 0x10;
    private const ushort Code16Selector = 0x18;
    private const ushort BigData16Selector = 0x20;
    private const uint Code32Address = 0x1_1000;
    private const uint Handler32Address = 0x1_1800;
    private const ushort ExitOffset = 0x200;
    private const ushort RealAgainOffset = 0x300;
    private const byte GateVector = 0x20;
    private const uint HighMemory = 0x15_0000;
    private const uint Marker = 0xC0DE_1234;
    private const uint HandlerMarker = 0x600D_F00D;

    // Descriptor halves (Intel SDM vol. 3, 3.4.5): limit 15:0 and base 15:0 in the low dword;
    // base 23:16, access byte, flags/limit 19:16 and base 31:24 in the high dword.
    private const uint FlatLimitLow = 0x0000_FFFF;
    private const uint Code32FlatHigh = 0x00CF_9A00;
    private const uint Data32FlatHigh = 0x00CF_9200;
    private const uint Code16At10000High = 0x0000_9A01;
    private const uint Data16BigLimitHigh = 0x008F_9200;
    private const uint InterruptGate32 = 0x8E00;
    private const ushort TableLimit = 0x27;
    private const ushort IdtLimit = 0x7FF;
    private const byte GeneralProtectionVector = 13;
    private const ushort BadSelector = 0x80;

    [Test]
    public void RealToFlat32AndBack_WithIdtInterrupt_KeepsUnrealLimit()
    {
        var machine = new CpuTestMachine();
        WriteTables(machine, GateVector, Handler32Address);
        machine.Memory.Write(Code32Address, CpuTestMachine.Assemble(32, Code32Address, asm =>
        {
            asm.mov(ax, Data32Selector);
            asm.mov(ds, ax);
            asm.mov(es, ax);
            asm.mov(ss, ax);
            asm.mov(esp, 0x9_0000);
            asm.mov(__dword_ptr[HighMemory], Marker);
            asm.@int(GateVector);
            asm.mov(ax, BigData16Selector);
            asm.mov(fs, ax);
            asm.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1616, Code16Selector, ExitOffset));
        }));
        machine.Memory.Write(Handler32Address, CpuTestMachine.Assemble(32, Handler32Address, asm =>
        {
            asm.mov(ebx, HandlerMarker);
            asm.iretd();
        }));
        WriteCode16(machine, ExitOffset, asm =>
        {
            asm.mov(eax, cr0);
            asm.and(eax, ~1);
            asm.mov(cr0, eax);
            asm.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1616, CpuTestMachine.CodeSegment, RealAgainOffset));
        });
        WriteCode16(machine, RealAgainOffset, asm =>
        {
            asm.mov(ax, CpuTestMachine.StackSegment);
            asm.mov(ss, ax);
            asm.mov(sp, CpuTestMachine.StackTop);
            asm.mov(esi, HighMemory);
            asm.mov(ecx, __dword_ptr.fs[esi]);
            asm.hlt();
        });
        machine.Load16(asm =>
        {
            asm.cli();
            asm.lgdt(__fword_ptr[0]);
            asm.lidt(__fword_ptr[8]);
            asm.mov(eax, cr0);
            asm.or(eax, 1);
            asm.mov(cr0, eax);
            asm.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1632, Code32Selector, Code32Address));
        });

        machine.RunToHalt();

        Assert.That(machine.ReadDword(HighMemory), Is.EqualTo(Marker), "32-bit code wrote above 1 MiB");
        Assert.That(machine.Registers.EBX, Is.EqualTo(HandlerMarker), "INT went through the IDT gate");
        Assert.That(machine.Registers.ProtectedMode, Is.False);
        Assert.That(machine.Registers.CS, Is.EqualTo(CpuTestMachine.CodeSegment));
        Assert.That(machine.Registers.ECX, Is.EqualTo(Marker), "FS kept its 4 GiB limit in real mode");
    }

    [Test]
    public void LoadSegment_SelectorPastGdtInFlat32_RaisesGeneralProtectionWithErrorCode()
    {
        var machine = new CpuTestMachine();
        WriteTables(machine, GeneralProtectionVector, Handler32Address);
        var setup = CpuTestMachine.Assemble(32, Code32Address, asm =>
        {
            asm.mov(ax, Data32Selector);
            asm.mov(ds, ax);
            asm.mov(ss, ax);
            asm.mov(esp, 0x9_0000);
            asm.mov(ax, BadSelector);
        });
        var faultingEip = Code32Address + (uint)setup.Length;
        machine.Memory.Write(Code32Address, setup);
        machine.Memory.Write(faultingEip, CpuTestMachine.Assemble(32, faultingEip, asm => asm.mov(es, ax)));
        machine.Memory.Write(Handler32Address, CpuTestMachine.Assemble(32, Handler32Address, asm =>
        {
            asm.pop(ecx);
            asm.pop(edx);
            asm.hlt();
        }));
        machine.Load16(asm =>
        {
            asm.cli();
            asm.lgdt(__fword_ptr[0]);
            asm.lidt(__fword_ptr[8]);
            asm.mov(eax, cr0);
            asm.or(eax, 1);
            asm.mov(cr0, eax);
            asm.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1632, Code32Selector, Code32Address));
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.ECX, Is.EqualTo(BadSelector), "error code = the selector's index");
        Assert.That(machine.Registers.EDX, Is.EqualTo(faultingEip), "pushed EIP is the faulting MOV ES");
    }

    [Test]
    public void Flat32Code_CallsPushesAndRepMovsd_UseFullWidthRegisters()
    {
        const uint source = 0x12_0000;
        const uint destination = 0x13_0000;
        var machine = new CpuTestMachine();
        WriteTables(machine, GateVector, Handler32Address);
        machine.Memory.Write(source, [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]);
        machine.Memory.Write(Code32Address, CpuTestMachine.Assemble(32, Code32Address, asm =>
        {
            var sum = asm.CreateLabel();
            asm.mov(ax, Data32Selector);
            asm.mov(ds, ax);
            asm.mov(es, ax);
            asm.mov(ss, ax);
            asm.mov(esp, 0x9_0000);
            asm.cld();
            asm.mov(esi, source);
            asm.mov(edi, destination);
            asm.mov(ecx, 4);
            asm.rep.movsd();
            asm.push(destination);
            asm.call(sum);
            asm.add(esp, 4);
            asm.mov(ebx, eax);
            asm.hlt();
            asm.Label(ref sum);
            asm.mov(edx, __dword_ptr[esp + 4]);
            asm.xor(eax, eax);
            asm.add(eax, __dword_ptr[edx]);
            asm.add(eax, __dword_ptr[edx + 4]);
            asm.add(eax, __dword_ptr[edx + 8]);
            asm.add(eax, __dword_ptr[edx + 12]);
            asm.ret();
        }));
        machine.Load16(asm =>
        {
            asm.cli();
            asm.lgdt(__fword_ptr[0]);
            asm.mov(eax, cr0);
            asm.or(eax, 1);
            asm.mov(cr0, eax);
            asm.AddInstruction(Instruction.CreateBranch(Code.Jmp_ptr1632, Code32Selector, Code32Address));
        });

        machine.RunToHalt();

        Assert.That(machine.Registers.EBX, Is.EqualTo(10));
        Assert.That(machine.Registers.ESP, Is.EqualTo(0x9_0000));
        Assert.That(machine.Registers.EDI, Is.EqualTo(destination + 16));
    }

    private static void WriteCode16(CpuTestMachine machine, ushort offset, Action<Assembler> build) =>
        machine.Memory.Write(CpuTestMachine.Physical(CpuTestMachine.CodeSegment, offset), CpuTestMachine.Assemble(16, offset, build));

    private static void WriteTables(CpuTestMachine machine, byte vector, uint handler)
    {
        uint[] gdt =
        [
            0, 0,
            FlatLimitLow, Code32FlatHigh,
            FlatLimitLow, Data32FlatHigh,
            FlatLimitLow, Code16At10000High,
            FlatLimitLow, Data16BigLimitHigh,
        ];
        var bytes = new byte[gdt.Length * 4];
        Buffer.BlockCopy(gdt, 0, bytes, 0, bytes.Length);
        machine.Memory.Write(GdtAddress, bytes);

        var gateAddress = IdtAddress + (vector * 8u);
        var gate = new byte[8];
        BitConverter.TryWriteBytes(gate.AsSpan(0), ((uint)Code32Selector << 16) | (handler & 0xFFFF));
        BitConverter.TryWriteBytes(gate.AsSpan(4), (handler & 0xFFFF_0000) | InterruptGate32);
        machine.Memory.Write(gateAddress, gate);

        var data = CpuTestMachine.Physical(CpuTestMachine.DataSegment, 0);
        var pointers = new byte[16];
        BitConverter.TryWriteBytes(pointers.AsSpan(0), TableLimit);
        BitConverter.TryWriteBytes(pointers.AsSpan(2), GdtAddress);
        BitConverter.TryWriteBytes(pointers.AsSpan(8), IdtLimit);
        BitConverter.TryWriteBytes(pointers.AsSpan(10), IdtAddress);
        machine.Memory.Write(data, pointers);
    }
}
