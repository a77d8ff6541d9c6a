using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates the ALU group (ADD OR ADC SBB AND SUB XOR CMP TEST), INC DEC NOT NEG and (through
/// <see cref="ShiftEmitter"/>) the register forms of the shifts and rotates. Results and flags are inline expressions
/// (<see cref="FlagsEmitter"/>, the same bits as the interpreter's <see cref="Alu"/> and
/// <see cref="IntegerUnit.Neg"/>), computed only for the flags the block's liveness pass says something can
/// observe; with none, plain arithmetic.
/// </summary>
internal static class AluEmitter
{
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

        // Flags only an exit can observe are left to the exits (DeferredFlags): computed here are those a later instruction reads.
        var live = bi.LiveFlags & ~bi.ExitOnlyFlags;
        Expression operand;
        if (d.Form0 == OperandForm.Register)
        {
            statements.Add(Expression.Assign(a, c.ReadReg(d.Reg0, d.Shift0, size)));
            var b = d.Form1 == OperandForm.Immediate
                ? EmitContext.U(d.Imm)
                : c.Source(statements, index, bi, d.Form1, d.Reg1, d.Shift1, size);

            // A deferring writer keeps its operand past the register write (ADD ECX,ECX would otherwise replay the sum).
            operand = bi.ExitOnlyFlags != 0 && b is ParameterExpression ? Copy(c, statements, b) : Operand(c, statements, b);
            statements.Add(Compute(c, d.Op, a, operand, size, live, newFlags, result));
            if (!compare)
            {
                statements.Add(c.WriteReg(d.Reg0, d.Shift0, size, result));
            }
        }
        else
        {
            var b = d.Form1 == OperandForm.Immediate ? EmitContext.U(d.Imm) : c.ReadReg(d.Reg1, d.Shift1, size);
            if (compare)
            {
                statements.Add(c.Read(index, bi.Offset, d.Seg, c.Offset(d), size, a));
                operand = Operand(c, statements, b);
                statements.Add(Compute(c, d.Op, a, operand, size, live, newFlags, result));
            }
            else
            {
                var linear = c.Temp("lin");
                statements.Add(c.ReadForWrite(index, bi.Offset, d.Seg, c.Offset(d), size, linear, a));
                operand = Operand(c, statements, b);
                statements.Add(Compute(c, d.Op, a, operand, size, live, newFlags, result));
                statements.Add(c.WriteBack(index, bi.Offset, linear, size, result));
            }
        }

        if (live != 0)
        {
            statements.Add(Expression.Assign(c.Flags, newFlags));
        }

        if (bi.ExitOnlyFlags != 0)
        {
            // After the last possible fault: until then the exits still see the previous writer's operands.
            var logic = DeferredFlags.Replayed(d.Op) != d.Op;
            statements.Add(Expression.Assign(c.DeferredA, logic ? result : a));
            statements.Add(Expression.Assign(c.DeferredB, logic ? EmitContext.U(0) : operand));
            c.Deferred = true;
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
        var live = d.Op == Op.Not ? 0 : bi.LiveFlags;
        var statements = new List<Expression>();
        if (d.Form0 == OperandForm.Register)
        {
            statements.Add(Expression.Assign(value, c.ReadReg(d.Reg0, d.Shift0, size)));
            statements.Add(UnaryResult(c, d.Op, value, size, live, newFlags, result));
            statements.Add(c.WriteReg(d.Reg0, d.Shift0, size, result));
        }
        else
        {
            var linear = c.Temp("lin");
            statements.Add(c.ReadForWrite(index, bi.Offset, d.Seg, c.Offset(d), size, linear, value));
            statements.Add(UnaryResult(c, d.Op, value, size, live, newFlags, result));
            statements.Add(c.WriteBack(index, bi.Offset, linear, size, result));
        }

        if (live != 0)
        {
            statements.Add(Expression.Assign(c.Flags, newFlags));
        }

        return Expression.Block(statements);
    }

    /// <summary>A register shift or rotate (<see cref="ShiftEmitter"/>).</summary>
    public static Expression Shift(EmitContext c, in BlockInstruction bi) => ShiftEmitter.Emit(c, bi);

    /// <summary>The second operand as something the flag expressions may read more than once: a constant or a temporary.</summary>
    private static Expression Operand(EmitContext c, List<Expression> statements, Expression b) =>
        b is ConstantExpression or ParameterExpression ? b : Copy(c, statements, b);

    private static ParameterExpression Copy(EmitContext c, List<Expression> statements, Expression b)
    {
        var copy = c.Temp("b");
        statements.Add(Expression.Assign(copy, b));
        return copy;
    }

    private static Expression Compute(EmitContext c, Op op, Expression a, Expression b, int size, uint live, ParameterExpression newFlags, ParameterExpression result)
    {
        var mask = EmitContext.MaskOf(size);
        var carry = Expression.And(c.Flags, EmitContext.U(Eflags.Carry));
        if (live == 0)
        {
            Expression value = op switch
            {
                Op.Add => Expression.And(Expression.Add(a, b), mask),
                Op.Adc => Expression.And(Expression.Add(Expression.Add(a, b), carry), mask),
                Op.Sub => Expression.And(Expression.Subtract(a, b), mask),
                Op.Sbb => Expression.And(Expression.Subtract(Expression.Subtract(a, b), carry), mask),
                Op.Or => Expression.Or(a, b),
                Op.Xor => Expression.ExclusiveOr(a, b),
                Op.And or Op.Test => Expression.And(a, b),
                _ => EmitContext.U(0),
            };
            return Expression.Assign(result, value);
        }

        return op switch
        {
            Op.Add => FlagsEmitter.Add(a, b, null, size, c.Flags, live, result, newFlags),
            Op.Adc => FlagsEmitter.Add(a, b, carry, size, c.Flags, live, result, newFlags),
            Op.Sub or Op.Cmp => FlagsEmitter.Subtract(a, b, null, size, c.Flags, live, result, newFlags),
            Op.Sbb => FlagsEmitter.Subtract(a, b, carry, size, c.Flags, live, result, newFlags),
            Op.Or => FlagsEmitter.Logic(Expression.Or(a, b), size, c.Flags, live, result, newFlags),
            Op.Xor => FlagsEmitter.Logic(Expression.ExclusiveOr(a, b), size, c.Flags, live, result, newFlags),
            _ => FlagsEmitter.Logic(Expression.And(a, b), size, c.Flags, live, result, newFlags),
        };
    }

    private static Expression UnaryResult(EmitContext c, Op op, ParameterExpression value, int size, uint live, ParameterExpression newFlags, ParameterExpression result)
    {
        var mask = EmitContext.MaskOf(size);
        var one = EmitContext.U(1);
        if (live == 0)
        {
            return Expression.Assign(result, op switch
            {
                Op.Inc => Expression.And(Expression.Add(value, one), mask),
                Op.Dec => Expression.And(Expression.Subtract(value, one), mask),
                Op.Not => Expression.And(Expression.Not(value), mask),
                _ => Expression.And(Expression.Subtract(EmitContext.U(0), value), mask),
            });
        }

        // INC/DEC keep CF: the liveness pass never lists it among their flags.
        return op switch
        {
            Op.Inc => FlagsEmitter.Add(value, one, null, size, c.Flags, live, result, newFlags),
            Op.Dec => FlagsEmitter.Subtract(value, one, null, size, c.Flags, live, result, newFlags),
            _ => FlagsEmitter.Subtract(EmitContext.U(0), value, null, size, c.Flags, live, result, newFlags),
        };
    }
}
