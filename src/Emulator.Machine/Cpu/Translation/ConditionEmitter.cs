using System.Linq.Expressions;
using Iced.Intel;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>Jcc/SETcc conditions as inline tests of the flags local, one per Iced <see cref="ConditionCode"/> (the same table as <see cref="ExecutionCore.Condition(int, uint)"/>).</summary>
internal static class ConditionEmitter
{
    public static Expression Holds(int code, Expression flags) => (ConditionCode)code switch
    {
        ConditionCode.o => Set(flags, Eflags.Overflow),
        ConditionCode.no => Clear(flags, Eflags.Overflow),
        ConditionCode.b => Set(flags, Eflags.Carry),
        ConditionCode.ae => Clear(flags, Eflags.Carry),
        ConditionCode.e => Set(flags, Eflags.Zero),
        ConditionCode.ne => Clear(flags, Eflags.Zero),
        ConditionCode.be => Set(flags, Eflags.Carry | Eflags.Zero),
        ConditionCode.a => Clear(flags, Eflags.Carry | Eflags.Zero),
        ConditionCode.s => Set(flags, Eflags.Sign),
        ConditionCode.ns => Clear(flags, Eflags.Sign),
        ConditionCode.p => Set(flags, Eflags.Parity),
        ConditionCode.np => Clear(flags, Eflags.Parity),
        ConditionCode.l => SignNotOverflow(flags),
        ConditionCode.ge => Expression.Not(SignNotOverflow(flags)),
        ConditionCode.le => Expression.OrElse(Set(flags, Eflags.Zero), SignNotOverflow(flags)),
        _ => Expression.AndAlso(Clear(flags, Eflags.Zero), Expression.Not(SignNotOverflow(flags))),
    };

    /// <summary>The status flags condition <paramref name="code"/> tests (for the block's flag liveness).</summary>
    public static uint Reads(int code) => (ConditionCode)code switch
    {
        ConditionCode.o or ConditionCode.no => Eflags.Overflow,
        ConditionCode.b or ConditionCode.ae => Eflags.Carry,
        ConditionCode.e or ConditionCode.ne => Eflags.Zero,
        ConditionCode.be or ConditionCode.a => Eflags.Carry | Eflags.Zero,
        ConditionCode.s or ConditionCode.ns => Eflags.Sign,
        ConditionCode.p or ConditionCode.np => Eflags.Parity,
        ConditionCode.l or ConditionCode.ge => Eflags.Sign | Eflags.Overflow,
        _ => Eflags.Zero | Eflags.Sign | Eflags.Overflow,
    };

    private static Expression Set(Expression flags, uint bits) => Expression.NotEqual(Expression.And(flags, EmitContext.U(bits)), EmitContext.U(0));

    private static Expression Clear(Expression flags, uint bits) => Expression.Equal(Expression.And(flags, EmitContext.U(bits)), EmitContext.U(0));

    /// <summary>SF ≠ OF: bit 7 and bit 11 differ.</summary>
    private static Expression SignNotOverflow(Expression flags) => Expression.NotEqual(Set(flags, Eflags.Sign), Set(flags, Eflags.Overflow));
}
