using System.Linq.Expressions;
using System.Reflection;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Runs an instruction inside a block through the interpreter's own handler (<see cref="Dispatcher.Execute"/>)
/// instead of ending the block before it: the block writes its registers and flags back, sets EIP and the
/// instruction count as the interpreter loop does before executing, calls the handler, and reloads. The
/// instruction therefore behaves exactly as interpreted; what it saves is the return to the dispatcher and
/// the two block lookups around it. Only instructions that cannot change what a block relies on are
/// taken: no transfer of control (a REP string step that stops early moves EIP back to itself, and the
/// block leaves there), no IF/TF/shadow change (POPF, CLI, STI, MOV/POP SS stay at block boundaries), no
/// port I/O (a device may raise an interrupt), no mode, paging, descriptor-table or CS/SS-size change, no FPU
/// (FERR reaches the interrupt controller). A fault leaves the registers as the handler left them (a REP
/// string run stops at the failing element) with ESP and EIP of the instruction, as
/// <c>X86Cpu.RestoreInstruction</c> does.
/// </summary>
internal static class InterpretEmitter
{
    private static readonly MethodInfo InterpretMethod = typeof(BlockRuntime).GetMethod(nameof(BlockRuntime.Interpret))!;

    public static bool CanTranslate(in DecodedInstruction d) => d.Op switch
    {
        Op.Xchg or Op.Xadd or Op.Cmpxchg or Op.Cmpxchg8b or Op.Bswap or Op.Shld or Op.Shrd
            or Op.Mul or Op.Imul1 or Op.Imul or Op.Div or Op.Idiv
            or Op.Daa or Op.Das or Op.Aaa or Op.Aas or Op.Aam or Op.Aad or Op.Salc or Op.Cbw or Op.Cwd
            or Op.Lahf or Op.Sahf or Op.Pushf or Op.Pusha or Op.Popa or Op.Enter or Op.Leave
            or Op.Movs or Op.Cmps or Op.Scas or Op.Lods or Op.Stos
            or Op.Bt or Op.Bts or Op.Btr or Op.Btc or Op.Bsf or Op.Bsr or Op.Cmovcc or Op.Xlat or Op.Bound
            or Op.MovFromSreg or Op.PushSreg => true,

        // FS and GS only: their bases and limits are read at run time. CS and SS are not (SS sets the shadow and the stack
        // size), nor DS and ES, whose flatness is part of the block key (TranslatingTier.Mode) with SS's.
        Op.MovToSreg or Op.PopSreg => d.Aux is (int)SegmentRegister.FS or (int)SegmentRegister.GS,

        // Forms of translated families that have no emitter of their own.
        Op.Add or Op.Or or Op.Adc or Op.Sbb or Op.And or Op.Sub or Op.Xor or Op.Cmp or Op.Test
            or Op.Inc or Op.Dec or Op.Not or Op.Neg or Op.Rol or Op.Ror or Op.Rcl or Op.Rcr or Op.Shl or Op.Shr or Op.Sar
            or Op.Mov or Op.Movzx or Op.Movsx or Op.Push or Op.Pop => true,
        _ => false,
    };

    /// <summary>
    /// spill; rt.Eip = next; progress; if (!rt.Interpret(decoded, index)) { reload all but ESP; fault }
    /// reload; if (rt.Eip != next) leave at rt.Eip.
    /// </summary>
    public static Expression Emit(EmitContext c, in BlockInstruction bi, int index, DecodedInstruction[] decoded)
    {
        decoded[index] = bi.D;
        var next = c.Temp("next");
        var statements = new List<Expression> { Expression.Assign(next, c.Eip(bi.Offset + bi.D.Length)) };
        statements.AddRange(c.Spill());
        statements.Add(Expression.Assign(c.RuntimeEip, next));
        statements.Add(c.SetProgress(index));
        var reloadAfterFault = new List<Expression>(c.Reload(keepStackPointer: true)) { c.Fault(index, bi.Offset) };
        statements.Add(Expression.IfThen(
            Expression.Not(Expression.Call(c.Runtime, InterpretMethod, Expression.Constant(decoded), EmitContext.I(index))),
            Expression.Block(reloadAfterFault)));
        statements.AddRange(c.Reload(keepStackPointer: false));
        statements.Add(Expression.IfThen(Expression.NotEqual(c.RuntimeEip, next), c.Leave(index, c.RuntimeEip)));
        return Expression.Block(statements);
    }
}
