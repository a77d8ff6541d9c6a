using System.Linq.Expressions;
using System.Reflection;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates the ALU group (ADD OR ADC SBB AND SUB XOR CMP TEST), INC DEC NOT NEG and the register
/// forms of the shifts and rotates. Flags come from the interpreter's own <see cref="Alu"/>,
/// <see cref="IntegerUnit.Neg"/> and <see cref="ShiftUnit.Compute"/>, so they are the same bits; when
/// the block's flag liveness proves no reader (and no exit) sees an instruction's flags, plain
/// arithmetic is emitted instead.
/// </summary>
internal static class AluEmitter
{
    private static readonly MethodInfo AddMethod = typeof(Alu).GetMethod(nameof(Alu.Add))!;
    private static readonly MethodInfo SubMethod = typeof(Alu).GetMethod(nameof(Alu.Sub))!;
    private static readonly MethodInfo LogicMethod = typeof(Alu).GetMethod(nameof(Alu.Logic))!;
    private static readonly MethodInfo IncDecMethod = typeof(Alu).GetMethod(nameof(Alu.IncDec))!;
    private static readonly MethodInfo NegMethod = typeof(IntegerUnit).GetMethod(nameof(IntegerUnit.Neg), BindingFlags.Static | BindingFlags.NonPublic)!;
    private static readonly MethodInfo ShiftMethod = typeof(ShiftUnit).GetMethod(nameof(ShiftUnit.Compute), BindingFlags.Static | BindingFlags.NonPublic)!;

    public static bool CanTranslate(in DecodedInstruction d) => d.Op switch
    {
        Op.Add or Op.Or or Op.Adc or Op.Sbb or Op.And or Op.Sub or Op.Xor or Op.Cmp or Op.Test =>
            (d.Form0 == OperandForm.Register && d.Form1 is OperandForm.Register or OperandForm.Immediate or OperandForm.Memory)
            || (d.Form0 == OperandForm.Memory && d.Form1 is OperandForm.Register or OperandForm.Immediate),
        Op.Inc or Op.Dec or Op.Not or Op.Neg => d.Form0 is OperandForm.Register or OperandForm.Memory,
        Op.Rol or Op.Ror or Op.Rcl or Op.Rcr or Op.Shl or Op.Shr or Op.Sar =>
            d.Form0 == OperandForm.Register && d.Form1 is OperandForm.Register or OperandForm.Immediate,
        _ => false,
    };

    public static Expression Binary(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var compare = d.Op is Op.Cmp or Op.Test;
        var newFlags = c.Temp("f");
        var result = c.Temp("res");
        var a = c.Temp("a");
        var statements = new List<Expression>();
        if (d.Form0 == OperandForm.Register)
        {
            statements.Add(Expression.Assign(a, c.ReadReg(d.Reg0, d.Shift0, size)));
            var b = d.Form1 == OperandForm.Immediate
                ? EmitContext.U(d.Imm)
                : c.Source(statements, index, bi, d.Form1, d.Reg1, d.Shift1, size);

            statements.Add(Compute(c, d.Op, a, b, size, bi.NeedFlags, newFlags, result));
            if (!compare)
            {
                statements.Add(c.WriteReg(d.Reg0, d.Shift0, size, result));
            }
        }
        else
        {
            var b = d.Form1 == OperandForm.Immediate ? EmitContext.U(d.Imm) : c.ReadReg(d.Reg1, d.Shift1, size);
            statements.Add(c.SetProgress(index));
            if (compare)
            {
                statements.Add(c.Read(index, bi.Offset, d.Seg, c.Offset(d), size, a));
                statements.Add(Compute(c, d.Op, a, b, size, bi.NeedFlags, newFlags, result));
            }
            else
            {
                var linear = c.Temp("lin");
                statements.Add(c.ReadForWrite(index, bi.Offset, d.Seg, c.Offset(d), size, linear, a));
                statements.Add(Compute(c, d.Op, a, b, size, bi.NeedFlags, newFlags, result));
                statements.Add(c.WriteBack(index, bi.Offset, linear, size, result));
            }
        }

        if (bi.NeedFlags)
        {
            statements.Add(Expression.Assign(c.Flags, newFlags));
        }

        return Expression.Block(statements);
    }

    public static Expression Unary(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var newFlags = c.Temp("f");
        var value = c.Temp("v");
        var result = c.Temp("res");
        var needFlags = bi.NeedFlags && d.Op != Op.Not;
        var statements = new List<Expression> { Expression.Assign(newFlags, c.Flags) };
        if (d.Form0 == OperandForm.Register)
        {
            statements.Add(Expression.Assign(value, c.ReadReg(d.Reg0, d.Shift0, size)));
            statements.Add(Expression.Assign(result, UnaryResult(d.Op, value, size, needFlags, newFlags)));
            statements.Add(c.WriteReg(d.Reg0, d.Shift0, size, result));
        }
        else
        {
            var linear = c.Temp("lin");
            statements.Add(c.SetProgress(index));
            statements.Add(c.ReadForWrite(index, bi.Offset, d.Seg, c.Offset(d), size, linear, value));
            statements.Add(Expression.Assign(result, UnaryResult(d.Op, value, size, needFlags, newFlags)));
            statements.Add(c.WriteBack(index, bi.Offset, linear, size, result));
        }

        if (needFlags)
        {
            statements.Add(Expression.Assign(c.Flags, newFlags));
        }

        return Expression.Block(statements);
    }

    /// <summary>A register shift or rotate: a masked count of zero changes nothing, flags included.</summary>
    public static Expression Shift(EmitContext c, in BlockInstruction bi)
    {
        var d = bi.D;
        int size = d.Size;
        var count = c.Temp("n");
        var countValue = d.Form1 == OperandForm.Immediate ? EmitContext.U(d.Imm) : c.ReadReg(d.Reg1, d.Shift1, 1);
        var shifted = Expression.Call(ShiftMethod, Expression.Constant(d.Op), c.ReadReg(d.Reg0, d.Shift0, size),
            Expression.Convert(count, typeof(int)), EmitContext.I(size), c.Flags);
        return Expression.Block(
            Expression.Assign(count, Expression.And(countValue, EmitContext.U(ShiftCountMask))),
            Expression.IfThen(
                Expression.NotEqual(count, EmitContext.U(0)),
                c.WriteReg(d.Reg0, d.Shift0, size, shifted)));
    }

    private const uint ShiftCountMask = 31;

    private static Expression Compute(EmitContext c, Op op, Expression a, Expression b, int size, bool needFlags, ParameterExpression newFlags, ParameterExpression result)
    {
        var mask = EmitContext.MaskOf(size);
        var carry = Expression.And(c.Flags, EmitContext.U(Eflags.Carry));
        if (!needFlags)
        {
            Expression value = op switch
            {
                Op.Add => Expression.And(Expression.Add(a, b), mask),
                Op.Adc => Expression.And(Expression.Add(Expression.Add(a, b), carry), mask),
                Op.Sub => Expression.And(Expression.Subtract(a, b), mask),
                Op.Sbb => Expression.And(Expression.Subtract(Expression.Subtract(a, b), carry), mask),
                Op.Or => Expression.Or(a, b),
                Op.Xor => Expression.ExclusiveOr(a, b),
                Op.And => Expression.And(a, b),
                _ => EmitContext.U(0),
            };
            return Expression.Assign(result, value);
        }

        var sizeArg = EmitContext.I(size);
        Expression call = op switch
        {
            Op.Add => Expression.Call(AddMethod, a, b, EmitContext.U(0), sizeArg, newFlags),
            Op.Adc => Expression.Call(AddMethod, a, b, carry, sizeArg, newFlags),
            Op.Sub or Op.Cmp => Expression.Call(SubMethod, a, b, EmitContext.U(0), sizeArg, newFlags),
            Op.Sbb => Expression.Call(SubMethod, a, b, carry, sizeArg, newFlags),
            Op.Or => Expression.Call(LogicMethod, Expression.Or(a, b), sizeArg, newFlags),
            Op.Xor => Expression.Call(LogicMethod, Expression.ExclusiveOr(a, b), sizeArg, newFlags),
            _ => Expression.Call(LogicMethod, Expression.And(a, b), sizeArg, newFlags),
        };
        return Expression.Block(Expression.Assign(newFlags, c.Flags), Expression.Assign(result, call));
    }

    private static Expression UnaryResult(Op op, ParameterExpression value, int size, bool needFlags, ParameterExpression newFlags)
    {
        var mask = EmitContext.MaskOf(size);
        if (!needFlags)
        {
            return op switch
            {
                Op.Inc => Expression.And(Expression.Add(value, EmitContext.U(1)), mask),
                Op.Dec => Expression.And(Expression.Subtract(value, EmitContext.U(1)), mask),
                Op.Not => Expression.And(Expression.Not(value), mask),
                _ => Expression.And(Expression.Subtract(EmitContext.U(0), value), mask),
            };
        }

        return op switch
        {
            Op.Inc => Expression.Call(IncDecMethod, value, Expression.Constant(false), EmitContext.I(size), newFlags),
            Op.Dec => Expression.Call(IncDecMethod, value, Expression.Constant(true), EmitContext.I(size), newFlags),
            _ => Expression.Call(NegMethod, value, EmitContext.I(size), newFlags),
        };
    }
}
