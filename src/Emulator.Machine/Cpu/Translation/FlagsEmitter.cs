using System.Linq.Expressions;
using System.Numerics;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// The ALU's results and status flags as inline expressions, bit for bit what <see cref="Alu.Add"/>,
/// <see cref="Alu.Sub"/>, <see cref="Alu.Logic"/>, <see cref="Alu.IncDec"/> and <see cref="IntegerUnit.Neg"/>
/// produce. Only the flags in <c>replaced</c> (the ones the instruction writes that the block's liveness pass
/// says something can observe) are computed; the others keep their old bits, which nothing reads before they
/// are overwritten. Each builder assigns the masked result and the new flags to the temporaries it is given,
/// before anything is committed, so a later fault leaves the old flags.
/// </summary>
internal static class FlagsEmitter
{
    private const uint LowByte = 0xFF;
    private const uint ParityFlag = Eflags.Parity;
    private const int ParityShift = 2;
    private const uint OverflowFlag = Eflags.Overflow;
    private const int OverflowBit = 11;
    private const int SignBit = 7;
    private const int ZeroBit = 6;
    private const int HighBit = 31;
    private const int DwordBits = 32;

    private static readonly System.Reflection.MethodInfo PopCountMethod = typeof(BitOperations).GetMethod(nameof(BitOperations.PopCount), [typeof(uint)])!;

    /// <summary>ADD, ADC (<paramref name="carryIn"/> the old CF, 0 or 1) and INC (<paramref name="replaced"/> without CF).</summary>
    public static Expression Add(Expression a, Expression b, Expression? carryIn, int size, Expression flags, uint replaced, ParameterExpression result, ParameterExpression newFlags) =>
        Arithmetic(subtract: false, a, b, carryIn, size, flags, replaced, result, newFlags);

    /// <summary>SUB, CMP, SBB (<paramref name="borrowIn"/> the old CF), DEC (<paramref name="replaced"/> without CF) and NEG (0 − value: CF is the borrow, set unless the value is zero).</summary>
    public static Expression Subtract(Expression a, Expression b, Expression? borrowIn, int size, Expression flags, uint replaced, ParameterExpression result, ParameterExpression newFlags) =>
        Arithmetic(subtract: true, a, b, borrowIn, size, flags, replaced, result, newFlags);

    /// <summary>AND, OR, XOR, TEST: <paramref name="value"/> is already within the operand size; CF, AF and OF are cleared.</summary>
    public static Expression Logic(Expression value, int size, Expression flags, uint replaced, ParameterExpression result, ParameterExpression newFlags) =>
        Expression.Block(
            Expression.Assign(result, value),
            Expression.Assign(newFlags, Merge(flags, replaced, ResultFlags(result, size, replaced))));

    /// <summary>The old flags with the <paramref name="replaced"/> bits taken from <paramref name="pieces"/> (each already at its bit, zero where clear).</summary>
    public static Expression Merge(Expression flags, uint replaced, List<Expression> pieces)
    {
        var kept = Expression.And(flags, EmitContext.U(~replaced));
        return pieces.Count == 0 ? kept : Expression.Or(kept, Balanced(pieces, 0, pieces.Count));
    }

    /// <summary>PF, ZF and SF of a result within the operand size, those of them in <paramref name="replaced"/>.</summary>
    public static List<Expression> ResultFlags(Expression result, int size, uint replaced)
    {
        var pieces = new List<Expression>();
        if ((replaced & Eflags.Parity) != 0)
        {
            // Even number of ones in the low byte, as Alu.SignZeroParity counts them.
            var ones = Expression.Convert(Expression.Call(PopCountMethod, Expression.And(result, EmitContext.U(LowByte))), typeof(uint));
            pieces.Add(Expression.ExclusiveOr(Expression.And(Expression.LeftShift(ones, EmitContext.I(ParityShift)), EmitContext.U(ParityFlag)), EmitContext.U(ParityFlag)));
        }

        if ((replaced & Eflags.Zero) != 0)
        {
            // (r − 1) & ~r has its top bit set only for r = 0.
            var zeroOnly = Expression.And(Expression.Subtract(result, EmitContext.U(1)), Expression.Not(result));
            pieces.Add(Expression.And(Expression.RightShift(zeroOnly, EmitContext.I(HighBit - ZeroBit)), EmitContext.U(Eflags.Zero)));
        }

        if ((replaced & Eflags.Sign) != 0)
        {
            pieces.Add(Expression.And(MoveBit(result, Alu.Bits(size) - 1, SignBit), EmitContext.U(Eflags.Sign)));
        }

        return pieces;
    }

    /// <summary>OF from an expression whose sign bit (of the operand size) is the overflow.</summary>
    public static Expression OverflowFrom(Expression signDifference, int size) =>
        Expression.And(MoveBit(signDifference, Alu.Bits(size) - 1, OverflowBit), EmitContext.U(OverflowFlag));

    /// <summary>A 0-or-1 expression moved to OF.</summary>
    public static Expression OverflowBitFrom(Expression bit) => Expression.LeftShift(bit, EmitContext.I(OverflowBit));

    /// <summary>Shifts <paramref name="value"/> so that bit <paramref name="from"/> lands on bit <paramref name="to"/> (other bits move along; the caller masks).</summary>
    private static Expression MoveBit(Expression value, int from, int to) =>
        from == to ? value
        : from > to ? Expression.RightShift(value, EmitContext.I(from - to))
        : Expression.LeftShift(value, EmitContext.I(to - from));

    private static Expression Arithmetic(bool subtract, Expression a, Expression b, Expression? carryIn, int size, Expression flags, uint replaced, ParameterExpression result, ParameterExpression newFlags)
    {
        var bits = Alu.Bits(size);
        var mask = EmitContext.MaskOf(size);
        var statements = new List<Expression>();
        var variables = new List<ParameterExpression>();
        Expression? carry = null;
        if ((replaced & Eflags.Carry) == 0)
        {
            statements.Add(Expression.Assign(result, Expression.And(Combine(subtract, a, b, carryIn), mask)));
        }
        else if (size < 4)
        {
            // The carry (or borrow) out of the operand size is the bit above it in 32-bit arithmetic.
            var wide = Expression.Variable(typeof(uint), "w");
            variables.Add(wide);
            statements.Add(Expression.Assign(wide, Combine(subtract, a, b, carryIn)));
            statements.Add(Expression.Assign(result, Expression.And(wide, mask)));
            carry = Expression.And(Expression.RightShift(wide, EmitContext.I(bits)), EmitContext.U(Eflags.Carry));
        }
        else
        {
            var wide = Expression.Variable(typeof(ulong), "w");
            variables.Add(wide);
            statements.Add(Expression.Assign(wide, Combine(subtract, Widen(a), Widen(b), carryIn is null ? null : Widen(carryIn))));
            statements.Add(Expression.Assign(result, Expression.Convert(wide, typeof(uint))));
            carry = Expression.And(Expression.Convert(Expression.RightShift(wide, EmitContext.I(DwordBits)), typeof(uint)), EmitContext.U(Eflags.Carry));
        }

        var pieces = ResultFlags(result, size, replaced);
        if (carry is not null)
        {
            pieces.Add(carry);
        }

        if ((replaced & Eflags.Adjust) != 0)
        {
            pieces.Add(Expression.And(Expression.ExclusiveOr(Expression.ExclusiveOr(a, b), result), EmitContext.U(Eflags.Adjust)));
        }

        if ((replaced & Eflags.Overflow) != 0)
        {
            // ADD: both operands' signs differ from the result's; SUB: the operands' signs differ and the result's differs from a's.
            var signDifference = subtract
                ? Expression.And(Expression.ExclusiveOr(a, b), Expression.ExclusiveOr(a, result))
                : Expression.And(Expression.ExclusiveOr(a, result), Expression.ExclusiveOr(b, result));
            pieces.Add(OverflowFrom(signDifference, size));
        }

        statements.Add(Expression.Assign(newFlags, Merge(flags, replaced, pieces)));
        return Expression.Block(variables, statements);
    }

    private static Expression Combine(bool subtract, Expression a, Expression b, Expression? carryIn)
    {
        var value = subtract ? Expression.Subtract(a, b) : Expression.Add(a, b);
        return carryIn is null ? value : subtract ? Expression.Subtract(value, carryIn) : Expression.Add(value, carryIn);
    }

    private static Expression Widen(Expression value) => Expression.Convert(value, typeof(ulong));

    /// <summary>ORs the pieces as a balanced tree, so the flags' dependency chain is logarithmic rather than linear.</summary>
    private static Expression Balanced(List<Expression> pieces, int start, int count) =>
        count == 1 ? pieces[start] : Expression.Or(Balanced(pieces, start, count / 2), Balanced(pieces, start + (count / 2), count - (count / 2)));
}
