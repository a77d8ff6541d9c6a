using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>Translates MOV (register, memory and immediate forms), MOVZX/MOVSX, LEA, SETcc and NOP, with the interpreter's operand order (<see cref="IntegerUnit"/>).</summary>
internal static class MoveEmitter
{
    public static bool CanTranslate(in DecodedInstruction d) => d.Op switch
    {
        Op.Mov => (d.Form0 == OperandForm.Register && d.Form1 is OperandForm.Register or OperandForm.Immediate or OperandForm.Memory)
            || (d.Form0 == OperandForm.Memory && d.Form1 is OperandForm.Register or OperandForm.Immediate),
        Op.Movzx or Op.Movsx => d.Form0 == OperandForm.Register && d.Form1 is OperandForm.Register or OperandForm.Memory && d.Aux is 1 or 2,
        Op.Lea => d.Form0 == OperandForm.Register && d.Form1 == OperandForm.Memory,
        Op.Setcc => d.Form0 is OperandForm.Register or OperandForm.Memory,
        Op.Nop => true,
        _ => false,
    };

    public static Expression Mov(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        if (d.Form0 == OperandForm.Register)
        {
            switch (d.Form1)
            {
                case OperandForm.Register:
                    return c.WriteReg(d.Reg0, d.Shift0, size, c.ReadReg(d.Reg1, d.Shift1, size));
                case OperandForm.Immediate:
                    return c.WriteReg(d.Reg0, d.Shift0, size, EmitContext.U(d.Imm));
                default:
                    var value = c.Temp("m");
                    return Expression.Block(
                        c.Read(index, bi.Offset, d.Seg, c.Offset(d), size, value),
                        c.WriteReg(d.Reg0, d.Shift0, size, value));
            }
        }

        var source = d.Form1 == OperandForm.Immediate ? EmitContext.U(d.Imm) : c.ReadReg(d.Reg1, d.Shift1, size);
        return c.Write(index, bi.Offset, d.Seg, c.Offset(d), size, source);
    }

    public static Expression Extend(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int sourceSize = d.Aux;
        var statements = new List<Expression>();
        var value = c.Source(statements, index, bi, d.Form1, d.Reg1, d.Shift1, sourceSize);
        Expression extended = value;
        if (d.Op == Op.Movsx)
        {
            extended = sourceSize == 1
                ? Expression.Convert(Expression.Convert(Expression.Convert(value, typeof(byte)), typeof(sbyte)), typeof(uint))
                : Expression.Convert(Expression.Convert(Expression.Convert(value, typeof(ushort)), typeof(short)), typeof(uint));
            extended = Expression.Convert(Expression.Convert(extended, typeof(int)), typeof(uint));
        }

        statements.Add(c.WriteReg(d.Reg0, 0, d.Size, Expression.And(extended, EmitContext.MaskOf(d.Size))));
        return Expression.Block(statements);
    }

    public static Expression Lea(EmitContext c, in BlockInstruction bi) => c.WriteReg(bi.D.Reg0, 0, bi.D.Size, c.Offset(bi.D));

    public static Expression Setcc(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        var value = Expression.Condition(ConditionEmitter.Holds(d.Aux, c.Flags), EmitContext.U(1), EmitContext.U(0));
        if (d.Form0 == OperandForm.Register)
        {
            return c.WriteReg(d.Reg0, d.Shift0, 1, value);
        }

        return c.Write(index, bi.Offset, d.Seg, c.Offset(d), 1, value);
    }
}
