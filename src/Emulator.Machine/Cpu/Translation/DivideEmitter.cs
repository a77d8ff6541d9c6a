using System.Linq.Expressions;
using System.Reflection;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates DIV and IDIV in their register and memory forms (8, 16 and 32 bits) as
/// <see cref="MultiplyUnit.Divide"/> runs them: the divisor is read (and may fault) first, the quotient
/// and remainder come from the interpreter's own <see cref="MultiplyUnit.TryDivide"/>, and a zero divisor
/// or a quotient that does not fit raises #DE with nothing committed. No flag changes.
/// </summary>
internal static class DivideEmitter
{
    private const int ByteBits = 8;

    private static readonly MethodInfo DivideMethod = typeof(MultiplyUnit).GetMethod(nameof(MultiplyUnit.TryDivide), BindingFlags.Static | BindingFlags.NonPublic)!;
    private static readonly MethodInfo RaiseMethod = typeof(BlockRuntime).GetMethod(nameof(BlockRuntime.RaiseDivideError))!;

    public static bool CanTranslate(in DecodedInstruction d) =>
        d.Op is Op.Div or Op.Idiv && d.Form0 is OperandForm.Register or OperandForm.Memory && d.Size is 1 or 2 or 4;

    /// <summary>AX (byte) or (E)DX:(E)AX divided by r/m; AL/AH or (E)AX/(E)DX take quotient and remainder.</summary>
    public static Expression Emit(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var quotient = c.Temp("q");
        var remainder = c.Temp("rem");
        var statements = new List<Expression>();
        var divisor = c.Source(statements, index, bi, d.Form0, d.Reg0, d.Shift0, size);
        Expression dividend = size == 1
            ? Expression.Convert(c.ReadReg(CpuRegisters.Eax, 0, 2), typeof(ulong))
            : Expression.Or(
                Expression.LeftShift(Expression.Convert(c.ReadReg(CpuRegisters.Edx, 0, size), typeof(ulong)), EmitContext.I(Alu.Bits(size))),
                Expression.Convert(c.ReadReg(CpuRegisters.Eax, 0, size), typeof(ulong)));
        statements.Add(Expression.IfThen(
            Expression.Not(Expression.Call(DivideMethod, dividend, divisor, EmitContext.I(size), Expression.Constant(d.Op == Op.Idiv), quotient, remainder)),
            Expression.Block(Expression.Call(c.Runtime, RaiseMethod), c.Fault(index, bi.Offset))));
        if (size == 1)
        {
            statements.Add(c.WriteReg(CpuRegisters.Eax, 0, 2, Expression.Or(quotient, Expression.LeftShift(remainder, EmitContext.I(ByteBits)))));
        }
        else
        {
            statements.Add(c.WriteReg(CpuRegisters.Eax, 0, size, quotient));
            statements.Add(c.WriteReg(CpuRegisters.Edx, 0, size, remainder));
        }

        return Expression.Block(statements);
    }
}
