using System.Linq.Expressions;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Compiles a formed block to a .NET delegate through a LINQ expression tree (the runtime's
/// <c>LambdaCompiler</c> emits IL into a collectible DynamicMethod, which the JIT turns into native
/// code). Shape of the generated method:
/// <code>
/// load the registers the block uses, flags, eip0 from the CPU; snapshot the memory's disturbance count (blocks that access memory)
/// top:
///   per instruction (a label first where a branch of the block lands):
///                    compute into temporaries; on a fault → faulted = i, goto the fault exit: exit(~(executed + faulted), its EIP)
///                    commit registers/flags; after a memory access, if a device or a code write
///                    happened → exit(executed + i + 1, next EIP on the path)
///   a Jcc formation continued across: taken to instruction j of the block → executed += i + 1 − j, goto j (backward:
///                    only if the stretch from j, its Bound, fits the budget and nothing happened, else exit);
///                    taken elsewhere → exit(executed + i + 1, target)
///   a JMP continued across: nothing; one formation went on past (or the last, into the block): as a taken Jcc;
///                    a RET formation went on past: exit at the popped address; a CALL: push the return address
///   executed += count; if next == eip0 and the budget allows another stretch (the entry's bound) and nothing happened → goto top
/// exit: write back the registers it may have changed, flags, EIP; rt.Disturbed = a device or a code write happened; return the count
/// </code>
/// </summary>
internal static class BlockCompiler
{
    /// <summary>The block's expression tree (<see cref="BlockCompilation.Run"/> compiles it, timing tree building and compilation apart).</summary>
    public static Expression<Func<BlockRuntime, long>> Build(List<BlockInstruction> block, bool codeBig, bool stackBig, bool flatData, string? name = null)
    {
        var c = new EmitContext(codeBig, stackBig, flatData);
        var rt = c.Runtime;
        var gpr = c.Gpr;
        var disturbances = Expression.Variable(typeof(long), "disturbances");
        var next = Expression.Variable(typeof(uint), "next");
        var disturbancesNow = c.Disturbances;
        var disturbed = Expression.Field(rt, nameof(BlockRuntime.Disturbed));

        // Only a memory access (or an instruction run by the interpreter's handler) can reach a device or drop code.
        var touchesMemory = block.Exists(item => BlockBuilder.TouchesMemory(item.D));
        var nothingHappened = touchesMemory
            ? Expression.Equal(disturbances, disturbancesNow)
            : (Expression)Expression.Constant(true);
        var top = Expression.Label("top");
        var body = new List<Expression>();
        body.Add(Expression.Label(top));

        var last = block[^1];
        var decoded = new DecodedInstruction[block.Count];
        var count = Expression.Constant((long)block.Count);
        var budget = Expression.Field(rt, nameof(BlockRuntime.Budget));

        // Branches inside the block: a label before each instruction one lands on (the entry's is the loop's top).
        var labels = new LabelTarget[block.Count];
        labels[0] = top;

        // The taken path from instruction i to instruction j of the block. The instruction count stays "executed + index
        // + 1" at every instruction, so executed moves by what the jump skips or repeats. Forward, no count can pass the
        // last budget check's bound (BlockInstruction.Bound: the longest stretch without a backward branch from where it
        // was checked). Backward, the stretch from j must fit the budget and nothing may have been disturbed, as at a self-loop.
        Expression Taken(int i, int j, Expression target)
        {
            var adjust = Expression.AddAssign(c.Executed, Expression.Constant((long)(i + 1 - j)));
            if (j > i)
            {
                return Expression.Block(adjust, Expression.Goto(labels[j]));
            }

            return Expression.Block(
                adjust,
                Expression.IfThen(
                    Expression.AndAlso(Expression.LessThanOrEqual(Expression.Add(c.Executed, Expression.Constant((long)block[j].Bound)), budget), nothingHappened),
                    Expression.Goto(labels[j])),
                Expression.Assign(c.Result, Expression.Add(c.Executed, Expression.Constant((long)j))),
                Expression.Assign(c.ExitEip, target),
                Expression.Goto(c.Exit));
        }

        for (var i = 1; i < block.Count; i++)
        {
            if (block[i].IsTarget)
            {
                labels[i] = Expression.Label("at" + i);
            }
        }

        // The block's last instruction when it is a Jcc or JMP into the block runs as an inner one (its fall-through is the end).
        var lastInner = last.Target >= 0;
        for (var i = 0; i < block.Count; i++)
        {
            var item = block[i];
            var inner = i < block.Count - 1;
            if (i > 0 && item.IsTarget)
            {
                if (c.Pending is not null)
                {
                    throw new InvalidOperationException($"a deferred flag writer is pending at branch target {i}");
                }

                body.Add(Expression.Label(labels[i]));
            }

            if ((inner || lastInner) && FlowEmitter.EndsBlock(item.D.Op))
            {
                var firstTemporary = c.Temporaries.Count;
                var index = i;
                body.Add(c.Scoped(firstTemporary, FlowEmitter.Inner(c, item, i, next, (j, target) => Taken(index, j, target))));
            }
            else
            {
                var firstTemporary = c.Temporaries.Count;
                body.Add(c.Scoped(firstTemporary, BlockBuilder.Interpreted(item.D) ? InterpretEmitter.Emit(c, item, i, decoded) : Emit(c, item, i, next)));
            }

            // A writer that defers stays pending until the next full writer (BlockBuilder only defers then): what a
            // fault or device stop in between recomputes; side exits, the end and other flag users never see one.
            if (DeferredFlags.Of(item) == DeferredFlags.Role.FullWriter)
            {
                c.Pending = item.ExitOnlyFlags != 0 ? (DeferredFlags.Replayed(item.D.Op), item.D.Size) : null;
            }

            // After a memory access that reached a device or dropped code, leave at the next instruction of the path.
            if (inner && !item.Breaks && BlockBuilder.TouchesMemory(item.D))
            {
                body.Add(Expression.IfThen(Expression.Not(nothingHappened), c.Stop(i, block[i + 1].Offset)));
            }
        }

        if (!FlowEmitter.EndsBlock(last.D.Op) || (lastInner && last.D.Op == Op.Jcc))
        {
            body.Add(Expression.Assign(next, c.Eip(last.Offset + last.D.Length)));
        }

        body.Add(Expression.AddAssign(c.Executed, count));
        body.Add(Expression.IfThen(
            Expression.AndAlso(
                Expression.AndAlso(Expression.Equal(next, c.EntryEip), Expression.LessThanOrEqual(Expression.Add(c.Executed, Expression.Constant((long)block[0].Bound)), budget)),
                nothingHappened),
            Expression.Goto(top)));
        body.Add(Expression.Assign(c.Result, c.Executed));
        body.Add(Expression.Assign(c.ExitEip, next));
        var sharedExits = c.Exits.Code(c).ToList();
        if (sharedExits.Count > 0)
        {
            body.Add(Expression.Goto(c.Exit));
            body.AddRange(sharedExits);
        }

        body.Add(Expression.Label(c.Exit));

        // Only the registers the block uses are loaded, and only those it may change are written back.
        var use = RegisterUse.Of(c.Registers, body);
        for (var i = c.Registers.Length - 1; i >= 0; i--)
        {
            if ((use.Changed & (1 << i)) != 0)
            {
                body.Add(Expression.Assign(Expression.ArrayAccess(gpr, EmitContext.I(i)), c.Registers[i]));
            }
        }

        body.Add(Expression.Assign(Expression.Property(rt, nameof(BlockRuntime.Flags)), c.Flags));
        body.Add(Expression.Assign(Expression.Property(rt, nameof(BlockRuntime.Eip)), c.ExitEip));
        body.Add(Expression.Assign(disturbed, touchesMemory ? Expression.Not(nothingHappened) : Expression.Constant(false)));
        body.Add(c.Result);

        var prologue = new List<Expression> { Expression.Assign(gpr, Expression.Field(rt, nameof(BlockRuntime.Gpr))) };

        // Highest index first: one bounds check covers the rest.
        for (var i = c.Registers.Length - 1; i >= 0; i--)
        {
            if ((use.Used & (1 << i)) != 0)
            {
                prologue.Add(Expression.Assign(c.Registers[i], Expression.ArrayIndex(gpr, EmitContext.I(i))));
            }
        }

        prologue.Add(Expression.Assign(c.Flags, Expression.Property(rt, nameof(BlockRuntime.Flags))));
        prologue.Add(Expression.Assign(c.EntryEip, Expression.Field(rt, nameof(BlockRuntime.EntryEip))));
        prologue.Add(Expression.Assign(c.Executed, Expression.Constant(0L)));
        if (touchesMemory)
        {
            prologue.Add(c.LoadMemory());
            prologue.Add(Expression.Assign(disturbances, disturbancesNow));
        }

        if (c.UsesAccessTable)
        {
            prologue.AddRange(c.LoadAccessTable());
        }

        body.InsertRange(0, prologue);
        var variables = c.Registers.Where((_, i) => (use.Used & (1 << i)) != 0).ToList();
        variables.AddRange([gpr, c.Flags, c.EntryEip, c.Executed, c.ExitEip, c.Result, next, c.Discard, c.Exits.Index]);
        if (touchesMemory)
        {
            variables.Add(c.Memory);
            variables.Add(disturbances);
        }

        if (c.UsesAccessTable)
        {
            variables.Add(c.AccessTable);
            variables.Add(c.Ram);
        }

        if (c.Deferred)
        {
            variables.Add(c.DeferredA);
            variables.Add(c.DeferredB);
        }

        variables.AddRange(c.Temporaries);
        return Expression.Lambda<Func<BlockRuntime, long>>(Expression.Block(typeof(long), variables, body), name, [rt]);
    }

    private static Expression Emit(EmitContext c, in BlockInstruction item, int index, ParameterExpression next) => item.D.Op switch
    {
        Op.Add or Op.Or or Op.Adc or Op.Sbb or Op.And or Op.Sub or Op.Xor or Op.Cmp or Op.Test => AluEmitter.Binary(c, item, index),
        Op.Inc or Op.Dec or Op.Not or Op.Neg => AluEmitter.Unary(c, item, index),
        Op.Rol or Op.Ror or Op.Rcl or Op.Rcr or Op.Shl or Op.Shr or Op.Sar => AluEmitter.Shift(c, item),
        Op.Mov => MoveEmitter.Mov(c, item, index),
        Op.Movzx or Op.Movsx => MoveEmitter.Extend(c, item, index),
        Op.Lea => MoveEmitter.Lea(c, item),
        Op.Setcc => MoveEmitter.Setcc(c, item, index),
        Op.Nop => Expression.Empty(),
        Op.Push when item.D.Form0 == OperandForm.Memory => StackEmitter.Emit(c, item, index),
        Op.Push => FlowEmitter.Push(c, item, index),
        Op.PushSreg => StackEmitter.Emit(c, item, index),
        Op.Pop => FlowEmitter.Pop(c, item, index),
        Op.Rdtsc or Op.Clc or Op.Stc or Op.Cmc or Op.Cld or Op.Std or Op.Lahf or Op.Sahf => SystemEmitter.Emit(c, item, index),
        Op.Mul or Op.Imul1 or Op.Imul => MultiplyEmitter.Emit(c, item, index),
        Op.Xchg or Op.Cmovcc or Op.Cbw or Op.Cwd or Op.Bt or Op.Bts or Op.Btr or Op.Btc or Op.Leave or Op.Pushf => DataEmitter.Emit(c, item, index),
        Op.Div or Op.Idiv => DivideEmitter.Emit(c, item, index),
        Op.Xadd or Op.Cmpxchg => ExchangeEmitter.Emit(c, item, index),
        Op.Bsf or Op.Bsr or Op.Bswap or Op.Shld or Op.Shrd => BitEmitter.Emit(c, item, index),
        Op.Movs or Op.Cmps or Op.Scas or Op.Lods or Op.Stos => StringEmitter.Emit(c, item, index),
        _ => FlowEmitter.Branch(c, item, index, next),
    };
}
