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
    public void Binary(ref DecodedInstruction d)
    {
        int size = d.Size;
        var op = d.Op;
        var flags = core.R.Flags;
        if (d.Form0 == OperandForm.Register)
        {
            var a = core.ReadReg(d.Reg0, d.Shift0, size);
            var b = core.ReadOperand1(ref d, size);
            var r = Alu.Binary(op, a, b, size, ref flags);
            if (op is not (Op.Cmp or Op.Test))
            {
                core.WriteReg(d.Reg0, d.Shift0, size, r);
            }
        }
        else
        {
            var b = core.ReadOperand1(ref d, size);
            var linear = core.MemoryLinear(ref d, size);
            var r = Alu.Binary(op, core.Read(linear, size), b, size, ref flags);
            if (op is not (Op.Cmp or Op.Test))
            {
                core.Write(linear, size, r);
            }
        }

        core.R.Flags = flags;
    }

    public void Unary(ref DecodedInstruction d)
    {
        int size = d.Size;
        var flags = core.R.Flags;
        var linear = 0u;
        uint value;
        if (d.Form0 == OperandForm.Register)
        {
            value = core.ReadReg(d.Reg0, d.Shift0, size);
        }
        else
        {
            linear = core.MemoryLinear(ref d, size);
            value = core.Read(linear, size);
        }

        var result = d.Op switch
        {
            Op.Inc => Alu.IncDec(value, false, size, ref flags),
            Op.Dec => Alu.IncDec(value, true, size, ref flags),
            Op.Not => ~value & Alu.Mask(size),
            _ => Neg(value, size, ref flags),
        };

        if (d.Form0 == OperandForm.Register)
        {
            core.WriteReg(d.Reg0, d.Shift0, size, result);
        }
        else
        {
            core.Write(linear, size, result);
        }

        core.R.Flags = flags;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Mov(ref DecodedInstruction d)
    {
        int size = d.Size;
        if (d.Form0 == OperandForm.Register)
        {
            core.WriteReg(d.Reg0, d.Shift0, size, core.ReadOperand1(ref d, size));
        }
        else
        {
            var value = core.ReadOperand1(ref d, size);
            core.Write(core.MemoryLinear(ref d, size), size, value);
        }
    }

    public void MoveExtend(ref DecodedInstruction d, bool signed)
    {
        int sourceSize = d.Aux;
        var value = core.ReadOperand1(ref d, sourceSize);
        if (signed)
        {
            value = sourceSize == 1 ? (uint)(sbyte)value : (uint)(short)value;
        }

        core.WriteReg(d.Reg0, 0, d.Size, value & Alu.Mask(d.Size));
    }

    public void Lea(ref DecodedInstruction d) => core.WriteReg(d.Reg0, 0, d.Size, core.Offset(ref d));

    public void Exchange(ref DecodedInstruction d)
    {
        int size = d.Size;
        var b = core.ReadReg(d.Reg1, d.Shift1, size);
        if (d.Form0 == OperandForm.Register)
        {
            var a = core.ReadReg(d.Reg0, d.Shift0, size);
            core.WriteReg(d.Reg0, d.Shift0, size, b);
            core.WriteReg(d.Reg1, d.Shift1, size, a);
            return;
        }

        var linear = core.MemoryLinear(ref d, size);
        var memory = core.Read(linear, size);
        core.Write(linear, size, b);
        core.WriteReg(d.Reg1, d.Shift1, size, memory);
    }

    public void ExchangeAdd(ref DecodedInstruction d)
    {
        int size = d.Size;
        var flags = core.R.Flags;
        var source = core.ReadReg(d.Reg1, d.Shift1, size);
        var destination = core.ReadRm0(ref d, size);
        var sum = Alu.Add(destination, source, 0, size, ref flags);
        core.WriteReg(d.Reg1, d.Shift1, size, destination);
        core.WriteRm0(ref d, size, sum);
        core.R.Flags = flags;
    }

    public void CompareExchange(ref DecodedInstruction d)
    {
        int size = d.Size;
        var flags = core.R.Flags;
        var destination = core.ReadRm0(ref d, size);
        var accumulator = core.ReadReg(CpuRegisters.Eax, 0, size);
        Alu.Sub(accumulator, destination, 0, size, ref flags);
        if (accumulator == destination)
        {
            core.WriteRm0(ref d, size, core.ReadReg(d.Reg1, d.Shift1, size));
        }
        else
        {
            // The 486 writes the old value back to a memory destination even when the compare fails.
            core.WriteRm0(ref d, size, destination);
            core.WriteReg(CpuRegisters.Eax, 0, size, destination);
        }

        core.R.Flags = flags;
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

    public void SetCondition(ref DecodedInstruction d) => core.WriteRm0(ref d, 1, core.Condition(d.Aux) ? 1u : 0u);

    public void Lahf() => core.WriteReg(CpuRegisters.Eax, 8, 1, (core.R.Flags & Eflags.LowStatus) | Eflags.Reserved1);

    public void Sahf()
    {
        var ah = core.ReadReg(CpuRegisters.Eax, 8, 1);
        core.R.Flags = (core.R.Flags & ~Eflags.LowStatus) | (ah & Eflags.LowStatus) | Eflags.Reserved1;
    }

    public void Salc() => core.WriteReg(CpuRegisters.Eax, 0, 1, (core.R.Flags & Eflags.Carry) != 0 ? Alu.ByteMask : 0u);

    public void Xlat(ref DecodedInstruction d)
    {
        var offset = (core.Reg(CpuRegisters.Ebx) + (core.Reg(CpuRegisters.Eax) & Alu.ByteMask)) & d.AddrMask;
        core.WriteReg(CpuRegisters.Eax, 0, 1, core.Read(core.Linear(d.Seg, offset, 1), 1));
    }

    /// <summary>BT/BTS/BTR/BTC. A register bit offset addresses memory beyond the operand (signed, in operand-size units).</summary>
    public void BitTest(ref DecodedInstruction d)
    {
        int size = d.Size;
        var bits = Alu.Bits(size);
        var offset = core.ReadOperand1(ref d, size);
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

            linear = core.Linear(d.Seg, (core.Offset(ref d) + displacement) & d.AddrMask, size);
            value = core.Read(linear, size);
        }

        var mask = 1u << bit;
        var flags = core.R.Flags;
        core.R.Flags = (value & mask) != 0 ? flags | Eflags.Carry : flags & ~Eflags.Carry;
        var result = d.Op switch
        {
            Op.Bts => value | mask,
            Op.Btr => value & ~mask,
            Op.Btc => value ^ mask,
            _ => value,
        };

        if (d.Op == Op.Bt)
        {
            return;
        }

        if (d.Form0 == OperandForm.Register)
        {
            core.WriteReg(d.Reg0, 0, size, result);
        }
        else
        {
            core.Write(linear, size, result);
        }
    }

    /// <summary>BSF/BSR: ZF set and the destination left alone when the source is zero.</summary>
    public void BitScan(ref DecodedInstruction d, bool reverse)
    {
        int size = d.Size;
        var source = core.ReadOperand1(ref d, size);
        if (source == 0)
        {
            core.R.Flags |= Eflags.Zero;
            return;
        }

        core.R.Flags &= ~Eflags.Zero;
        var index = reverse ? 31 - BitOperations.LeadingZeroCount(source) : BitOperations.TrailingZeroCount(source);
        core.WriteReg(d.Reg0, 0, size, (uint)index);
    }

    private static uint Neg(uint value, int size, ref uint flags)
    {
        var result = Alu.Sub(0, value, 0, size, ref flags);
        flags = value != 0 ? flags | Eflags.Carry : flags & ~Eflags.Carry;
        return result;
    }

    private static uint BinaryPrimitivesReverse(uint value) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value);
}
