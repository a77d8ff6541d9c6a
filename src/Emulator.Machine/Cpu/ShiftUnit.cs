using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>
/// Shifts and rotates (ROL ROR RCL RCR SHL/SAL SHR SAR, SHLD SHRD). The count is masked to five bits
/// as on every CPU since the 286; a masked count of zero changes nothing, flags included. OF is
/// computed by the count-of-one formula for every count and AF is cleared: both are undefined for
/// other counts and a 386 leaves values the test vectors mask.
/// </summary>
internal sealed class ShiftUnit(ExecutionCore core)
{
    private const int CountMask = 31;
    private const int OverflowShift = 11;

    public bool Shift(ref DecodedInstruction d)
    {
        if (!core.TryReadOperand1(ref d, 1, out var countOperand))
        {
            return false;
        }

        var count = (int)countOperand & CountMask;
        if (count == 0)
        {
            // Nothing changes, but a memory operand is still addressed and limit-checked.
            return d.Form0 != OperandForm.Memory || core.TryMemoryLinear(ref d, d.Size, out _);
        }

        int size = d.Size;
        var flags = core.R.Flags;
        if (d.Form0 == OperandForm.Register)
        {
            core.WriteReg(d.Reg0, d.Shift0, size, Compute(d.Op, core.ReadReg(d.Reg0, d.Shift0, size), count, size, ref flags));
            core.R.Flags = flags;
            return true;
        }

        if (!core.TryMemoryLinear(ref d, size, out var linear)
            || !core.Mmu.TryReadForWrite(linear, size, out var value)
            || !core.Mmu.TryWrite(linear, size, Compute(d.Op, value, count, size, ref flags)))
        {
            return false;
        }

        core.R.Flags = flags;
        return true;
    }

    public bool DoubleShift(ref DecodedInstruction d)
    {
        var count = (int)(d.Instr.Op2Kind == OpKind.Register ? core.ReadReg(CpuRegisters.Ecx, 0, 1) : d.Imm) & CountMask;
        if (count == 0)
        {
            return true;
        }

        int size = d.Size;
        if (!core.TryReadRm0ForWrite(ref d, size, out var linear, out var destination))
        {
            return false;
        }

        var flags = core.R.Flags;
        var result = DoubleShiftResult(d.Op == Op.Shld, destination, core.ReadReg(d.Reg1, 0, size), count, size, ref flags);
        if (!core.WriteRm0Back(ref d, size, linear, result))
        {
            return false;
        }

        core.R.Flags = flags;
        return true;
    }

    /// <summary>SHLD/SHRD's result and flags for a masked, non-zero count (the translating tier calls it too).</summary>
    internal static uint DoubleShiftResult(bool left, uint destination, uint source, int count, int size, ref uint flags)
    {
        var bits = Alu.Bits(size);
        uint result;
        uint carry;
        if (left)
        {
            var wide = ((ulong)destination << bits) | source;
            result = (uint)((wide << count) >> bits) & Alu.Mask(size);
            carry = (uint)(wide >> (bits - count)) & 1;
        }
        else
        {
            var wide = ((ulong)source << bits) | destination;
            result = (uint)(wide >> count) & Alu.Mask(size);
            carry = (uint)(wide >> (count - 1)) & 1;
        }

        var overflow = ((result ^ destination) >> (bits - 1)) & 1;
        flags = (flags & ~Eflags.Status) | Alu.SignZeroParity(result, size) | carry | (overflow << OverflowShift);
        return result;
    }

    /// <summary>The result and flags of a shift or rotate by a masked, non-zero count (the translating tier calls it too).</summary>
    internal static uint Compute(Op op, uint value, int count, int size, ref uint flags)
    {
        var bits = Alu.Bits(size);
        var mask = Alu.Mask(size);
        var msb = bits - 1;
        uint result;
        uint carry;
        uint overflow;
        switch (op)
        {
            case Op.Rol:
            {
                var n = count % bits;
                result = ((value << n) | (value >> ((bits - n) % bits))) & mask;
                carry = result & 1;
                overflow = ((result >> msb) & 1) ^ carry;
                return RotateFlags(result, carry, overflow, ref flags);
            }

            case Op.Ror:
            {
                var n = count % bits;
                result = ((value >> n) | (value << ((bits - n) % bits))) & mask;
                carry = (result >> msb) & 1;
                overflow = carry ^ ((result >> (msb - 1)) & 1);
                return RotateFlags(result, carry, overflow, ref flags);
            }

            case Op.Rcl:
            {
                var n = count % (bits + 1);
                var wide = ((ulong)(flags & Eflags.Carry) << bits) | value;
                var wideMask = (1UL << (bits + 1)) - 1;
                var rotated = ((wide << n) | (wide >> ((bits + 1 - n) % (bits + 1)))) & wideMask;
                result = (uint)rotated & mask;
                carry = (uint)(rotated >> bits) & 1;
                overflow = ((result >> msb) & 1) ^ carry;
                return RotateFlags(result, carry, overflow, ref flags);
            }

            case Op.Rcr:
            {
                var n = count % (bits + 1);
                var wide = ((ulong)(flags & Eflags.Carry) << bits) | value;
                var wideMask = (1UL << (bits + 1)) - 1;
                var rotated = ((wide >> n) | (wide << ((bits + 1 - n) % (bits + 1)))) & wideMask;
                result = (uint)rotated & mask;
                carry = (uint)(rotated >> bits) & 1;
                overflow = ((result >> msb) ^ (result >> (msb - 1))) & 1;
                return RotateFlags(result, carry, overflow, ref flags);
            }

            case Op.Shl:
            {
                var wide = (ulong)value << count;
                result = (uint)wide & mask;
                carry = (uint)(wide >> bits) & 1;
                overflow = ((result >> msb) & 1) ^ carry;
                break;
            }

            case Op.Shr:
                result = (uint)((ulong)value >> count);
                carry = (uint)((ulong)value >> (count - 1)) & 1;
                overflow = (value >> msb) & 1;
                break;

            default:
            {
                var signed = (long)(value << (32 - bits)) << 32 >> (64 - bits);
                result = (uint)(signed >> count) & mask;
                carry = (uint)(signed >> (count - 1)) & 1;
                overflow = 0;
                break;
            }
        }

        flags = (flags & ~Eflags.Status) | Alu.SignZeroParity(result, size) | carry | (overflow << OverflowShift);
        return result;
    }

    private static uint RotateFlags(uint result, uint carry, uint overflow, ref uint flags)
    {
        flags = (flags & ~(Eflags.Carry | Eflags.Overflow)) | carry | (overflow << OverflowShift);
        return result;
    }
}
