using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Emulator.Machine.Bus;
using Emulator.Machine.Memory;
using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>
/// The state and access paths every execution unit shares: registers, operand and memory access with
/// segment limit checks, the stack, and the halt/interrupt-shadow latches. Segment loading and
/// interrupt delivery live in <see cref="SegmentUnit"/> and <see cref="InterruptUnit"/>.
/// </summary>
internal sealed class ExecutionCore
{
    public const int Es = (int)SegmentRegister.ES;
    public const int Cs = (int)SegmentRegister.CS;
    public const int Ss = (int)SegmentRegister.SS;
    public const int Ds = (int)SegmentRegister.DS;

    private const uint Word = 0xFFFF;

    public ExecutionCore(CpuRegisters registers, GuestMemory memory, IoPortBus ports)
    {
        R = registers;
        Gpr = registers.Gpr;
        Seg = registers.Seg;
        Memory = memory;
        Ports = ports;
    }

    public CpuRegisters R { get; }

    public uint[] Gpr { get; }

    public SegmentCache[] Seg { get; }

    public GuestMemory Memory { get; }

    public IoPortBus Ports { get; }

    /// <summary>Set by HLT; cleared when an interrupt is delivered or on reset.</summary>
    public bool Halted { get; set; }

    /// <summary>Set by STI (when IF was clear), MOV SS and POP SS: no interrupt before the next instruction.</summary>
    public bool InterruptShadow { get; set; }

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

    /// <summary>Linear address of <paramref name="size"/> bytes at <paramref name="segment"/>:<paramref name="offset"/>; #GP past the limit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Linear(int segment, uint offset, int size)
    {
        ref var s = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Seg), segment);
        if (offset > s.Limit - (uint)(size - 1))
        {
            throw ExceptionVector.GeneralProtectionFault();
        }

        return s.Base + offset;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint MemoryLinear(ref DecodedInstruction d, int size) => Linear(d.Seg, Offset(ref d), size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Read(uint linear, int size) => size switch
    {
        1 => Memory.ReadByte(linear),
        2 => Memory.ReadWord(linear),
        _ => Memory.ReadDword(linear),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(uint linear, int size, uint value)
    {
        switch (size)
        {
            case 1:
                Memory.WriteByte(linear, (byte)value);
                break;
            case 2:
                Memory.WriteWord(linear, (ushort)value);
                break;
            default:
                Memory.WriteDword(linear, value);
                break;
        }
    }

    /// <summary>Reads operand 0 (register or memory) at <paramref name="size"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadRm0(ref DecodedInstruction d, int size) => d.Form0 == OperandForm.Register
        ? ReadReg(d.Reg0, d.Shift0, size)
        : Read(MemoryLinear(ref d, size), size);

    /// <summary>Reads operand 1 (register, memory or immediate, the latter pre-masked to the operand size) at <paramref name="size"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadOperand1(ref DecodedInstruction d, int size) => d.Form1 switch
    {
        OperandForm.Register => ReadReg(d.Reg1, d.Shift1, size),
        OperandForm.Immediate => d.Imm,
        _ => Read(MemoryLinear(ref d, size), size),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteRm0(ref DecodedInstruction d, int size, uint value)
    {
        if (d.Form0 == OperandForm.Register)
        {
            WriteReg(d.Reg0, d.Shift0, size, value);
        }
        else
        {
            Write(MemoryLinear(ref d, size), size, value);
        }
    }

    /// <summary>Pushes <paramref name="size"/> bytes; SP changes only once the write succeeded.</summary>
    public void Push(uint value, int size)
    {
        var mask = StackMask;
        ref var sp = ref Reg(CpuRegisters.Esp);
        var newSp = (sp - (uint)size) & mask;
        Write(Linear(Ss, newSp, size), size, value);
        sp = (sp & ~mask) | newSp;
    }

    public uint Pop(int size)
    {
        var mask = StackMask;
        ref var sp = ref Reg(CpuRegisters.Esp);
        var value = Read(Linear(Ss, sp & mask, size), size);
        sp = (sp & ~mask) | ((sp + (uint)size) & mask);
        return value;
    }

    /// <summary>Reads the stack <paramref name="depth"/> bytes above SP without popping.</summary>
    public uint PeekStack(uint depth, int size) => Read(Linear(Ss, (Reg(CpuRegisters.Esp) + depth) & StackMask, size), size);

    /// <summary>Adds <paramref name="bytes"/> to SP or ESP (RET imm16, LEAVE, ENTER).</summary>
    public void AdjustStack(uint bytes)
    {
        var mask = StackMask;
        ref var sp = ref Reg(CpuRegisters.Esp);
        sp = (sp & ~mask) | ((sp + bytes) & mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Condition(int code)
    {
        var f = R.Flags;
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
}
