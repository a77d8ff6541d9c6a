using System.Buffers.Binary;
using System.Linq.Expressions;
using System.Numerics;
using System.Reflection;
using Iced.Intel;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates BSF/BSR, BSWAP and SHLD/SHRD as <see cref="IntegerUnit.BitScan"/>, <see cref="IntegerUnit.ByteSwap"/>
/// and <see cref="ShiftUnit.DoubleShift"/> run them. A bit scan of zero sets ZF and leaves the destination
/// alone (other flags untouched); a 16-bit BSWAP clears the low word, as the interpreter chooses for that
/// undefined form. A double shift by a masked count of zero changes nothing and does not even address its
/// memory operand; otherwise the result and every flag (the undefined ones included) come from the
/// interpreter's own <see cref="ShiftUnit.DoubleShiftResult"/>, and a memory destination is read with write
/// intent before anything is committed.
/// </summary>
internal static class BitEmitter
{
    private const int CountMask = 31;
    private const int HighestBit = 31;

    private static readonly MethodInfo DoubleShiftMethod = typeof(ShiftUnit).GetMethod(nameof(ShiftUnit.DoubleShiftResult), BindingFlags.Static | BindingFlags.NonPublic)!;
    private static readonly MethodInfo ReverseMethod = typeof(BinaryPrimitives).GetMethod(nameof(BinaryPrimitives.ReverseEndianness), [typeof(uint)])!;
    private static readonly MethodInfo TrailingZerosMethod = typeof(BitOperations).GetMethod(nameof(BitOperations.TrailingZeroCount), [typeof(uint)])!;
    private static readonly MethodInfo LeadingZerosMethod = typeof(BitOperations).GetMethod(nameof(BitOperations.LeadingZeroCount), [typeof(uint)])!;

    public static bool CanTranslate(in DecodedInstruction d) => d.Op switch
    {
        Op.Bsf or Op.Bsr => d.Form0 == OperandForm.Register && d.Form1 is OperandForm.Register or OperandForm.Memory && d.Size is 2 or 4,
        Op.Bswap => d.Form0 == OperandForm.Register && d.Size is 2 or 4,
        Op.Shld or Op.Shrd => d.Form0 is OperandForm.Register or OperandForm.Memory && d.Form1 == OperandForm.Register && d.Size is 2 or 4,
        _ => false,
    };

    /// <summary>(writes, reads) of the status flags: a bit scan writes ZF; a double shift by zero keeps every flag, so it kills none.</summary>
    public static (uint Writes, uint Reads) FlagEffects(Op op) => op switch
    {
        Op.Bsf or Op.Bsr => (Eflags.Zero, 0),
        Op.Shld or Op.Shrd => (0, Eflags.Status),
        _ => (0, 0),
    };

    public static Expression Emit(EmitContext c, in BlockInstruction bi, int index) => bi.D.Op switch
    {
        Op.Bsf or Op.Bsr => BitScan(c, bi, index),
        Op.Bswap => ByteSwap(c, bi.D),
        _ => DoubleShift(c, bi, index),
    };

    private static Expression BitScan(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        var source = c.Temp("src");
        var statements = new List<Expression>();
        statements.Add(Expression.Assign(source, c.Source(statements, index, bi, d.Form1, d.Reg1, d.Shift1, d.Size)));
        Expression position = d.Op == Op.Bsf
            ? Expression.Call(TrailingZerosMethod, source)
            : Expression.Subtract(EmitContext.I(HighestBit), Expression.Call(LeadingZerosMethod, source));
        statements.Add(Expression.IfThenElse(
            Expression.Equal(source, EmitContext.U(0)),
            Expression.OrAssign(c.Flags, EmitContext.U(Eflags.Zero)),
            Expression.Block(
                Expression.AndAssign(c.Flags, EmitContext.U(~Eflags.Zero)),
                c.WriteReg(d.Reg0, 0, d.Size, Expression.Convert(position, typeof(uint))))));
        return Expression.Block(statements);
    }

    private static Expression ByteSwap(EmitContext c, in DecodedInstruction d)
    {
        var register = c.Registers[d.Reg0];
        return Expression.Assign(register, d.Size == 4
            ? Expression.Call(ReverseMethod, register)
            : Expression.And(register, EmitContext.U(Alu.HighWordMask)));
    }

    private static Expression DoubleShift(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        var byRegister = d.Instr.Op2Kind == OpKind.Register;
        if (!byRegister && (d.Imm & CountMask) == 0)
        {
            return Expression.Empty();
        }

        int size = d.Size;
        var count = c.Temp("n");
        var destination = c.Temp("dst");
        var result = c.Temp("res");
        var newFlags = c.Temp("f");
        var shift = new List<Expression>();
        ParameterExpression? linear = null;
        if (d.Form0 == OperandForm.Register)
        {
            shift.Add(Expression.Assign(destination, c.ReadReg(d.Reg0, d.Shift0, size)));
        }
        else
        {
            linear = c.Temp("lin");
            shift.Add(c.ReadForWrite(index, bi.Offset, d.Seg, c.Offset(d), size, linear, destination));
        }

        shift.Add(Expression.Assign(newFlags, c.Flags));
        shift.Add(Expression.Assign(result, Expression.Call(DoubleShiftMethod,
            Expression.Constant(d.Op == Op.Shld), destination, c.ReadReg(d.Reg1, 0, size), Expression.Convert(count, typeof(int)), EmitContext.I(size), newFlags)));
        shift.Add(linear is null ? c.WriteReg(d.Reg0, d.Shift0, size, result) : c.WriteBack(index, bi.Offset, linear, size, result));
        shift.Add(Expression.Assign(c.Flags, newFlags));
        if (!byRegister)
        {
            return Expression.Block(shift.Prepend(Expression.Assign(count, EmitContext.U(d.Imm & CountMask))));
        }

        return Expression.Block(
            Expression.Assign(count, Expression.And(c.Registers[CpuRegisters.Ecx], EmitContext.U(CountMask))),
            Expression.IfThen(Expression.NotEqual(count, EmitContext.U(0)), Expression.Block(shift)));
    }
}
