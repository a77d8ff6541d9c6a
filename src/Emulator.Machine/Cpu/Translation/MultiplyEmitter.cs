using System.Linq.Expressions;
using System.Reflection;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates MUL and IMUL in all their register and memory forms (one operand into AX, DX:AX or
/// EDX:EAX; two and three operands truncated to the destination). The product and its flags come from
/// the interpreter's own <see cref="MultiplyUnit.AccumulatorProduct"/> and
/// <see cref="MultiplyUnit.TruncatedProduct"/>, so they are the same bits; a memory operand is read (and
/// may fault) before any register or flag is committed, as <see cref="MultiplyUnit"/> does.
/// </summary>
internal static class MultiplyEmitter
{
    private const int ThreeOperands = 3;

    private static readonly MethodInfo AccumulatorMethod = typeof(MultiplyUnit).GetMethod(nameof(MultiplyUnit.AccumulatorProduct), BindingFlags.Static | BindingFlags.NonPublic)!;
    private static readonly MethodInfo TruncatedMethod = typeof(MultiplyUnit).GetMethod(nameof(MultiplyUnit.TruncatedProduct), BindingFlags.Static | BindingFlags.NonPublic)!;

    public static bool CanTranslate(in DecodedInstruction d) => d.Op switch
    {
        Op.Mul or Op.Imul1 => d.Form0 is OperandForm.Register or OperandForm.Memory && d.Size is 1 or 2 or 4,
        Op.Imul => d.Form0 == OperandForm.Register && d.Form1 is OperandForm.Register or OperandForm.Memory && d.Size is 2 or 4,
        _ => false,
    };

    /// <summary>(writes, reads) of the status flags: every status flag is written (SF ZF PF from the low half, AF cleared).</summary>
    public static (uint Writes, uint Reads) FlagEffects(Op op) => op is Op.Mul or Op.Imul1 or Op.Imul ? (Eflags.Status, 0u) : (0u, 0u);

    public static Expression Emit(EmitContext c, in BlockInstruction bi, int index) =>
        bi.D.Op == Op.Imul ? Truncated(c, bi, index) : Accumulator(c, bi, index);

    /// <summary>One operand: AL/AX/EAX times r/m; a byte product fills AX, wider ones split into (E)DX:(E)AX.</summary>
    private static Expression Accumulator(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var newFlags = c.Temp("f");
        var product = Expression.Variable(typeof(ulong), "p" + index);
        var statements = new List<Expression>();
        var source = c.Source(statements, index, bi, d.Form0, d.Reg0, d.Shift0, size);

        statements.Add(Expression.Assign(newFlags, c.Flags));
        statements.Add(Expression.Assign(product, Expression.Call(AccumulatorMethod,
            c.ReadReg(CpuRegisters.Eax, 0, size), source, EmitContext.I(size), Expression.Constant(d.Op == Op.Imul1), newFlags)));
        var mask = EmitContext.MaskOf(size);
        if (size == 1)
        {
            statements.Add(c.WriteReg(CpuRegisters.Eax, 0, 2, Expression.Convert(product, typeof(uint))));
        }
        else
        {
            statements.Add(c.WriteReg(CpuRegisters.Eax, 0, size, Expression.And(Expression.Convert(product, typeof(uint)), mask)));
            statements.Add(c.WriteReg(CpuRegisters.Edx, 0, size,
                Expression.And(Expression.Convert(Expression.RightShift(product, EmitContext.I(Alu.Bits(size))), typeof(uint)), mask)));
        }

        statements.Add(Expression.Assign(c.Flags, newFlags));
        return Expression.Block([product], statements);
    }

    /// <summary>Two operands: destination times r/m; three: r/m times the immediate. The product is truncated to the operand size.</summary>
    private static Expression Truncated(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var newFlags = c.Temp("f");
        var statements = new List<Expression>();
        var operand = c.Source(statements, index, bi, d.Form1, d.Reg1, d.Shift1, size);

        var (a, b) = d.Instr.OpCount == ThreeOperands
            ? (operand, EmitContext.U(d.Imm & Alu.Mask(size)))
            : (c.ReadReg(d.Reg0, 0, size), operand);
        statements.Add(Expression.Assign(newFlags, c.Flags));
        statements.Add(c.WriteReg(d.Reg0, 0, size, Expression.Call(TruncatedMethod, a, b, EmitContext.I(size), newFlags)));
        statements.Add(Expression.Assign(c.Flags, newFlags));
        return Expression.Block(statements);
    }
}
