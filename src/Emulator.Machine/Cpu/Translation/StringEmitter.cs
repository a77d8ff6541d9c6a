using System.Linq.Expressions;
using System.Reflection;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates one element of MOVS, CMPS, SCAS, LODS and STOS without a REP prefix, as
/// <see cref="StringUnit"/>'s element step runs it: the source is the instruction's segment (overrides
/// honoured) at (E)SI, the destination always ES at (E)DI, the address size picks SI/DI or ESI/EDI, DF
/// (read at run time) picks the direction, and the index registers move only after every access of the
/// element succeeded. CMPS and SCAS take their flags from the interpreter's <see cref="Alu.Sub"/>. REP
/// forms stay with the interpreter's handler (one step of up to 4096 elements per instruction, interruptible).
/// </summary>
internal static class StringEmitter
{
    private static readonly MethodInfo SubMethod = typeof(Alu).GetMethod(nameof(Alu.Sub))!;

    public static bool CanTranslate(in DecodedInstruction d) =>
        d.Op is Op.Movs or Op.Cmps or Op.Scas or Op.Lods or Op.Stos && !d.Instr.HasRepPrefix && !d.Instr.HasRepnePrefix && d.Size is 1 or 2 or 4;

    /// <summary>(writes, reads) of the status flags: CMPS and SCAS write them all.</summary>
    public static (uint Writes, uint Reads) FlagEffects(Op op) => op is Op.Cmps or Op.Scas ? (Eflags.Status, 0u) : (0u, 0u);

    public static Expression Emit(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var mask = EmitContext.U(d.AddrMask);
        var esi = c.Registers[CpuRegisters.Esi];
        var edi = c.Registers[CpuRegisters.Edi];
        var source = Expression.And(esi, mask);
        var destination = Expression.And(edi, mask);
        var step = c.Temp("step");
        var a = c.Temp("a");
        var b = c.Temp("b");
        var newFlags = c.Temp("f");
        var statements = new List<Expression>
        {
            Expression.Assign(step, Expression.Condition(
                Expression.NotEqual(Expression.And(c.Flags, EmitContext.U(Eflags.Direction)), EmitContext.U(0)),
                EmitContext.U((uint)-size), EmitContext.U((uint)size))),
        };
        switch (d.Op)
        {
            case Op.Movs:
                statements.Add(c.Read(index, bi.Offset, d.Seg, source, size, a));
                statements.Add(c.Write(index, bi.Offset, ExecutionCore.Es, destination, size, a));
                statements.Add(Advance(esi, step, d.AddrMask));
                statements.Add(Advance(edi, step, d.AddrMask));
                break;
            case Op.Cmps:
                statements.Add(c.Read(index, bi.Offset, d.Seg, source, size, a));
                statements.Add(c.Read(index, bi.Offset, ExecutionCore.Es, destination, size, b));
                statements.Add(Compare(c, a, b, size, newFlags));
                statements.Add(Advance(esi, step, d.AddrMask));
                statements.Add(Advance(edi, step, d.AddrMask));
                break;
            case Op.Scas:
                statements.Add(c.Read(index, bi.Offset, ExecutionCore.Es, destination, size, b));
                statements.Add(Compare(c, c.ReadReg(CpuRegisters.Eax, 0, size), b, size, newFlags));
                statements.Add(Advance(edi, step, d.AddrMask));
                break;
            case Op.Lods:
                statements.Add(c.Read(index, bi.Offset, d.Seg, source, size, a));
                statements.Add(c.WriteReg(CpuRegisters.Eax, 0, size, a));
                statements.Add(Advance(esi, step, d.AddrMask));
                break;
            default:
                statements.Add(c.Write(index, bi.Offset, ExecutionCore.Es, destination, size, c.ReadReg(CpuRegisters.Eax, 0, size)));
                statements.Add(Advance(edi, step, d.AddrMask));
                break;
        }

        return Expression.Block(statements);
    }

    /// <summary>The flags of <paramref name="a"/> − <paramref name="b"/>, committed (the accesses before it all succeeded).</summary>
    private static Expression Compare(EmitContext c, Expression a, Expression b, int size, ParameterExpression newFlags) => Expression.Block(
        Expression.Assign(newFlags, c.Flags),
        Expression.Call(SubMethod, a, b, EmitContext.U(0), EmitContext.I(size), newFlags),
        Expression.Assign(c.Flags, newFlags));

    /// <summary>Moves an index register by the element step inside the address size (the bits above a 16-bit SI/DI stay).</summary>
    private static Expression Advance(ParameterExpression register, Expression step, uint mask) =>
        mask == Alu.DwordMask
            ? Expression.AddAssign(register, step)
            : Expression.Assign(register, Expression.Or(
                Expression.And(register, EmitContext.U(~mask)),
                Expression.And(Expression.Add(register, step), EmitContext.U(mask))));
}
