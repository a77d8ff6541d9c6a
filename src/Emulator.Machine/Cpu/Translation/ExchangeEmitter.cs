using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates XADD and CMPXCHG in their register and memory forms as <see cref="IntegerUnit.ExchangeAdd"/>
/// and <see cref="IntegerUnit.CompareExchange"/> run them. A memory destination is read with write intent
/// first, so the write that follows cannot fault and the instruction commits all or nothing, as one locked
/// read-modify-write; CMPXCHG writes a memory destination back even when the compare fails (the 486's
/// locked cycle always writes). Flags are <see cref="FlagsEmitter"/>'s addition and subtraction (the bits of <see cref="Alu.Add"/> and
/// <see cref="Alu.Sub"/>), the live ones only.
/// </summary>
internal static class ExchangeEmitter
{

    public static bool CanTranslate(in DecodedInstruction d) =>
        d.Op is Op.Xadd or Op.Cmpxchg && d.Form0 is OperandForm.Register or OperandForm.Memory && d.Form1 == OperandForm.Register;

    /// <summary>(writes, reads) of the status flags: both write them all (the flags of the addition or the compare).</summary>
    public static (uint Writes, uint Reads) FlagEffects(Op op) => op is Op.Xadd or Op.Cmpxchg ? (Eflags.Status, 0u) : (0u, 0u);

    public static Expression Emit(EmitContext c, in BlockInstruction bi, int index) =>
        bi.D.Op == Op.Xadd ? ExchangeAdd(c, bi, index) : CompareExchange(c, bi, index);

    /// <summary>XADD: the destination gets the sum, then the source register the old destination (so it wins when both are one register).</summary>
    private static Expression ExchangeAdd(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var source = c.Temp("src");
        var destination = c.Temp("dst");
        var sum = c.Temp("sum");
        var newFlags = c.Temp("f");
        var statements = new List<Expression> { Expression.Assign(source, c.ReadReg(d.Reg1, d.Shift1, size)) };
        var linear = ReadDestination(c, bi, index, statements, destination);
        statements.Add(FlagsEmitter.Add(destination, source, null, size, c.Flags, bi.LiveFlags, sum, newFlags));
        if (linear is null)
        {
            statements.Add(c.WriteReg(d.Reg1, d.Shift1, size, destination));
            statements.Add(c.WriteReg(d.Reg0, d.Shift0, size, sum));
        }
        else
        {
            statements.Add(c.WriteBack(index, bi.Offset, linear, size, sum));
            statements.Add(c.WriteReg(d.Reg1, d.Shift1, size, destination));
        }

        statements.Add(Expression.Assign(c.Flags, newFlags));
        return Expression.Block(statements);
    }

    /// <summary>CMPXCHG: flags of accumulator − destination; equal, the destination takes the source; otherwise the accumulator takes the destination.</summary>
    private static Expression CompareExchange(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var destination = c.Temp("dst");
        var accumulator = c.Temp("acc");
        var newFlags = c.Temp("f");
        var statements = new List<Expression>();
        var linear = ReadDestination(c, bi, index, statements, destination);
        statements.Add(Expression.Assign(accumulator, c.ReadReg(CpuRegisters.Eax, 0, size)));
        statements.Add(FlagsEmitter.Subtract(accumulator, destination, null, size, c.Flags, bi.LiveFlags, c.Temp("diff"), newFlags));
        var source = c.ReadReg(d.Reg1, d.Shift1, size);
        Expression equal;
        Expression different;
        if (linear is null)
        {
            equal = c.WriteReg(d.Reg0, d.Shift0, size, source);
            different = c.WriteReg(CpuRegisters.Eax, 0, size, destination);
        }
        else
        {
            equal = c.WriteBack(index, bi.Offset, linear, size, source);
            different = Expression.Block(
                c.WriteBack(index, bi.Offset, linear, size, destination),
                c.WriteReg(CpuRegisters.Eax, 0, size, destination));
        }

        statements.Add(Expression.IfThenElse(Expression.Equal(accumulator, destination), equal, different));
        statements.Add(Expression.Assign(c.Flags, newFlags));
        return Expression.Block(statements);
    }

    /// <summary>Reads the r/m destination into <paramref name="value"/>; for memory, with write intent after the progress count, returning the linear address.</summary>
    private static ParameterExpression? ReadDestination(EmitContext c, in BlockInstruction bi, int index, List<Expression> statements, ParameterExpression value)
    {
        var d = bi.D;
        if (d.Form0 == OperandForm.Register)
        {
            statements.Add(Expression.Assign(value, c.ReadReg(d.Reg0, d.Shift0, d.Size)));
            return null;
        }

        var linear = c.Temp("lin");
        statements.Add(c.ReadForWrite(index, bi.Offset, d.Seg, c.Offset(d), d.Size, linear, value));
        return linear;
    }
}
