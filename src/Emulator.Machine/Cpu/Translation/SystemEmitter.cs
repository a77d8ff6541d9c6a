using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates RDTSC, the one-flag instructions (CLC STC CMC CLD STD) and LAHF/SAHF as the <see cref="Dispatcher"/>
/// and <see cref="SystemUnit.ReadTimeStampCounter"/> run them. RDTSC reads the counter through the
/// same <see cref="ExecutionCore.ReadTimeStampCounter"/> after making the instruction count exact (the
/// interpreter counts the instruction before executing it), and faults (#GP) as the interpreter does
/// when CR4.TSD is set outside ring 0.
/// </summary>
internal static class SystemEmitter
{
    private const int HighByteShift = 8;

    public static bool CanTranslate(in DecodedInstruction d) => d.Op is Op.Rdtsc or Op.Clc or Op.Stc or Op.Cmc or Op.Cld or Op.Std or Op.Lahf or Op.Sahf;

    public static Expression Emit(EmitContext c, in BlockInstruction bi, int index) => bi.D.Op switch
    {
        Op.Rdtsc => Rdtsc(c, bi, index),
        Op.Clc => Expression.AndAssign(c.Flags, EmitContext.U(~Eflags.Carry)),
        Op.Stc => Expression.OrAssign(c.Flags, EmitContext.U(Eflags.Carry)),
        Op.Cmc => Expression.ExclusiveOrAssign(c.Flags, EmitContext.U(Eflags.Carry)),
        Op.Cld => Expression.AndAssign(c.Flags, EmitContext.U(~Eflags.Direction)),

        // LAHF/SAHF move SF ZF AF PF CF through AH with bit 1 set, as IntegerUnit.Lahf/Sahf.
        Op.Lahf => c.WriteReg(CpuRegisters.Eax, HighByteShift, 1, Expression.Or(Expression.And(c.Flags, EmitContext.U(Eflags.LowStatus)), EmitContext.U(Eflags.Reserved1))),
        Op.Sahf => Expression.Assign(c.Flags, Expression.Or(
            Expression.Or(Expression.And(c.Flags, EmitContext.U(~Eflags.LowStatus)), Expression.And(c.ReadReg(CpuRegisters.Eax, HighByteShift, 1), EmitContext.U(Eflags.LowStatus))),
            EmitContext.U(Eflags.Reserved1))),
        _ => Expression.OrAssign(c.Flags, EmitContext.U(Eflags.Direction)),
    };

    /// <summary>(writes, reads) of the status flags, for the block's flag liveness.</summary>
    public static (uint Writes, uint Reads) FlagEffects(Op op) => op switch
    {
        Op.Clc or Op.Stc => (Eflags.Carry, 0),
        Op.Cmc => (Eflags.Carry, Eflags.Carry),
        Op.Lahf => (0, Eflags.LowStatus),
        Op.Sahf => (Eflags.LowStatus, 0),
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
