using System.Linq.Expressions;
using System.Reflection;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// The register forms of ROL ROR RCL RCR SHL SHR SAR as inline expressions, bit for bit
/// <see cref="ShiftUnit.Compute"/>: the count is masked to five bits and a masked count of zero changes
/// nothing, flags included; SHL/SHR/SAR write all six status flags (AF cleared, OF by the count-of-one
/// formula for every count), the rotates only CF and OF. An immediate count is folded at translation time
/// (a shift by a constant then also overwrites the flags for the liveness pass); a CL count is tested at
/// run time. RCL/RCR by CL (rare) call the interpreter's function. Flags are computed only for the bits
/// the liveness pass marked.
/// </summary>
internal static class ShiftEmitter
{
    private const int CountMask = 31;
    private const uint RotateFlags = Eflags.Carry | Eflags.Overflow;

    private static readonly MethodInfo ComputeMethod = typeof(ShiftUnit).GetMethod(nameof(ShiftUnit.Compute), BindingFlags.Static | BindingFlags.NonPublic)!;

    /// <summary>
    /// The flags the shift may write, those it certainly overwrites (none when the count may be zero) and
    /// those it reads (RCL/RCR rotate CF in).
    /// </summary>
    public static (uint Writes, uint Kills, uint Reads) FlagEffects(in DecodedInstruction d)
    {
        var writes = d.Op is Op.Shl or Op.Shr or Op.Sar ? Eflags.Status : RotateFlags;
        var reads = d.Op is Op.Rcl or Op.Rcr ? Eflags.Carry : 0;
        if (d.Form1 != OperandForm.Immediate)
        {
            return (writes, 0, reads);
        }

        return (d.Imm & CountMask) == 0 ? (0, 0, 0) : (writes, writes, reads);
    }

    public static Expression Emit(EmitContext c, in BlockInstruction bi)
    {
        var d = bi.D;
        int size = d.Size;
        var value = c.Temp("v");
        var result = c.Temp("res");
        var live = bi.LiveFlags;
        if (d.Form1 == OperandForm.Immediate)
        {
            var count = (int)(d.Imm & CountMask);
            if (count == 0)
            {
                return Expression.Empty();
            }

            var statements = new List<Expression> { Expression.Assign(value, c.ReadReg(d.Reg0, d.Shift0, size)) };
            statements.Add(Constant(c, d.Op, value, count, size, live, result));
            statements.Add(c.WriteReg(d.Reg0, d.Shift0, size, result));
            return Expression.Block(statements);
        }

        var n = c.Temp("n");
        Expression body;
        if (d.Op is Op.Rcl or Op.Rcr)
        {
            body = c.WriteReg(d.Reg0, d.Shift0, size, Expression.Call(ComputeMethod, Expression.Constant(d.Op), c.ReadReg(d.Reg0, d.Shift0, size),
                Expression.Convert(n, typeof(int)), EmitContext.I(size), c.Flags));
        }
        else
        {
            body = Expression.Block(
                Expression.Assign(value, c.ReadReg(d.Reg0, d.Shift0, size)),
                Variable(c, d.Op, value, Expression.Convert(n, typeof(int)), size, live, result),
                c.WriteReg(d.Reg0, d.Shift0, size, result));
        }

        return Expression.Block(
            Expression.Assign(n, Expression.And(c.ReadReg(d.Reg1, d.Shift1, 1), EmitContext.U(CountMask))),
            Expression.IfThen(Expression.NotEqual(n, EmitContext.U(0)), body));
    }

    /// <summary>A shift or rotate by a non-zero constant count: result into <paramref name="result"/>, the live flags into the flags local.</summary>
    private static Expression Constant(EmitContext c, Op op, ParameterExpression v, int count, int size, uint live, ParameterExpression result)
    {
        var bits = Alu.Bits(size);
        var mask = EmitContext.MaskOf(size);
        var msb = bits - 1;
        switch (op)
        {
            case Op.Shl:
            {
                Expression carry = count <= bits ? Bit(v, bits - count) : EmitContext.U(0);
                return ShiftResult(c, Expression.And(Expression.LeftShift(v, EmitContext.I(count)), mask), carry, overflow: null, size, live, result);
            }

            case Op.Shr:
                return ShiftResult(c, Expression.RightShift(v, EmitContext.I(count)), Bit(v, count - 1), Bit(v, msb), size, live, result);

            case Op.Sar:
            {
                var signed = SignExtend(v, size);
                return ShiftResult(c, Expression.And(Expression.Convert(Expression.RightShift(signed, EmitContext.I(count)), typeof(uint)), mask),
                    Expression.And(Expression.Convert(Expression.RightShift(signed, EmitContext.I(count - 1)), typeof(uint)), EmitContext.U(1)), EmitContext.U(0), size, live, result);
            }

            case Op.Rol or Op.Ror:
                return Rotate(c, op, v, EmitContext.I(count % bits), size, live, result);

            default:
                return RotateThroughCarry(c, op, v, count % (bits + 1), size, live, result);
        }
    }

    /// <summary>SHL/SHR/SAR/ROL/ROR by a run-time count in 1…31.</summary>
    private static Expression Variable(EmitContext c, Op op, ParameterExpression v, Expression count, int size, uint live, ParameterExpression result)
    {
        var bits = Alu.Bits(size);
        var mask = EmitContext.MaskOf(size);
        var one = EmitContext.I(1);
        switch (op)
        {
            case Op.Shl:
            {
                var wide = Expression.Variable(typeof(ulong), "w");
                var shifted = Expression.LeftShift(Expression.Convert(v, typeof(ulong)), count);
                return Expression.Block(
                    [wide],
                    Expression.Assign(wide, shifted),
                    ShiftResult(c, Expression.And(Expression.Convert(wide, typeof(uint)), mask),
                        Expression.And(Expression.Convert(Expression.RightShift(wide, EmitContext.I(bits)), typeof(uint)), EmitContext.U(1)), overflow: null, size, live, result));
            }

            case Op.Shr:
                return ShiftResult(c, Expression.RightShift(v, count),
                    Expression.And(Expression.RightShift(v, Expression.Subtract(count, one)), EmitContext.U(1)), Bit(v, bits - 1), size, live, result);

            case Op.Sar:
            {
                var signed = SignExtend(v, size);
                return ShiftResult(c, Expression.And(Expression.Convert(Expression.RightShift(signed, count), typeof(uint)), mask),
                    Expression.And(Expression.Convert(Expression.RightShift(signed, Expression.Subtract(count, one)), typeof(uint)), EmitContext.U(1)), EmitContext.U(0), size, live, result);
            }

            default:
                // count % bits: the operand sizes are powers of two.
                return Rotate(c, op, v, Expression.And(count, EmitContext.I(bits - 1)), size, live, result);
        }
    }

    /// <summary>SHL/SHR/SAR: result, then CF, OF (null: SHL's, the result's top bit xor CF), AF cleared and PF/ZF/SF of the result.</summary>
    private static Expression ShiftResult(EmitContext c, Expression value, Expression carry, Expression? overflow, int size, uint live, ParameterExpression result)
    {
        var assign = Expression.Assign(result, value);
        if (live == 0)
        {
            return assign;
        }

        var pieces = FlagsEmitter.ResultFlags(result, size, live);
        if ((live & (Eflags.Carry | Eflags.Overflow)) != 0)
        {
            var cf = c.Temp("cf");
            var statements = new List<Expression> { assign, Expression.Assign(cf, carry) };
            if ((live & Eflags.Carry) != 0)
            {
                pieces.Add(cf);
            }

            if ((live & Eflags.Overflow) != 0)
            {
                pieces.Add(FlagsEmitter.OverflowBitFrom(overflow ?? Expression.ExclusiveOr(Bit(result, Alu.Bits(size) - 1), cf)));
            }

            statements.Add(Expression.Assign(c.Flags, FlagsEmitter.Merge(c.Flags, live, pieces)));
            return Expression.Block(statements);
        }

        return Expression.Block(assign, Expression.Assign(c.Flags, FlagsEmitter.Merge(c.Flags, live, pieces)));
    }

    /// <summary>ROL/ROR by <paramref name="n"/> = count mod the operand size (zero still sets CF and OF from the unchanged value).</summary>
    private static Expression Rotate(EmitContext c, Op op, ParameterExpression v, Expression n, int size, uint live, ParameterExpression result)
    {
        var bits = Alu.Bits(size);
        var msb = bits - 1;
        var back = Expression.And(Expression.Subtract(EmitContext.I(bits), n), EmitContext.I(bits - 1));
        var rotated = op == Op.Rol
            ? Expression.Or(Expression.LeftShift(v, n), Expression.RightShift(v, back))
            : Expression.Or(Expression.RightShift(v, n), Expression.LeftShift(v, back));
        var assign = Expression.Assign(result, Expression.And(rotated, EmitContext.MaskOf(size)));
        if (live == 0)
        {
            return assign;
        }

        // ROL: CF = bit 0, OF = top bit xor CF; ROR: CF = top bit, OF = the two top bits' xor.
        var carry = op == Op.Rol ? Bit(result, 0) : Bit(result, msb);
        var overflow = op == Op.Rol
            ? Expression.ExclusiveOr(Bit(result, msb), Bit(result, 0))
            : Expression.ExclusiveOr(Bit(result, msb), Bit(result, msb - 1));
        return Expression.Block(assign, Expression.Assign(c.Flags, RotateMerge(c, carry, overflow, live)));
    }

    /// <summary>RCL/RCR by <paramref name="n"/> = count mod (size + 1): CF is the bit above the operand.</summary>
    private static Expression RotateThroughCarry(EmitContext c, Op op, ParameterExpression v, int n, int size, uint live, ParameterExpression result)
    {
        var bits = Alu.Bits(size);
        var msb = bits - 1;
        var wide = Expression.Variable(typeof(ulong), "w");
        var rotated = Expression.Variable(typeof(ulong), "rot");
        var wideMask = Expression.Constant((1UL << (bits + 1)) - 1);
        Expression turned = n == 0 ? wide
            : op == Op.Rcl
                ? Expression.Or(Expression.LeftShift(wide, EmitContext.I(n)), Expression.RightShift(wide, EmitContext.I(bits + 1 - n)))
                : Expression.Or(Expression.RightShift(wide, EmitContext.I(n)), Expression.LeftShift(wide, EmitContext.I(bits + 1 - n)));
        var statements = new List<Expression>
        {
            Expression.Assign(wide, Expression.Or(
                Expression.LeftShift(Expression.Convert(Expression.And(c.Flags, EmitContext.U(Eflags.Carry)), typeof(ulong)), EmitContext.I(bits)),
                Expression.Convert(v, typeof(ulong)))),
            Expression.Assign(rotated, Expression.And(turned, wideMask)),
            Expression.Assign(result, Expression.And(Expression.Convert(rotated, typeof(uint)), EmitContext.MaskOf(size))),
        };
        if (live != 0)
        {
            var carry = Expression.And(Expression.Convert(Expression.RightShift(rotated, EmitContext.I(bits)), typeof(uint)), EmitContext.U(1));
            var overflow = op == Op.Rcl
                ? Expression.ExclusiveOr(Bit(result, msb), carry)
                : Expression.ExclusiveOr(Bit(result, msb), Bit(result, msb - 1));
            statements.Add(Expression.Assign(c.Flags, RotateMerge(c, carry, overflow, live)));
        }

        return Expression.Block([wide, rotated], statements);
    }

    private static Expression RotateMerge(EmitContext c, Expression carry, Expression overflow, uint live)
    {
        var pieces = new List<Expression>();
        if ((live & Eflags.Carry) != 0)
        {
            pieces.Add(carry);
        }

        if ((live & Eflags.Overflow) != 0)
        {
            pieces.Add(FlagsEmitter.OverflowBitFrom(overflow));
        }

        return FlagsEmitter.Merge(c.Flags, live & RotateFlags, pieces);
    }

    /// <summary>Bit <paramref name="index"/> of <paramref name="value"/> as 0 or 1.</summary>
    private static Expression Bit(Expression value, int index) =>
        Expression.And(index == 0 ? value : Expression.RightShift(value, EmitContext.I(index)), EmitContext.U(1));

    /// <summary>The operand as a signed 32-bit value.</summary>
    private static Expression SignExtend(Expression value, int size)
    {
        var spare = EmitContext.I(32 - Alu.Bits(size));
        return Expression.RightShift(Expression.Convert(Expression.LeftShift(value, spare), typeof(int)), spare);
    }
}
