using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates XCHG, CMOVcc, CBW/CWDE, CWD/CDQ, BT/BTS/BTR/BTC, LEAVE and PUSHF in their register and
/// memory forms as <see cref="IntegerUnit"/> and <see cref="ControlUnit"/> run them: a memory operand is
/// read (with write intent for XCHG and BTS/BTR/BTC, so the write-back cannot fault) before any register
/// or flag is committed; CMOVcc reads its source whatever the condition; a BT register bit offset is
/// signed and addresses memory beyond the operand.
/// </summary>
internal static class DataEmitter
{
    private const int DwordBitShift = 5;
    private const int WordBitShift = 4;

    public static bool CanTranslate(in DecodedInstruction d) => d.Op switch
    {
        Op.Xchg => d.Form0 is OperandForm.Register or OperandForm.Memory && d.Form1 == OperandForm.Register,
        Op.Cmovcc => d.Form0 == OperandForm.Register && d.Form1 is OperandForm.Register or OperandForm.Memory,
        Op.Cbw or Op.Cwd => d.Size is 2 or 4,
        Op.Bt or Op.Bts or Op.Btr or Op.Btc => d.Form0 is OperandForm.Register or OperandForm.Memory
            && d.Form1 is OperandForm.Register or OperandForm.Immediate && d.Size is 2 or 4,
        Op.Leave or Op.Pushf => d.Size is 2 or 4,
        _ => false,
    };

    /// <summary>(writes, reads) of the status flags: CMOVcc and PUSHF read them, the bit tests write CF.</summary>
    public static (uint Writes, uint Reads) FlagEffects(Op op) => op switch
    {
        Op.Pushf => (0, Eflags.Status),
        Op.Bt or Op.Bts or Op.Btr or Op.Btc => (Eflags.Carry, 0),
        _ => (0, 0),
    };

    public static Expression Emit(EmitContext c, in BlockInstruction bi, int index) => bi.D.Op switch
    {
        Op.Xchg => Exchange(c, bi, index),
        Op.Cmovcc => ConditionalMove(c, bi, index),
        Op.Cbw => Convert(c, bi.D.Size),
        Op.Cwd => ConvertToDouble(c, bi.D.Size),
        Op.Leave => Leave(c, bi, index),
        Op.Pushf => PushFlags(c, bi, index),
        _ => BitTest(c, bi, index),
    };

    private static Expression Exchange(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var a = c.Temp("a");
        var b = c.Temp("b");
        if (d.Form0 == OperandForm.Register)
        {
            return Expression.Block(
                Expression.Assign(a, c.ReadReg(d.Reg0, d.Shift0, size)),
                Expression.Assign(b, c.ReadReg(d.Reg1, d.Shift1, size)),
                c.WriteReg(d.Reg0, d.Shift0, size, b),
                c.WriteReg(d.Reg1, d.Shift1, size, a));
        }

        var linear = c.Temp("lin");
        return Expression.Block(
            c.ReadForWrite(index, bi.Offset, d.Seg, c.Offset(d), size, linear, a),
            c.WriteBack(index, bi.Offset, linear, size, c.ReadReg(d.Reg1, d.Shift1, size)),
            c.WriteReg(d.Reg1, d.Shift1, size, a));
    }

    private static Expression ConditionalMove(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var statements = new List<Expression>();
        var value = c.Source(statements, index, bi, d.Form1, d.Reg1, d.Shift1, size);
        statements.Add(Expression.IfThen(ConditionEmitter.Holds(d.Aux, c.Flags), c.WriteReg(d.Reg0, 0, size, value)));
        return Expression.Block(statements);
    }

    /// <summary>CBW/CWDE: the low half of the accumulator sign-extended into the whole (AX or EAX).</summary>
    private static Expression Convert(EmitContext c, int size)
    {
        var eax = c.Registers[CpuRegisters.Eax];
        Expression extended = size == 4
            ? Expression.Convert(Expression.Convert(Expression.Convert(eax, typeof(ushort)), typeof(short)), typeof(int))
            : Expression.Convert(Expression.Convert(eax, typeof(byte)), typeof(sbyte));
        extended = Expression.Convert(Expression.Convert(extended, typeof(int)), typeof(uint));
        return c.WriteReg(CpuRegisters.Eax, 0, size, Expression.And(extended, EmitContext.MaskOf(size)));
    }

    /// <summary>CWD/CDQ: DX or EDX filled with the accumulator's sign.</summary>
    private static Expression ConvertToDouble(EmitContext c, int size)
    {
        var sign = Expression.And(Expression.RightShift(c.Registers[CpuRegisters.Eax], EmitContext.I(Alu.Bits(size) - 1)), EmitContext.U(1));
        return c.WriteReg(CpuRegisters.Edx, 0, size,
            Expression.Condition(Expression.NotEqual(sign, EmitContext.U(0)), EmitContext.MaskOf(size), EmitContext.U(0)));
    }

    /// <summary>LEAVE: (E)SP from (E)BP, then (E)BP popped; the read at SS:(E)BP may fault before anything changes.</summary>
    private static Expression Leave(EmitContext c, in BlockInstruction bi, int index)
    {
        var stackMask = EmitContext.U(c.StackMask);
        int size = bi.D.Size;
        var bp = c.Temp("bp");
        var value = c.Temp("v");
        var esp = c.Registers[CpuRegisters.Esp];
        return Expression.Block(
            Expression.Assign(bp, Expression.And(c.Registers[CpuRegisters.Ebp], stackMask)),
            c.Read(index, bi.Offset, ExecutionCore.Ss, bp, size, value),
            Expression.Assign(esp, Expression.Or(
                Expression.And(esp, Expression.Not(stackMask)),
                Expression.And(Expression.Add(bp, EmitContext.U((uint)size)), stackMask))),
            c.WriteReg(CpuRegisters.Ebp, 0, size, value));
    }

    /// <summary>PUSHF/PUSHFD: EFLAGS without RF and VM, written below (E)SP before (E)SP moves (as <see cref="ExecutionCore.TryPush"/>).</summary>
    private static Expression PushFlags(EmitContext c, in BlockInstruction bi, int index) =>
        FlowEmitter.PushValue(c, bi, index, Expression.And(c.Flags, EmitContext.U(~(Eflags.Resume | Eflags.Virtual8086) & Alu.Mask(bi.D.Size))));

    private static Expression BitTest(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var bits = (uint)Alu.Bits(size);
        var offset = d.Form1 == OperandForm.Immediate ? EmitContext.U(d.Imm) : c.ReadReg(d.Reg1, d.Shift1, size);
        var bit = c.Temp("bit");
        var value = c.Temp("v");
        var statements = new List<Expression>();
        ParameterExpression? linear = null;
        if (d.Form0 == OperandForm.Register)
        {
            statements.Add(Expression.Assign(bit, Expression.And(offset, EmitContext.U(bits - 1))));
            statements.Add(Expression.Assign(value, c.ReadReg(d.Reg0, 0, size)));
        }
        else
        {
            Expression address = c.Offset(d);
            if (d.Form1 == OperandForm.Register)
            {
                // The signed bit offset moves the operand by whole operand-size units, below as well as above.
                var signed = c.Temp("s");
                statements.Add(Expression.Assign(signed, offset));
                Expression signedValue = size == 4
                    ? Expression.Convert(signed, typeof(int))
                    : Expression.Convert(Expression.Convert(signed, typeof(ushort)), typeof(short));
                signedValue = Expression.Convert(signedValue, typeof(int));
                var displacement = Expression.Convert(
                    Expression.Multiply(Expression.RightShift(signedValue, EmitContext.I(size == 4 ? DwordBitShift : WordBitShift)), EmitContext.I(size)),
                    typeof(uint));
                address = Expression.And(Expression.Add(address, displacement), EmitContext.U(d.AddrMask));
                statements.Add(Expression.Assign(bit, Expression.And(signed, EmitContext.U(bits - 1))));
            }
            else
            {
                statements.Add(Expression.Assign(bit, Expression.And(offset, EmitContext.U(bits - 1))));
            }

            if (d.Op == Op.Bt)
            {
                statements.Add(c.Read(index, bi.Offset, d.Seg, address, size, value));
            }
            else
            {
                linear = c.Temp("lin");
                statements.Add(c.ReadForWrite(index, bi.Offset, d.Seg, address, size, linear, value));
            }
        }

        var mask = Expression.LeftShift(EmitContext.U(1), Expression.Convert(bit, typeof(int)));
        Expression? result = d.Op switch
        {
            Op.Bts => Expression.Or(value, mask),
            Op.Btr => Expression.And(value, Expression.Not(mask)),
            Op.Btc => Expression.ExclusiveOr(value, mask),
            _ => null,
        };
        if (result is not null)
        {
            statements.Add(linear is null ? c.WriteReg(d.Reg0, 0, size, result) : c.WriteBack(index, bi.Offset, linear, size, result));
        }

        var carry = Expression.NotEqual(Expression.And(value, mask), EmitContext.U(0));
        statements.Add(Expression.Assign(c.Flags, Expression.Condition(carry,
            Expression.Or(c.Flags, EmitContext.U(Eflags.Carry)), Expression.And(c.Flags, EmitContext.U(~Eflags.Carry)))));
        return Expression.Block(statements);
    }
}
