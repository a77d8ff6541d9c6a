using System.Linq.Expressions;
using System.Reflection;
using Emulator.Machine.Memory;

namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// The shared pieces of one block's expression tree: guest registers and EFLAGS held in locals for the
/// whole block (loaded on entry, written back at every exit), the entry EIP, the instructions counted
/// by earlier passes of a self-looping block, and the exits. The emitters build each instruction from
/// these so every instruction commits its registers only after its last possible fault, as the
/// interpreter's units do.
/// </summary>
internal sealed class EmitContext
{
    private const uint Word = 0xFFFF;
    private const uint Byte = 0xFF;
    private const uint Dword = 0xFFFF_FFFF;

    private static readonly MethodInfo ReadMethod = MemoryMethod(nameof(TranslatedMemory.TryReadTranslated));
    private static readonly MethodInfo WriteMethod = MemoryMethod(nameof(TranslatedMemory.TryWriteTranslated));
    private static readonly MethodInfo WriteLinearInMethod = MemoryMethod(nameof(TranslatedMemory.WriteLinearIn));
    private static readonly MethodInfo ReadLinearInMethod = MemoryMethod(nameof(TranslatedMemory.ReadLinearIn));
    private static readonly MethodInfo ReadSlowMethod = MemoryMethod(nameof(TranslatedMemory.ReadTranslatedSlow));
    private static readonly MethodInfo WriteSlowMethod = MemoryMethod(nameof(TranslatedMemory.TryWriteTranslatedSlow));
    private static readonly MethodInfo WriteBackSlowMethod = MemoryMethod(nameof(TranslatedMemory.TryWriteBackTranslatedSlow));
    private static readonly MethodInfo CheckLimitMethod = Method(nameof(BlockRuntime.CheckLimit));
    private static readonly FieldInfo DisturbancesField = typeof(GuestMemory).GetField(nameof(GuestMemory.DisturbanceCount), BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException(nameof(GuestMemory.DisturbanceCount));
    private static readonly MethodInfo MaterializeMethod = typeof(DeferredFlags).GetMethod(nameof(DeferredFlags.Materialize))!;

    public EmitContext(bool codeBig, bool stackBig, bool flatData)
    {
        FlatData = flatData;
        Runtime = Expression.Parameter(typeof(BlockRuntime), "rt");
        for (var i = 0; i < Registers.Length; i++)
        {
            Registers[i] = Expression.Variable(typeof(uint), "r" + i);
        }

        Gpr = Expression.Variable(typeof(uint[]), "gpr");
        Flags = Expression.Variable(typeof(uint), "flags");
        EntryEip = Expression.Variable(typeof(uint), "eip0");
        Executed = Expression.Variable(typeof(long), "executed");
        ExitEip = Expression.Variable(typeof(uint), "exitEip");
        Result = Expression.Variable(typeof(long), "result");
        Discard = Expression.Variable(typeof(uint), "discard");
        Mmu = Expression.Field(Runtime, nameof(BlockRuntime.Mmu));
        Exit = Expression.Label("exit");
        DeferredA = Expression.Variable(typeof(uint), "deferA");
        DeferredB = Expression.Variable(typeof(uint), "deferB");
        IpMask = codeBig ? Dword : Word;
        StackMask = stackBig ? Dword : Word;
    }

    public ParameterExpression Runtime { get; }

    /// <summary>
    /// The block is keyed with DS, ES and SS flat (base 0, limit FFFFFFFF), which no instruction inside a block can
    /// change: their accesses skip the segment step (<see cref="TranslatedMemory.TryReadLinear"/>).
    /// </summary>
    public bool FlatData { get; }

    /// <summary>Whether an access through <paramref name="segment"/> may use the linear fast path (<see cref="FlatData"/>).</summary>
    private bool Flat(int segment) => FlatData && segment is ExecutionCore.Ds or ExecutionCore.Es or ExecutionCore.Ss;

    public ParameterExpression[] Registers { get; } = new ParameterExpression[8];

    /// <summary>The CPU's register array, loaded once on entry (the register file is spilled to it and reloaded from it).</summary>
    public ParameterExpression Gpr { get; }

    public ParameterExpression Flags { get; }

    public ParameterExpression EntryEip { get; }

    /// <summary>Instructions counted by earlier passes of a block that loops to itself.</summary>
    public ParameterExpression Executed { get; }

    public ParameterExpression ExitEip { get; }

    public ParameterExpression Result { get; }

    public LabelTarget Exit { get; }

    /// <summary>The fault and stop exits every site of the block shares (<see cref="Fault"/>, <see cref="Stop"/>).</summary>
    public SharedExits Exits { get; } = new();

    /// <summary>Receives the linear address of a plain read, which nothing uses (the JIT drops the store).</summary>
    public ParameterExpression Discard { get; }

    private Expression Mmu { get; }

    /// <summary>
    /// Block-wide locals holding <see cref="TranslatedMemory.AccessTable"/> and <see cref="TranslatedMemory.Ram"/>, loaded
    /// on entry when an access uses them (<see cref="UsesAccessTable"/>), instead of two loads through rt.Mmu at every access.
    /// </summary>
    public ParameterExpression AccessTable { get; } = Expression.Variable(typeof(AccessEntry[]), "access");

    public ParameterExpression Ram { get; } = Expression.Variable(typeof(byte[]), "ram");

    /// <summary>Whether an access emitted so far reads <see cref="AccessTable"/> and <see cref="Ram"/>.</summary>
    public bool UsesAccessTable { get; private set; }

    /// <summary>The prologue's loads of <see cref="AccessTable"/> and <see cref="Ram"/>.</summary>
    public IEnumerable<Expression> LoadAccessTable()
    {
        yield return Expression.Assign(AccessTable, Expression.Property(Mmu, nameof(TranslatedMemory.AccessTable)));
        yield return Expression.Assign(Ram, Expression.Property(Mmu, nameof(TranslatedMemory.Ram)));
    }

    private ParameterExpression UseAccessTable()
    {
        UsesAccessTable = true;
        return AccessTable;
    }

    /// <summary>The operands of the pending deferred flag writer (<see cref="DeferredFlags"/>); block-wide locals.</summary>
    public ParameterExpression DeferredA { get; }

    public ParameterExpression DeferredB { get; }

    /// <summary>
    /// At the point being emitted, the instruction whose status flags are still only in <see cref="DeferredA"/> and
    /// <see cref="DeferredB"/> (its operation, already the one <see cref="DeferredFlags.Materialize"/> replays, and
    /// size), or null when the flags local is exact. The compiler keeps it current; every exit built here
    /// materializes it first.
    /// </summary>
    public (Op Op, int Size)? Pending { get; set; }

    /// <summary>Whether any instruction deferred its flags (the compiler then declares the operand locals).</summary>
    public bool Deferred { get; set; }

    /// <summary>flags = the pending writer's flags, recomputed from its operands; nothing when none is pending.</summary>
    public Expression MaterializePending() => Pending is { } p
        ? Expression.Assign(Flags, Expression.Call(MaterializeMethod, Flags, Expression.Constant(p.Op), DeferredA, DeferredB, I(p.Size)))
        : Expression.Empty();

    public uint IpMask { get; }

    public uint StackMask { get; }

    /// <summary>Temporaries declared by the emitters; the compiler declares them at block scope.</summary>
    public List<ParameterExpression> Temporaries { get; } = [];

    public ParameterExpression Temp(string name)
    {
        var variable = Expression.Variable(typeof(uint), name + Temporaries.Count);
        Temporaries.Add(variable);
        return variable;
    }

    /// <summary>
    /// Declares the temporaries created since <paramref name="firstTemporary"/> in a scope of their own around
    /// <paramref name="instruction"/>: none is read outside the instruction that made it, and the runtime's
    /// LambdaCompiler gives a closed scope's IL locals to the next one, so a block needs a few dozen locals
    /// instead of several per instruction (the JIT's liveness and SSA cost grows with locals × basic blocks).
    /// </summary>
    public Expression Scoped(int firstTemporary, Expression instruction)
    {
        if (Temporaries.Count == firstTemporary)
        {
            return instruction;
        }

        var scoped = Temporaries.GetRange(firstTemporary, Temporaries.Count - firstTemporary);
        Temporaries.RemoveRange(firstTemporary, Temporaries.Count - firstTemporary);
        return Expression.Block(scoped, instruction);
    }

    public static Expression U(uint value) => Expression.Constant(value);

    public static Expression I(int value) => Expression.Constant(value);

    public static Expression MaskOf(int size) => U(Alu.Mask(size));

    /// <summary>EIP of the instruction <paramref name="offset"/> bytes after the block's first (IP wraps in 16-bit code).</summary>
    public Expression Eip(uint offset) => Expression.And(Expression.Add(EntryEip, U(offset)), U(IpMask));

    public Expression ReadReg(int index, int shift, int size) => size switch
    {
        4 => Registers[index],
        2 => Expression.And(Registers[index], U(Word)),
        _ => Expression.And(Expression.RightShift(Registers[index], I(shift)), U(Byte)),
    };

    public Expression WriteReg(int index, int shift, int size, Expression value)
    {
        var r = Registers[index];
        return size switch
        {
            4 => Expression.Assign(r, value),
            2 => Expression.Assign(r, Expression.Or(Expression.And(r, U(~Word)), Expression.And(value, U(Word)))),
            _ => Expression.Assign(r, Expression.Or(
                Expression.And(r, U(~(Byte << shift))),
                Expression.And(Expression.LeftShift(value, I(shift)), U(Byte << shift)))),
        };
    }

    /// <summary>The memory operand's offset: displacement + base + index × scale, wrapped to the address size.</summary>
    public Expression Offset(in DecodedInstruction d)
    {
        Expression offset = U(d.Disp);
        if (d.Base != DecodedInstruction.NoRegister)
        {
            offset = Expression.Add(offset, Registers[d.Base]);
        }

        if (d.Index != DecodedInstruction.NoRegister)
        {
            offset = Expression.Add(offset, Expression.LeftShift(Registers[d.Index], I(d.Scale)));
        }

        return Expression.And(offset, U(d.AddrMask));
    }

    /// <summary>Leaves the block at instruction <paramref name="index"/> because it faulted: nothing of it is committed, EIP is its own (the shared fault exit).</summary>
    public Expression Fault(int index, uint offset) => Expression.Block(MaterializePending(), Exits.ToFault(index, offset));

    /// <summary>
    /// Leaves the block after instruction <paramref name="index"/> completed, at the instruction <paramref name="nextOffset"/>
    /// bytes after the entry, because it disturbed the machine (a device access or a code drop: the block's
    /// <see cref="GuestMemory.Disturbances"/> check), through the shared stop exit.
    /// </summary>
    public Expression Stop(int index, uint nextOffset) => Expression.Block(MaterializePending(), Exits.ToStop(index, nextOffset));

    /// <summary>Leaves the block after instruction <paramref name="index"/> completed, at <paramref name="nextEip"/>.</summary>
    public Expression Leave(int index, Expression nextEip) => Expression.Block(
        MaterializePending(),
        Expression.Assign(Result, Expression.Add(Executed, Expression.Constant((long)index + 1))),
        Expression.Assign(ExitEip, nextEip),
        Expression.Goto(Exit));

    /// <summary>The CPU's EIP (not the block's local view of it).</summary>
    public Expression RuntimeEip => Expression.Property(Runtime, nameof(BlockRuntime.Eip));

    /// <summary>Writes the register locals and flags back to the CPU (before an interpreted instruction).</summary>
    public IEnumerable<Expression> Spill()
    {
        // Highest index first: one bounds check covers the rest.
        for (var i = Registers.Length - 1; i >= 0; i--)
        {
            yield return Expression.Assign(Expression.ArrayAccess(Gpr, I(i)), Registers[i]);
        }

        yield return Expression.Assign(Expression.Property(Runtime, nameof(BlockRuntime.Flags)), Flags);
    }

    /// <summary>Reads the register locals and flags from the CPU (after an interpreted instruction); ESP kept when it faulted.</summary>
    public IEnumerable<Expression> Reload(bool keepStackPointer)
    {
        for (var i = Registers.Length - 1; i >= 0; i--)
        {
            if (!(keepStackPointer && i == CpuRegisters.Esp))
            {
                yield return Expression.Assign(Registers[i], Expression.ArrayIndex(Gpr, I(i)));
            }
        }

        yield return Expression.Assign(Flags, Expression.Property(Runtime, nameof(BlockRuntime.Flags)));
    }

    /// <summary>rt.Core.Progress = rt.ProgressBase + executed + index + 1 (written out rather than a call: every inlined call costs the JIT).</summary>
    public Expression SetProgress(int index) => Expression.Assign(
        Expression.Field(Expression.Field(Runtime, nameof(BlockRuntime.Core)), nameof(ExecutionCore.Progress)),
        Expression.Add(Expression.Field(Runtime, nameof(BlockRuntime.ProgressBase)), Expression.Add(Executed, Expression.Constant((long)index + 1))));

    /// <summary>rt.Memory's count of accesses that left the RAM fast path and code drops (<see cref="GuestMemory.Disturbances"/>, read straight from the field of <see cref="Memory"/>).</summary>
    public Expression Disturbances => Expression.Field(Memory, DisturbancesField);

    /// <summary>rt.Memory in a block-wide local, loaded on entry (<see cref="LoadMemory"/>) by blocks that touch memory: one load per check instead of two.</summary>
    public ParameterExpression Memory { get; } = Expression.Variable(typeof(GuestMemory), "memory");

    public Expression LoadMemory() => Expression.Assign(Memory, Expression.Field(Runtime, nameof(BlockRuntime.Memory)));

    /// <summary>
    /// A source operand of <paramref name="size"/> bytes: the register itself, or for a memory operand a
    /// temporary that <paramref name="statements"/> load (the load may fault, before anything is committed).
    /// </summary>
    public Expression Source(List<Expression> statements, int index, in BlockInstruction bi, OperandForm form, int register, int shift, int size)
    {
        if (form == OperandForm.Register)
        {
            return ReadReg(register, shift, size);
        }

        var loaded = Temp("m");
        statements.Add(Read(index, bi.Offset, bi.D.Seg, Offset(bi.D), size, loaded));
        return loaded;
    }

    // The memory accesses: the inlined fast path (TranslatedMemory.TryReadTranslated and its siblings) first; only when
    // it declines does the block set the progress count (a device may see the access, and reads the virtual clock
    // through it) and take the interpreter's path, whose failure is the instruction's fault. The offset goes to a
    // temporary first when it is computed, since both paths use it.

    /// <summary>value = the <paramref name="size"/> bytes at segment:offset, or the instruction faults.</summary>
    public Expression Read(int index, uint at, int segment, Expression offset, int size, ParameterExpression value) =>
        ReadAccess(index, at, segment, offset, size, false, Discard, value);

    public Expression Write(int index, uint at, int segment, Expression offset, int size, Expression value)
    {
        var (setup, address) = Stable(offset);
        var (valueSetup, stored) = Stable(value);
        var fast = Flat(segment)
            ? Expression.Call(WriteLinearInMethod, UseAccessTable(), Ram, address, I(size), stored)
            : Expression.Call(Mmu, WriteMethod, I(segment), address, I(size), stored);
        return Expression.Block(
            setup,
            valueSetup,
            Expression.IfThen(
                Expression.Not(fast),
                Slow(index, at, Expression.Call(Mmu, WriteSlowMethod, I(segment), address, I(size), stored))));
    }

    /// <summary>The read of a read-modify-write, with write intent; <paramref name="linear"/> is where <see cref="WriteBack"/> writes.</summary>
    public Expression ReadForWrite(int index, uint at, int segment, Expression offset, int size, ParameterExpression linear, ParameterExpression value) =>
        ReadAccess(index, at, segment, offset, size, true, linear, value);

    public Expression WriteBack(int index, uint at, ParameterExpression linear, int size, Expression value)
    {
        var (valueSetup, stored) = Stable(value);
        return Expression.Block(
            valueSetup,
            Expression.IfThen(
                Expression.Not(Expression.Call(WriteLinearInMethod, UseAccessTable(), Ram, linear, I(size), stored)),
                Slow(index, at, Expression.Call(Mmu, WriteBackSlowMethod, linear, I(size), stored))));
    }

    /// <summary>
    /// A read (with write intent for a read-modify-write): the fast path, else the progress count, the
    /// interpreter's path (its value, or -1 when it latched a fault) and the fault.
    /// </summary>
    private Expression ReadAccess(int index, uint at, int segment, Expression offset, int size, bool write, ParameterExpression linear, ParameterExpression value)
    {
        var (setup, address) = Stable(offset);
        var slow = Expression.Variable(typeof(long), "slow");
        var flat = Flat(segment);
        Expression fast = flat
            ? Expression.Call(ReadLinearInMethod, UseAccessTable(), Ram, address, I(size), Expression.Constant(write), value)
            : Expression.Call(Mmu, ReadMethod, I(segment), address, I(size), Expression.Constant(write), linear, value);
        if (flat && linear != Discard)
        {
            setup = Expression.Block(setup, Expression.Assign(linear, address));
        }

        return Expression.Block(
            setup,
            Expression.IfThen(
                Expression.Not(fast),
                Expression.Block(
                    [slow],
                    SetProgress(index),
                    Expression.Assign(slow, Expression.Call(Mmu, ReadSlowMethod, I(segment), address, I(size), Expression.Constant(write))),
                    Expression.IfThen(Expression.LessThan(slow, Expression.Constant(0L)), Fault(index, at)),
                    Expression.Assign(value, Expression.Convert(slow, typeof(uint))))));
    }

    /// <summary>The declined write's way out: progress count, the interpreter's path, and the fault if that fails too.</summary>
    private Expression Slow(int index, uint at, Expression slowCall) => Expression.Block(
        SetProgress(index),
        Expression.IfThen(Expression.Not(slowCall), Fault(index, at)));

    /// <summary>A value both paths of an access use: itself when it is a local or constant, else a temporary set once.</summary>
    private (Expression Setup, Expression Value) Stable(Expression value)
    {
        if (value is ParameterExpression or ConstantExpression)
        {
            return (Expression.Empty(), value);
        }

        var temporary = Temp("x");
        return (Expression.Assign(temporary, value), temporary);
    }

    public Expression CheckLimit(int index, uint at, int segment, Expression offset, int size) =>
        Expression.IfThen(Expression.Not(Expression.Call(Runtime, CheckLimitMethod, I(segment), offset, I(size))), Fault(index, at));

    private static MethodInfo Method(string name) => typeof(BlockRuntime).GetMethod(name) ?? throw new InvalidOperationException(name);

    private static MethodInfo MemoryMethod(string name) => typeof(TranslatedMemory).GetMethod(name) ?? throw new InvalidOperationException(name);
}
