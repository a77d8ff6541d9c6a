namespace Emulator.Machine.Cpu;

/// <summary>
/// MUL, IMUL (one, two and three operands), DIV and IDIV with #DE on a zero divisor or a quotient that
/// does not fit, and the BCD adjustments DAA DAS AAA AAS AAM AAD. Flags the manuals call undefined
/// get fixed values: after MUL/IMUL, SF ZF PF follow the low half of the product and AF is cleared;
/// DIV and IDIV leave every flag alone.
/// </summary>
internal sealed class MultiplyUnit(ExecutionCore core)
{
    private const uint LowNibble = 0x0F;
    private const uint LowAdjust = 0x06;
    private const uint HighDecimalAdjust = 0x60;
    private const uint UnpackedCarry = 0x106;
    private const uint HighByteOne = 0x100;
    private const uint LargestLowDigit = 9;
    private const uint LargestPackedByte = 0x99;
    private const int ByteBits = 8;
    private const uint ByteSign = 0x80;

    /// <summary>AAA/AAS keep AH and the low nibble of AL.</summary>
    private const uint UnpackedResultMask = 0xFF0F;

    /// <summary>One-operand MUL/IMUL: the accumulator times r/m into AX, DX:AX or EDX:EAX.</summary>
    public bool MultiplyAccumulator(ref DecodedInstruction d, bool signed)
    {
        int size = d.Size;
        var bits = Alu.Bits(size);
        var a = core.ReadReg(CpuRegisters.Eax, 0, size);
        if (!core.TryReadRm0(ref d, size, out var b))
        {
            return false;
        }

        var flags = core.R.Flags;
        var product = AccumulatorProduct(a, b, size, signed, ref flags);
        var low = (uint)product & Alu.Mask(size);
        var high = (uint)(product >> bits) & Alu.Mask(size);
        if (size == 1)
        {
            core.WriteReg(CpuRegisters.Eax, 0, 2, (uint)product & Alu.WordMask);
        }
        else
        {
            core.WriteReg(CpuRegisters.Eax, 0, size, low);
            core.WriteReg(CpuRegisters.Edx, 0, size, high);
        }

        core.R.Flags = flags;
        return true;
    }

    /// <summary>Two- and three-operand IMUL: the product truncated to the destination size.</summary>
    public bool MultiplySigned(ref DecodedInstruction d)
    {
        int size = d.Size;
        if (!core.TryReadOperand1(ref d, size, out var operand))
        {
            return false;
        }

        // Three operands: r/m times the immediate; two: the destination register times r/m.
        var (a, b) = d.Instr.OpCount == 3 ? (operand, d.Imm & Alu.Mask(size)) : (core.ReadReg(d.Reg0, 0, size), operand);
        var flags = core.R.Flags;
        core.WriteReg(d.Reg0, 0, size, TruncatedProduct(a, b, size, ref flags));
        core.R.Flags = flags;
        return true;
    }

    /// <summary>
    /// One-operand MUL/IMUL's double-width product of <paramref name="a"/> and <paramref name="b"/> (operand
    /// size), with CF/OF set when the high half is significant; shared with the translating tier.
    /// </summary>
    internal static ulong AccumulatorProduct(uint a, uint b, int size, bool signed, ref uint flags)
    {
        ulong product;
        bool overflow;
        if (signed)
        {
            var p = SignExtend(a, size) * SignExtend(b, size);
            product = (ulong)p;
            overflow = p != SignExtend((uint)p & Alu.Mask(size), size);
        }
        else
        {
            product = (ulong)a * b;
            overflow = product >> Alu.Bits(size) != 0;
        }

        flags = MultiplyFlags(flags, (uint)product & Alu.Mask(size), size, overflow);
        return product;
    }

    /// <summary>Two- and three-operand IMUL's product truncated to the operand size, and its flags; shared with the translating tier.</summary>
    internal static uint TruncatedProduct(uint a, uint b, int size, ref uint flags)
    {
        var p = SignExtend(a, size) * SignExtend(b, size);
        var result = (uint)p & Alu.Mask(size);
        flags = MultiplyFlags(flags, result, size, p != SignExtend(result, size));
        return result;
    }

    public bool Divide(ref DecodedInstruction d, bool signed)
    {
        int size = d.Size;
        if (!core.TryReadRm0(ref d, size, out var divisor))
        {
            return false;
        }

        ulong dividend = size == 1
            ? core.ReadReg(CpuRegisters.Eax, 0, 2)
            : ((ulong)core.ReadReg(CpuRegisters.Edx, 0, size) << Alu.Bits(size)) | core.ReadReg(CpuRegisters.Eax, 0, size);
        if (!TryDivide(dividend, divisor, size, signed, out var quotient, out var remainder))
        {
            return core.Raise(ExceptionVector.DivideError);
        }

        if (size == 1)
        {
            core.WriteReg(CpuRegisters.Eax, 0, 2, quotient | (remainder << ByteBits));
        }
        else
        {
            core.WriteReg(CpuRegisters.Eax, 0, size, quotient);
            core.WriteReg(CpuRegisters.Edx, 0, size, remainder);
        }

        return true;
    }

    /// <summary>
    /// DIV/IDIV of the double-width <paramref name="dividend"/> (AX, DX:AX or EDX:EAX) by <paramref name="divisor"/>
    /// (operand size): false, for #DE, on a zero divisor or a quotient that does not fit; shared with the translating tier.
    /// </summary>
    internal static bool TryDivide(ulong dividend, uint divisor, int size, bool signed, out uint quotient, out uint remainder)
    {
        var bits = Alu.Bits(size);
        quotient = 0;
        remainder = 0;
        if (divisor == 0)
        {
            return false;
        }

        if (signed)
        {
            var wideDividend = (long)(dividend << (64 - (2 * bits))) >> (64 - (2 * bits));
            var wideDivisor = SignExtend(divisor, size);
            if (wideDividend == long.MinValue && wideDivisor == -1)
            {
                return false;
            }

            var q = wideDividend / wideDivisor;
            var limit = 1L << (bits - 1);
            if (q >= limit || q < -limit)
            {
                return false;
            }

            quotient = (uint)q & Alu.Mask(size);
            remainder = (uint)(wideDividend % wideDivisor) & Alu.Mask(size);
            return true;
        }

        var unsignedQuotient = dividend / divisor;
        if (unsignedQuotient >> bits != 0)
        {
            return false;
        }

        quotient = (uint)unsignedQuotient;
        remainder = (uint)(dividend % divisor);
        return true;
    }

    public void DecimalAdjust(bool subtract)
    {
        var flags = core.R.Flags;
        var al = core.ReadReg(CpuRegisters.Eax, 0, 1);
        var oldAl = al;
        var oldCarry = (flags & Eflags.Carry) != 0;
        var carry = false;
        var adjust = false;
        if ((al & LowNibble) > LargestLowDigit || (flags & Eflags.Adjust) != 0)
        {
            carry = oldCarry || (subtract ? al < LowAdjust : al + LowAdjust > Alu.ByteMask);
            al = (subtract ? al - LowAdjust : al + LowAdjust) & Alu.ByteMask;
            adjust = true;
        }

        if (oldAl > LargestPackedByte || oldCarry)
        {
            al = (subtract ? al - HighDecimalAdjust : al + HighDecimalAdjust) & Alu.ByteMask;
            carry = true;
        }

        var overflow = subtract ? ((oldAl ^ al) & oldAl & ByteSign) != 0 : ((oldAl ^ al) & al & ByteSign) != 0;
        core.WriteReg(CpuRegisters.Eax, 0, 1, al);
        core.R.Flags = (flags & ~Eflags.Status) | Alu.SignZeroParity(al, 1)
            | (carry ? Eflags.Carry : 0) | (adjust ? Eflags.Adjust : 0) | (overflow ? Eflags.Overflow : 0);
    }

    /// <summary>AAA/AAS: the 286 and later adjust AX as a whole (AAA adds 106h), then keep only AL's low nibble.</summary>
    public void AsciiAdjust(bool subtract)
    {
        var flags = core.R.Flags;
        var ax = core.ReadReg(CpuRegisters.Eax, 0, 2);
        var adjust = (ax & LowNibble) > LargestLowDigit || (flags & Eflags.Adjust) != 0;
        if (adjust)
        {
            // AAS subtracts 6 from AX as a whole (a borrow reaches AH) and then one more from AH.
            ax = subtract
                ? (ax - LowAdjust - HighByteOne) & Alu.WordMask
                : (ax + UnpackedCarry) & Alu.WordMask;
        }

        ax &= UnpackedResultMask;
        core.WriteReg(CpuRegisters.Eax, 0, 2, ax);
        var f = flags & ~(Eflags.Carry | Eflags.Adjust);
        core.R.Flags = adjust ? f | Eflags.Carry | Eflags.Adjust : f;
    }

    public bool AsciiAdjustMultiply(ref DecodedInstruction d)
    {
        var divisor = d.Imm & Alu.ByteMask;
        if (divisor == 0)
        {
            return core.Raise(ExceptionVector.DivideError);
        }

        var al = core.ReadReg(CpuRegisters.Eax, 0, 1);
        var result = al % divisor;
        core.WriteReg(CpuRegisters.Eax, 0, 2, ((al / divisor) << ByteBits) | result);
        core.R.Flags = (core.R.Flags & ~Eflags.Status) | Alu.SignZeroParity(result, 1);
        return true;
    }

    public void AsciiAdjustDivide(ref DecodedInstruction d)
    {
        var ax = core.ReadReg(CpuRegisters.Eax, 0, 2);
        var flags = core.R.Flags;
        var product = ((ax >> ByteBits) * (d.Imm & Alu.ByteMask)) & Alu.ByteMask;
        var result = Alu.Add(ax & Alu.ByteMask, product, 0, 1, ref flags);
        core.WriteReg(CpuRegisters.Eax, 0, 2, result);
        core.R.Flags = flags;
    }

    private static long SignExtend(uint value, int size) => size switch
    {
        1 => (sbyte)value,
        2 => (short)value,
        _ => (int)value,
    };

    private static uint MultiplyFlags(uint flags, uint low, int size, bool overflow)
    {
        var f = Alu.SignZeroParity(low, size);
        if (overflow)
        {
            f |= Eflags.Carry | Eflags.Overflow;
        }

        return (flags & ~Eflags.Status) | f;
    }
}
