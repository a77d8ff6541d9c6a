using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates PUSH r/m with a memory operand and PUSH of a segment register as <see cref="ControlUnit.Push"/>
/// and <see cref="ControlUnit.PushSegment"/> run them: the operand is read (and may fault) first, with the
/// address computed from ESP before it moves; then the value is written below (E)SP before (E)SP moves
/// (<see cref="FlowEmitter.PushValue"/>). A selector is read from the CPU when the instruction runs, since a data
/// segment load inside the block may have changed it.
/// </summary>
internal static class StackEmitter
{
    public static bool CanTranslate(in DecodedInstruction d) => d.Op switch
    {
        Op.Push => d.Form0 == OperandForm.Memory && d.Size is 2 or 4,
        Op.PushSreg => d.Size is 2 or 4,
        _ => false,
    };

    public static Expression Emit(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        if (d.Op == Op.PushSreg)
        {
            var selector = Expression.Call(c.Runtime, typeof(BlockRuntime).GetMethod(nameof(BlockRuntime.Selector))!, EmitContext.I(d.Aux));
            return FlowEmitter.PushValue(c, bi, index, selector);
        }

        var statements = new List<Expression>();
        var value = c.Source(statements, index, bi, d.Form0, d.Reg0, d.Shift0, d.Size);
        statements.Add(FlowEmitter.PushValue(c, bi, index, value));
        return Expression.Block(statements);
    }
}
