using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Emulator.Machine.Bus;
using Emulator.Machine.Memory;
using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>
/// The state and access paths every execution unit shares: registers, operand and memory access with
/// segment limit checks (through the <see cref="MemoryUnit"/>), the stack, the fault latch and the
/// halt/interrupt-shadow latches. Accessors return false after latching a fault; callers return false
/// in turn and commit nothing (docs/cpu-memory-unit.md). Segment loading and
/// interrupt delivery live in <see cref="SegmentUnit"/> and <see cref="InterruptUnit"/>.
/// </summary>
internal sealed class ExecutionCore
{
    public const int Es = (int)SegmentRegister.ES;
    public const int Cs = (int)SegmentRegister.CS;
    public const int Ss = (int)SegmentRegister.SS;
    public const int Ds = (int)SegmentRegister.DS;

    public const int SelectorRplMask = 3;

    private const int IoplShift = 12;

    /// <summary>Where a 32-bit TSS holds the offset of its I/O permission bitmap.</summary>
    private const uint TssBitmapOffsetField = 0x66;

    private int _cpl;

    private const uint Word = 0xFFFF;

    public ExecutionCore(CpuRegisters registers, GuestMemory memory, IoPortBus ports)
    {
        R = registers;
        Gpr = registers.Gpr;
        Seg = registers.Seg;
        Mmu = new MemoryUnit(this, registers, memory);
        Ports = ports;
    }

    public CpuRegisters R { get; }

    public uint[] Gpr { get; }

    public SegmentCache[] Seg { get; }

    /// <summary>Every guest memory access goes through here (docs/cpu-memory-unit.md).</summary>
    public MemoryUnit Mmu { get; }

    /// <summary>The x87 register file (the FPU unit executes on it; reset and the board's FERR#/IGNNE# wiring reach it through <see cref="X86Cpu"/>).</summary>
    public Fpu.X87State Fpu { get; } = new();

    /// <summary>The fault latched by the last unit that returned false.</summary>
    public CpuFault Fault { get; private set; }

    public IoPortBus Ports { get; }

    /// <summary>What RDTSC reads (set by <see cref="X86Cpu.TimeStampCounter"/>).</summary>
    public Func<ulong> TimeStampCounter { get; set; } = static () => 0;

    /// <summary>Added to <see cref="TimeStampCounter"/> for what the guest sees; WRMSR to the TSC changes it.</summary>
    public ulong TimeStampOffset { get; set; }

    /// <summary>The guest's TSC (RDTSC, RDMSR 10h).</summary>
    public ulong ReadTimeStampCounter() => TimeStampCounter() + TimeStampOffset;

    /// <summary>WRMSR 10h: the counter continues from <paramref name="value"/>.</summary>
    public void WriteTimeStampCounter(ulong value) => TimeStampOffset = value - TimeStampCounter();

    /// <summary>Set by HLT; cleared when an interrupt is delivered or on reset.</summary>
    public bool Halted { get; set; }

    /// <summary>Set by STI (when IF was clear), MOV SS and POP SS: no interrupt before the next instruction.</summary>
    public bool InterruptShadow { get; set; }

    /// <summary>
    /// The current privilege level: 0 in real mode; in protected mode the level the last CS load in
    /// protected mode established (CS.RPL then equals it), 0 right after CR0.PE is set, as on the
    /// hardware, whatever the low bits of the real-mode CS selector were.
    /// </summary>
    public int Cpl => R.ProtectedMode ? _cpl : 0;

    /// <summary>The IP/EIP mask of the current code segment: 16-bit code wraps IP at 64 KiB.</summary>
    public uint IpMask => Seg[Cs].Big ? Alu.DwordMask : Word;

    /// <summary>The SP/ESP mask of the current stack segment (SS.B).</summary>
    public uint StackMask => Seg[Ss].Big ? Alu.DwordMask : Word;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref uint Reg(int index) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Gpr), index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadReg(int index, int shift, int size)
    {
        var value = Reg(index);
        return size switch
        {
            4 => value,
            2 => value & Word,
            _ => (value >> shift) & Alu.ByteMask,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteReg(int index, int shift, int size, uint value)
    {
        ref var slot = ref Reg(index);
        switch (size)
        {
            case 4:
                slot = value;
                break;
            case 2:
                slot = (slot & ~Word) | (value & Word);
                break;
            default:
                var mask = Alu.ByteMask << shift;
                slot = (slot & ~mask) | ((value << shift) & mask);
                break;
        }
    }

    /// <summary>The offset of the instruction's memory operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Offset(ref DecodedInstruction d)
    {
        var offset = d.Disp;
        if (d.Base != DecodedInstruction.NoRegister)
        {
            offset += Reg(d.Base);
        }

        if (d.Index != DecodedInstruction.NoRegister)
        {
            offset += Reg(d.Index) << d.Scale;
        }

        return offset & d.AddrMask;
    }

    /// <summary>
    /// Linear address of <paramref name="size"/> bytes at <paramref name="segment"/>:<paramref name="offset"/>;
    /// past the limit #GP(0), or #SS(0) for SS in protected mode. Real mode keeps #GP for SS too: the
    /// 286 real-mode vectors record #GP there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLinear(int segment, uint offset, int size, out uint linear)
    {
        ref var s = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Seg), segment);
        linear = s.Base + offset;
        return offset <= s.Limit - (uint)(size - 1) || RaiseLimitFault(segment);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryMemoryLinear(ref DecodedInstruction d, int size, out uint linear) => TryLinear(d.Seg, Offset(ref d), size, out linear);

    /// <summary>Reads <paramref name="size"/> bytes at <paramref name="segment"/>:<paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead(int segment, uint offset, int size, out uint value)
    {
        if (!TryLinear(segment, offset, size, out var linear))
        {
            value = 0;
            return false;
        }

        return Mmu.TryRead(linear, size, out value);
    }

    /// <summary>Writes <paramref name="size"/> bytes at <paramref name="segment"/>:<paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(int segment, uint offset, int size, uint value) =>
        TryLinear(segment, offset, size, out var linear) && Mmu.TryWrite(linear, size, value);

    /// <summary>Reads operand 0 (register or memory) at <paramref name="size"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadRm0(ref DecodedInstruction d, int size, out uint value)
    {
        if (d.Form0 == OperandForm.Register)
        {
            value = ReadReg(d.Reg0, d.Shift0, size);
            return true;
        }

        return TryRead(d.Seg, Offset(ref d), size, out value);
    }

    /// <summary>
    /// Reads operand 0 of a read-modify-write instruction: a memory operand is translated with write
    /// intent and its linear address returned, so the write back cannot fault.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadRm0ForWrite(ref DecodedInstruction d, int size, out uint linear, out uint value)
    {
        if (d.Form0 == OperandForm.Register)
        {
            linear = 0;
            value = ReadReg(d.Reg0, d.Shift0, size);
            return true;
        }

        if (!TryMemoryLinear(ref d, size, out linear))
        {
            value = 0;
            return false;
        }

        return Mmu.TryReadForWrite(linear, size, out value);
    }

    /// <summary>Writes operand 0 after <see cref="TryReadRm0ForWrite"/> proved the access.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool WriteRm0Back(ref DecodedInstruction d, int size, uint linear, uint value)
    {
        if (d.Form0 == OperandForm.Register)
        {
            WriteReg(d.Reg0, d.Shift0, size, value);
            return true;
        }

        return Mmu.TryWrite(linear, size, value);
    }

    /// <summary>Reads operand 1 (register, memory or immediate, the latter pre-masked to the operand size) at <paramref name="size"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadOperand1(ref DecodedInstruction d, int size, out uint value)
    {
        switch (d.Form1)
        {
            case OperandForm.Register:
                value = ReadReg(d.Reg1, d.Shift1, size);
                return true;
            case OperandForm.Immediate:
                value = d.Imm;
                return true;
            default:
                return TryRead(d.Seg, Offset(ref d), size, out value);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWriteRm0(ref DecodedInstruction d, int size, uint value)
    {
        if (d.Form0 == OperandForm.Register)
        {
            WriteReg(d.Reg0, d.Shift0, size, value);
            return true;
        }

        return TryWrite(d.Seg, Offset(ref d), size, value);
    }

    /// <summary>Pushes <paramref name="size"/> bytes; SP changes only once the write succeeded.</summary>
    public bool TryPush(uint value, int size)
    {
        var mask = StackMask;
        ref var sp = ref Reg(CpuRegisters.Esp);
        var newSp = (sp - (uint)size) & mask;
        if (!TryWrite(Ss, newSp, size, value))
        {
            return false;
        }

        sp = (sp & ~mask) | newSp;
        return true;
    }

    /// <summary>Pops <paramref name="size"/> bytes; SP changes only once the read succeeded.</summary>
    public bool TryPop(int size, out uint value)
    {
        var mask = StackMask;
        ref var sp = ref Reg(CpuRegisters.Esp);
        if (!TryRead(Ss, sp & mask, size, out value))
        {
            return false;
        }

        sp = (sp & ~mask) | ((sp + (uint)size) & mask);
        return true;
    }

    /// <summary>Reads the stack <paramref name="depth"/> bytes above SP without popping.</summary>
    public bool TryPeekStack(uint depth, int size, out uint value) =>
        TryRead(Ss, (Reg(CpuRegisters.Esp) + depth) & StackMask, size, out value);

    /// <summary>Adds <paramref name="bytes"/> to SP or ESP (RET imm16, LEAVE, ENTER).</summary>
    public void AdjustStack(uint bytes)
    {
        var mask = StackMask;
        ref var sp = ref Reg(CpuRegisters.Esp);
        sp = (sp & ~mask) | ((sp + bytes) & mask);
    }

    /// <summary>Records the privilege a CS load established (0 for real-mode loads and reset).</summary>
    public void SetCpl(int cpl) => _cpl = cpl;

    /// <summary>Latches <paramref name="vector"/> as the instruction's fault and returns false, so a unit can <c>return Raise(...)</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool Raise(byte vector, int errorCode = ExceptionVector.NoErrorCode, uint address = 0)
    {
        Fault = new CpuFault(vector, errorCode, address);
        return false;
    }

    public bool RaiseGeneralProtection(int errorCode) => Raise(ExceptionVector.GeneralProtection, errorCode);


    /// <summary>Privileged instructions (MOV CRn, LGDT, LIDT, LMSW, CLTS, HLT, INVLPG, LTR): #GP(0) unless CPL is 0.</summary>
    public bool RequireCpl0() => Cpl == 0 || RaiseGeneralProtection(0);

    /// <summary>IOPL-sensitive instructions without an I/O port (CLI, STI): #GP(0) when CPL &gt; IOPL.</summary>
    public bool RequireIopl() => Cpl <= (int)((R.Flags & Eflags.IoplMask) >> IoplShift) || RaiseGeneralProtection(0);

    /// <summary>
    /// IN, OUT, INS, OUTS on <paramref name="size"/> bytes at <paramref name="port"/> (Intel SDM vol. 1, 19.5):
    /// allowed when CPL ≤ IOPL; otherwise every bit for those ports in the current 32-bit TSS's I/O
    /// permission bitmap must be clear. The bitmap starts at the 16-bit offset at TSS+66h; the processor
    /// reads two bytes there, both of which must lie within the TSS limit. A 16-bit TSS has no bitmap.
    /// Anything else is #GP(0); a page fault reading the bitmap is raised as such.
    /// </summary>
    public bool RequireIoPermission(ushort port, int size)
    {
        if (Cpl <= (int)((R.Flags & Eflags.IoplMask) >> IoplShift))
        {
            return true;
        }

        var tr = R.TaskRegister;
        if (!DescriptorAccess.IsTss32(tr.Access) || tr.Limit < TssBitmapOffsetField + 1)
        {
            return RaiseGeneralProtection(0);
        }

        if (!Mmu.TryReadSystem(tr.Base + TssBitmapOffsetField, 2, out var bitmapOffset))
        {
            return false;
        }

        var byteOffset = bitmapOffset + ((uint)port >> 3);
        if (byteOffset + 1 > tr.Limit)
        {
            return RaiseGeneralProtection(0);
        }

        if (!Mmu.TryReadSystem(tr.Base + byteOffset, 2, out var bits))
        {
            return false;
        }

        var wanted = ((1u << size) - 1) << (port & 7);
        return (bits & wanted) == 0 || RaiseGeneralProtection(0);
    }

    /// <summary>
    /// Instructions the current <see cref="X86Cpu.Run"/> has started so far (a device or RDTSC inside a run
    /// reads the count through <see cref="X86Cpu.InstructionsSoFar"/>); translated blocks keep it exact too.
    /// </summary>
    public long Progress;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Condition(int code) => Condition(code, R.Flags);

    /// <summary>Whether condition code <paramref name="code"/> (Iced's <see cref="ConditionCode"/>) holds for <paramref name="f"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Condition(int code, uint f)
    {
        return (ConditionCode)code switch
        {
            ConditionCode.o => (f & Eflags.Overflow) != 0,
            ConditionCode.no => (f & Eflags.Overflow) == 0,
            ConditionCode.b => (f & Eflags.Carry) != 0,
            ConditionCode.ae => (f & Eflags.Carry) == 0,
            ConditionCode.e => (f & Eflags.Zero) != 0,
            ConditionCode.ne => (f & Eflags.Zero) == 0,
            ConditionCode.be => (f & (Eflags.Carry | Eflags.Zero)) != 0,
            ConditionCode.a => (f & (Eflags.Carry | Eflags.Zero)) == 0,
            ConditionCode.s => (f & Eflags.Sign) != 0,
            ConditionCode.ns => (f & Eflags.Sign) == 0,
            ConditionCode.p => (f & Eflags.Parity) != 0,
            ConditionCode.np => (f & Eflags.Parity) == 0,
            ConditionCode.l => SignNotOverflow(f),
            ConditionCode.ge => !SignNotOverflow(f),
            ConditionCode.le => (f & Eflags.Zero) != 0 || SignNotOverflow(f),
            _ => (f & Eflags.Zero) == 0 && !SignNotOverflow(f),
        };
    }

    /// <summary>Sets IP/EIP to <paramref name="target"/> masked by the operand size of the transfer.</summary>
    public void Branch(uint target, int operandSize) => R.EIP = operandSize == 4 ? target : target & Word;

    private static bool SignNotOverflow(uint flags) => ((flags & Eflags.Sign) != 0) != ((flags & Eflags.Overflow) != 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RaiseLimitFault(int segment) =>
        segment == Ss && R.ProtectedMode ? Raise(ExceptionVector.StackFault, 0) : RaiseGeneralProtection(0);
}
