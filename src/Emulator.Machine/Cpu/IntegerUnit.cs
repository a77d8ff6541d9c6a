using System.Numerics;
using System.Runtime.CompilerServices;

namespace Emulator.Machine.Cpu;

/// <summary>
/// Integer data instructions: the ALU group, INC/DEC/NOT/NEG, moves and exchanges, sign extension,
/// flag instructions, SETcc, the bit instructions (BT/BTS/BTR/BTC/BSF/BSR), SALC and XLAT.
/// </summary>
internal sealed class IntegerUnit(ExecutionCore core)
{
    private const int DwordBitShift = 5;
    private const int WordBitShift = 4;

    /// <summary>ADD OR ADC SBB AND SUB XOR CMP TEST with any operand form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Binary(ref DecodedInstruction d)
    {
        int size = d.Size;
        var op = d.Op;
        var flags = core.R.Flags;
        if (d.Form0 == OperandForm.Register)
        {
            var a = core.ReadReg(d.Reg0, d.Shift0, size);
            if (!core.TryReadOperand1(ref d, size, out var b))
            {
                return false;
            }

            var r = Alu.Binary(op, a, b, size, ref flags);
            if (op is not (Op.Cmp or Op.Test))
            {
                core.WriteReg(d.Reg0, d.Shift0, size, r);
            }
        }
        else
        {
            var b = d.Form1 == OperandForm.Immediate ? d.Imm : core.ReadReg(d.Reg1, d.Shift1, size);
            if (!core.TryMemoryLinear(ref d, size, out var linear))
            {
                return false;
            }

            if (op is Op.Cmp or Op.Test)
            {
                if (!core.Mmu.TryRead(linear, size, out var a))
                {
                    return false;
                }

                Alu.Binary(op, a, b, size, ref flags);
            }
            else if (!core.Mmu.TryReadForWrite(linear, size, out var a) || !core.Mmu.TryWrite(linear, size, Alu.Binary(op, a, b, size, ref flags)))
            {
                return false;
            }
        }

        core.R.Flags = flags;
        return true;
    }

    /// <summary>INC DEC NOT NEG; the register form stays free of the memory path's calls (it runs in every counted loop).</summary>
    public bool Unary(ref DecodedInstruction d)
    {
        int size = d.Size;
        var flags = core.R.Flags;
        if (d.Form0 == OperandForm.Register)
        {
            var result = UnaryResult(d.Op, core.ReadReg(d.Reg0, d.Shift0, size), size, ref flags);
            core.WriteReg(d.Reg0, d.Shift0, size, result);
            core.R.Flags = flags;
            return true;
        }

        if (!core.TryMemoryLinear(ref d, size, out var linear)
            || !core.Mmu.TryReadForWrite(linear, size, out var value)
            || !core.Mmu.TryWrite(linear, size, UnaryResult(d.Op, value, size, ref flags)))
        {
            return false;
        }

        core.R.Flags = flags;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Mov(ref DecodedInstruction d)
    {
        int size = d.Size;
        if (!core.TryReadOperand1(ref d, size, out var value))
        {
            return false;
        }

        if (d.Form0 == OperandForm.Register)
        {
            core.WriteReg(d.Reg0, d.Shift0, size, value);
            return true;
        }

        return core.TryWrite(d.Seg, core.Offset(ref d), size, value);
    }

    public bool MoveExtend(ref DecodedInstruction d, bool signed)
    {
        int sourceSize = d.Aux;
        if (!core.TryReadOperand1(ref d, sourceSize, out var value))
        {
            return false;
        }

        if (signed)
        {
            value = sourceSize == 1 ? (uint)(sbyte)value : (uint)(short)value;
        }

        core.WriteReg(d.Reg0, 0, d.Size, value & Alu.Mask(d.Size));
        return true;
    }

    public void Lea(ref DecodedInstruction d) => core.WriteReg(d.Reg0, 0, d.Size, core.Offset(ref d));

    public bool Exchange(ref DecodedInstruction d)
    {
        int size = d.Size;
        var b = core.ReadReg(d.Reg1, d.Shift1, size);
        if (d.Form0 == OperandForm.Register)
        {
            var a = core.ReadReg(d.Reg0, d.Shift0, size);
            core.WriteReg(d.Reg0, d.Shift0, size, b);
            core.WriteReg(d.Reg1, d.Shift1, size, a);
            return true;
        }

        if (!core.TryReadRm0ForWrite(ref d, size, out var linear, out var memory) || !core.Mmu.TryWrite(linear, size, b))
        {
            return false;
        }

        core.WriteReg(d.Reg1, d.Shift1, size, memory);
        return true;
    }

    /// <summary>XADD: the memory (or r/m register) destination is written before the source register, which gets the old value.</summary>
    public bool ExchangeAdd(ref DecodedInstruction d)
    {
        int size = d.Size;
        var flags = core.R.Flags;
        var source = core.ReadReg(d.Reg1, d.Shift1, size);
        if (!core.TryReadRm0ForWrite(ref d, size, out var linear, out var destination))
        {
            return false;
        }

        var sum = Alu.Add(destination, source, 0, size, ref flags);
        if (d.Form0 == OperandForm.Register)
        {
            core.WriteReg(d.Reg1, d.Shift1, size, destination);
            core.WriteReg(d.Reg0, d.Shift0, size, sum);
        }
        else if (core.Mmu.TryWrite(linear, size, sum))
        {
            core.WriteReg(d.Reg1, d.Shift1, size, destination);
        }
        else
        {
            return false;
        }

        core.R.Flags = flags;
        return true;
    }

    public bool CompareExchange(ref DecodedInstruction d)
    {
        int size = d.Size;
        var flags = core.R.Flags;
        if (!core.TryReadRm0ForWrite(ref d, size, out var linear, out var destination))
        {
            return false;
        }

        var accumulator = core.ReadReg(CpuRegisters.Eax, 0, size);
        Alu.Sub(accumulator, destination, 0, size, ref flags);
        if (accumulator == destination)
        {
            if (!core.WriteRm0Back(ref d, size, linear, core.ReadReg(d.Reg1, d.Shift1, size)))
            {
                return false;
            }
        }
        else
        {
            // The 486 writes the old value back to a memory destination even when the compare fails.
            if (!core.WriteRm0Back(ref d, size, linear, destination))
            {
                return false;
            }

            core.WriteReg(CpuRegisters.Eax, 0, size, destination);
        }

        core.R.Flags = flags;
        return true;
    }

    /// <summary>
    /// CMPXCHG8B m64: EDX:EAX against the quadword; equal, ZF set and ECX:EBX stored; otherwise ZF clear,
    /// the quadword loaded into EDX:EAX and written back unchanged (the locked cycle always writes).
    /// Both halves are translated with write intent before anything changes, so a fault leaves no trace.
    /// </summary>
    public bool CompareExchange8(ref DecodedInstruction d)
    {
        const int Half = 4;
        if (d.Form0 != OperandForm.Memory)
        {
            return core.Raise(ExceptionVector.InvalidOpcode);
        }

        if (!core.TryMemoryLinear(ref d, 2 * Half, out var linear)
            || !core.Mmu.TryCheckWrite(linear, 2 * Half)
            || !core.Mmu.TryReadForWrite(linear, Half, out var low)
            || !core.Mmu.TryReadForWrite(linear + Half, Half, out var high))
        {
            return false;
        }

        var equal = low == core.Reg(CpuRegisters.Eax) && high == core.Reg(CpuRegisters.Edx);
        if (equal)
        {
            low = core.Reg(CpuRegisters.Ebx);
            high = core.Reg(CpuRegisters.Ecx);
        }

        if (!core.Mmu.TryWrite(linear, Half, low) || !core.Mmu.TryWrite(linear + Half, Half, high))
        {
            return false;
        }

        if (equal)
        {
            core.R.Flags |= Eflags.Zero;
        }
        else
        {
            core.Reg(CpuRegisters.Eax) = low;
            core.Reg(CpuRegisters.Edx) = high;
            core.R.Flags &= ~Eflags.Zero;
        }

        return true;
    }

    public void ByteSwap(ref DecodedInstruction d)
    {
        ref var reg = ref core.Reg(d.Reg0);
        reg = d.Size == 4 ? BinaryPrimitivesReverse(reg) : reg & Alu.HighWordMask;
    }

    /// <summary>CBW/CWDE: sign-extend the low half of the accumulator into the whole.</summary>
    public void ConvertAccumulator(ref DecodedInstruction d)
    {
        ref var eax = ref core.Reg(CpuRegisters.Eax);
        if (d.Size == 4)
        {
            eax = (uint)(short)eax;
        }
        else
        {
            eax = (eax & Alu.HighWordMask) | ((uint)(sbyte)eax & Alu.WordMask);
        }
    }

    /// <summary>CWD/CDQ: fill DX/EDX with the accumulator's sign.</summary>
    public void ConvertToDouble(ref DecodedInstruction d)
    {
        var bits = Alu.Bits(d.Size);
        var negative = ((core.Reg(CpuRegisters.Eax) >> (bits - 1)) & 1) != 0;
        core.WriteReg(CpuRegisters.Edx, 0, d.Size, negative ? Alu.DwordMask : 0);
    }

    public bool SetCondition(ref DecodedInstruction d) => core.TryWriteRm0(ref d, 1, core.Condition(d.Aux) ? 1u : 0u);

    /// <summary>CMOVcc: the source is read (and may fault) whatever the condition; the register changes only when it holds.</summary>
    public bool ConditionalMove(ref DecodedInstruction d)
    {
        if (!core.TryReadOperand1(ref d, d.Size, out var value))
        {
            return false;
        }

        if (core.Condition(d.Aux))
        {
            core.WriteReg(d.Reg0, 0, d.Size, value);
        }

        return true;
    }

    public void Lahf() => core.WriteReg(CpuRegisters.Eax, 8, 1, (core.R.Flags & Eflags.LowStatus) | Eflags.Reserved1);

    public void Sahf()
    {
        var ah = core.ReadReg(CpuRegisters.Eax, 8, 1);
        core.R.Flags = (core.R.Flags & ~Eflags.LowStatus) | (ah & Eflags.LowStatus) | Eflags.Reserved1;
    }

    public void Salc() => core.WriteReg(CpuRegisters.Eax, 0, 1, (core.R.Flags & Eflags.Carry) != 0 ? Alu.ByteMask : 0u);

    public bool Xlat(ref DecodedInstruction d)
    {
        var offset = (core.Reg(CpuRegisters.Ebx) + (core.Reg(CpuRegisters.Eax) & Alu.ByteMask)) & d.AddrMask;
        if (!core.TryRead(d.Seg, offset, 1, out var value))
        {
            return false;
        }

        core.WriteReg(CpuRegisters.Eax, 0, 1, value);
        return true;
    }

    /// <summary>BT/BTS/BTR/BTC. A register bit offset addresses memory beyond the operand (signed, in operand-size units).</summary>
    public bool BitTest(ref DecodedInstruction d)
    {
        int size = d.Size;
        var bits = Alu.Bits(size);
        if (!core.TryReadOperand1(ref d, size, out var offset))
        {
            return false;
        }

        uint linear = 0;
        uint value;
        int bit;
        if (d.Form0 == OperandForm.Register)
        {
            bit = (int)(offset & (uint)(bits - 1));
            value = core.ReadReg(d.Reg0, 0, size);
        }
        else
        {
            var displacement = 0u;
            if (d.Form1 == OperandForm.Register)
            {
                var signed = size == 4 ? (int)offset : (short)offset;
                displacement = (uint)((signed >> (size == 4 ? DwordBitShift : WordBitShift)) * size);
                bit = signed & (bits - 1);
            }
            else
            {
                bit = (int)(offset & (uint)(bits - 1));
            }

            if (!core.TryLinear(d.Seg, (core.Offset(ref d) + displacement) & d.AddrMask, size, out linear))
            {
                return false;
            }

            var read = d.Op == Op.Bt ? core.Mmu.TryRead(linear, size, out value) : core.Mmu.TryReadForWrite(linear, size, out value);
            if (!read)
            {
                return false;
            }
        }

        var mask = 1u << bit;
        var result = d.Op switch
        {
            Op.Bts => value | mask,
            Op.Btr => value & ~mask,
            Op.Btc => value ^ mask,
            _ => value,
        };

        if (d.Op != Op.Bt)
        {
            if (d.Form0 == OperandForm.Register)
            {
                core.WriteReg(d.Reg0, 0, size, result);
            }
            else if (!core.Mmu.TryWrite(linear, size, result))
            {
                return false;
            }
        }

        var flags = core.R.Flags;
        core.R.Flags = (value & mask) != 0 ? flags | Eflags.Carry : flags & ~Eflags.Carry;
        return true;
    }

    /// <summary>BSF/BSR: ZF set and the destination left alone when the source is zero.</summary>
    public bool BitScan(ref DecodedInstruction d, bool reverse)
    {
        int size = d.Size;
        if (!core.TryReadOperand1(ref d, size, out var source))
        {
            return false;
        }

        if (source == 0)
        {
            core.R.Flags |= Eflags.Zero;
            return true;
        }

        core.R.Flags &= ~Eflags.Zero;
        var index = reverse ? 31 - BitOperations.LeadingZeroCount(source) : BitOperations.TrailingZeroCount(source);
        core.WriteReg(d.Reg0, 0, size, (uint)index);
        return true;
    }

    private static uint UnaryResult(Op op, uint value, int size, ref uint flags) => op switch
    {
        Op.Inc => Alu.IncDec(value, false, size, ref flags),
        Op.Dec => Alu.IncDec(value, true, size, ref flags),
        Op.Not => ~value & Alu.Mask(size),
        _ => Neg(value, size, ref flags),
    };

    /// <summary>NEG: 0 − value, CF set unless the value is zero (the translating tier calls it too).</summary>
    internal static uint Neg(uint value, int size, ref uint flags)
    {
        var result = Alu.Sub(0, value, 0, size, ref flags);
        flags = value != 0 ? flags | Eflags.Carry : flags & ~Eflags.Carry;
        return result;
    }

    private static uint BinaryPrimitivesReverse(uint value) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value);
}
