using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Translates near JMP/Jcc/CALL/RET and PUSH/POP of registers and immediates, following
/// <see cref="ControlUnit"/>: a push writes below SP first and moves SP only after the write succeeded,
/// a pop reads first, and a branch target is masked by the operand size (not the code size).
/// </summary>
internal static class FlowEmitter
{
    private const uint Word = 0xFFFF;

    /// <summary>A forward displacement of a page or more cannot stay inside the block's page.</summary>
    private const long GuestMemoryPage = Emulator.Machine.Memory.GuestMemory.PageSize;

    public static bool CanTranslate(in DecodedInstruction d) => d.Op switch
    {
        Op.Jmp or Op.Jcc or Op.Call => true,
        Op.Ret => d.Form0 is OperandForm.None or OperandForm.Immediate,
        Op.Push => d.Form0 is OperandForm.Register or OperandForm.Immediate,
        Op.Pop => d.Form0 == OperandForm.Register,
        _ => false,
    };

    /// <summary>True for the transfers of control: they end a block unless formation continues across them (<see cref="Continues"/>).</summary>
    public static bool EndsBlock(Op op) => op is Op.Jmp or Op.Jcc or Op.Call or Op.Ret;

    /// <summary>
    /// Whether formation continues after the transfer <paramref name="d"/> that ends <paramref name="end"/> bytes
    /// after the block's entry, and at which offset: a Jcc continues with its fall-through (the taken path is a
    /// side exit); a JMP or CALL with its target when that is known now, relative in the same way whatever the
    /// entry EIP, and forward of every byte already in the block (offsets only grow; the page and CS-limit checks
    /// of the next instruction still apply). The target must be masked exactly as the code size masks IP (a
    /// 16-bit branch in 32-bit code, or a 32-bit one in 16-bit code, truncates or escapes the IP range
    /// differently): then, since the entry checks keep the whole block below the CS limit and, in 16-bit code,
    /// below 64K, the interpreter's masked target is the entry EIP plus that offset.
    /// </summary>
    public static bool Continues(in DecodedInstruction d, bool codeBig, uint end, out uint resume)
    {
        resume = end;
        if (d.Op == Op.Jcc)
        {
            return true;
        }

        if (d.Op is not (Op.Jmp or Op.Call) || d.Size != (codeBig ? 4 : 2))
        {
            return false;
        }

        var displacement = unchecked(codeBig ? (long)(int)d.Imm : (short)d.Imm);
        if (displacement < 0 || displacement >= GuestMemoryPage)
        {
            return false;
        }

        resume = end + (uint)displacement;
        return true;
    }

    /// <summary>
    /// A transfer that does not end the block's code here: the block's last Jcc or JMP when its target is an instruction
    /// of the block, or a transfer formation continued across. A CALL pushes its return address and goes on at its
    /// target (the next instruction); a JMP formation followed does nothing; a Jcc, when taken, and a JMP that breaks the
    /// straight line go to their target through <paramref name="taken"/> (given the target's index and EIP) when it is
    /// an instruction of the block, or else leave the block there; a RET that breaks the straight line leaves at the
    /// address it pops.
    /// </summary>
    public static Expression Inner(EmitContext c, in BlockInstruction bi, int index, ParameterExpression next, Func<int, Expression, Expression> taken)
    {
        var d = bi.D;
        var fallThrough = c.Eip(bi.Offset + d.Length);
        switch (d.Op)
        {
            case Op.Call:
                return PushValue(c, bi, index, fallThrough);
            case Op.Jcc:
            {
                var target = Target(Expression.Add(fallThrough, EmitContext.U(d.Imm)), d.Size);
                return Expression.IfThen(ConditionEmitter.Holds(d.Aux, c.Flags), bi.Target >= 0 ? taken(bi.Target, target) : c.Leave(index, target));
            }

            case Op.Jmp when bi.Breaks || bi.Target >= 0:
            {
                var target = Target(Expression.Add(fallThrough, EmitContext.U(d.Imm)), d.Size);
                return bi.Target >= 0 ? taken(bi.Target, target) : c.Leave(index, target);
            }

            case Op.Ret when bi.Breaks:
                return Expression.Block(Branch(c, bi, index, next), c.Leave(index, next));
            default:
                return Expression.Empty();
        }
    }

    /// <summary>
    /// The offset from the block's entry a Jcc or JMP at <paramref name="offset"/> goes to, when that is known at
    /// translation whatever the entry EIP: the operand size equals the code size, so the target is masked as IP is
    /// (as in <see cref="Continues"/>). False for other transfers. A target before the entry wraps to an offset past
    /// any instruction of the block.
    /// </summary>
    public static bool RelativeTarget(in DecodedInstruction d, bool codeBig, uint offset, out uint target)
    {
        target = (offset + d.Length + d.Imm) & (codeBig ? 0xFFFF_FFFFu : Word);
        return d.Op is Op.Jcc or Op.Jmp && d.Size == (codeBig ? 4 : 2);
    }

    public static Expression Push(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var value = d.Form0 == OperandForm.Register ? c.ReadReg(d.Reg0, 0, size) : EmitContext.U(d.Imm & Alu.Mask(size));
        return PushValue(c, bi, index, value);
    }

    /// <summary>Pushes <paramref name="value"/> (the instruction's operand size): written below (E)SP before (E)SP moves, as <see cref="ExecutionCore.TryPush"/>.</summary>
    public static Expression PushValue(EmitContext c, in BlockInstruction bi, int index, Expression value)
    {
        int size = bi.D.Size;
        var pushed = c.Temp("pv");
        var newSp = c.Temp("sp");
        var esp = c.Registers[CpuRegisters.Esp];
        return Expression.Block(
            Expression.Assign(pushed, value),
            Expression.Assign(newSp, Expression.And(Expression.Subtract(esp, EmitContext.U((uint)size)), EmitContext.U(c.StackMask))),
            c.Write(index, bi.Offset, ExecutionCore.Ss, newSp, size, pushed),
            Expression.Assign(esp, Expression.Or(Expression.And(esp, EmitContext.U(~c.StackMask)), newSp)));
    }

    public static Expression Pop(EmitContext c, in BlockInstruction bi, int index)
    {
        var d = bi.D;
        int size = d.Size;
        var value = c.Temp("pop");
        return Expression.Block(
            c.Read(index, bi.Offset, ExecutionCore.Ss, Expression.And(c.Registers[CpuRegisters.Esp], EmitContext.U(c.StackMask)), size, value),
            AdjustStack(c, EmitContext.U((uint)size)),
            c.WriteReg(d.Reg0, 0, size, value));
    }

    /// <summary>A block-ending transfer: assigns the next EIP (taken or not) to <paramref name="next"/>.</summary>
    public static Expression Branch(EmitContext c, in BlockInstruction bi, int index, ParameterExpression next)
    {
        var d = bi.D;
        int size = d.Size;
        var fallThrough = c.Eip(bi.Offset + d.Length);
        var target = Target(Expression.Add(fallThrough, EmitContext.U(d.Imm)), size);
        switch (d.Op)
        {
            case Op.Jmp:
                return Expression.Assign(next, target);
            case Op.Jcc:
                return Expression.Assign(next, Expression.Condition(ConditionEmitter.Holds(d.Aux, c.Flags), target, fallThrough));
            case Op.Call:
            {
                var returnAddress = c.Temp("ret");
                var newSp = c.Temp("sp");
                var esp = c.Registers[CpuRegisters.Esp];
                return Expression.Block(
                    Expression.Assign(returnAddress, fallThrough),
                    Expression.Assign(newSp, Expression.And(Expression.Subtract(esp, EmitContext.U((uint)size)), EmitContext.U(c.StackMask))),
                    c.Write(index, bi.Offset, ExecutionCore.Ss, newSp, size, returnAddress),
                    Expression.Assign(esp, Expression.Or(Expression.And(esp, EmitContext.U(~c.StackMask)), newSp)),
                    Expression.Assign(next, Target(Expression.Add(returnAddress, EmitContext.U(d.Imm)), size)));
            }

            default:
            {
                var popped = c.Temp("ret");
                var release = d.Form0 == OperandForm.Immediate ? d.Imm & Word : 0;
                return Expression.Block(
                    c.Read(index, bi.Offset, ExecutionCore.Ss, Expression.And(c.Registers[CpuRegisters.Esp], EmitContext.U(c.StackMask)), size, popped),
                    AdjustStack(c, EmitContext.U((uint)size)),
                    AdjustStack(c, EmitContext.U(release)),
                    Expression.Assign(next, Target(popped, size)));
            }
        }
    }

    private static Expression Target(Expression target, int size) => size == 4 ? target : Expression.And(target, EmitContext.U(Word));

    private static Expression AdjustStack(EmitContext c, Expression bytes)
    {
        var esp = c.Registers[CpuRegisters.Esp];
        var mask = EmitContext.U(c.StackMask);
        return Expression.Assign(esp, Expression.Or(
            Expression.And(esp, EmitContext.U(~c.StackMask)),
            Expression.And(Expression.Add(esp, bytes), mask)));
    }
}
