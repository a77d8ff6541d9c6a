using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates RDTSC and the one-flag instructions (CLC STC CMC CLD STD) as the <see cref="Dispatcher"/>
/// and <see cref="SystemUnit.ReadTimeStampCounter"/> run them. RDTSC reads the counter through the
/// same <see cref="ExecutionCore.ReadTimeStampCounter"/> after making the instruction count exact (the
/// interpreter counts the instruction before executing it), and faults (#GP) as the interpreter does
/// when CR4.TSD is set outside ring 0.
/// </summary>
internal static class SystemEmitter
{
    public static bool CanTranslate(in DecodedInstruction d) => d.Op is Op.Rdtsc or Op.Clc or Op.Stc or Op.Cmc or Op.Cld or Op.Std;

    public static Expression Emit(EmitContext c, in BlockInstruction bi, int index) => bi.D.Op switch
    {
        Op.Rdtsc => Rdtsc(c, bi, index),
        Op.Clc => Expression.AndAssign(c.Flags, EmitContext.U(~Eflags.Carry)),
        Op.Stc => Expression.OrAssign(c.Flags, EmitContext.U(Eflags.Carry)),
        Op.Cmc => Expression.ExclusiveOrAssign(c.Flags, EmitContext.U(Eflags.Carry)),
        Op.Cld => Expression.AndAssign(c.Flags, EmitContext.U(~Eflags.Direction)),
        _ => Expression.OrAssign(c.Flags, EmitContext.U(Eflags.Direction)),
    };

    /// <summary>(writes, reads) of the status flags, for the block's flag liveness.</summary>
    public static (uint Writes, uint Reads) FlagEffects(Op op) => op switch
    {
        Op.Clc or Op.Stc => (Eflags.Carry, 0),
        Op.Cmc => (Eflags.Carry, Eflags.Carry),
        _ => (0, 0),
    };

    private static Expression Rdtsc(EmitContext c, in BlockInstruction bi, int index)
    {
        var tsc = Expression.Variable(typeof(ulong), "tsc" + index);
        return Expression.Block(
            [tsc],
            c.SetProgress(index),
            Expression.IfThen(
                Expression.Not(Expression.Call(c.Runtime, typeof(BlockRuntime).GetMethod(nameof(BlockRuntime.ReadTimeStampCounter))!, tsc)),
                c.Fault(index, bi.Offset)),
            Expression.Assign(c.Registers[CpuRegisters.Eax], Expression.Convert(tsc, typeof(uint))),
            Expression.Assign(c.Registers[CpuRegisters.Edx], Expression.Convert(Expression.RightShift(tsc, EmitContext.I(32)), typeof(uint))));
    }
}
