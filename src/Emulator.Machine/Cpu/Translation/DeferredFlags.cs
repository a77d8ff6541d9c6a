namespace Emulator.Machine.Cpu.Translation;

/// <summary>
/// Status flags that only a fault or a device stop can observe, computed there instead of at every instruction
/// (docs/translating-cpu.md, "Exit-only flags"; QEMU keeps flags as operands and an operation for the same
/// reason). An ADD, SUB, CMP, AND, OR, XOR or TEST whose flags the next flag-touching instruction of the block
/// overwrites completely (an instruction that writes all six status flags, with only instructions that leave
/// the flags alone, SETcc and CMOVcc in between) computes only the flags those readers need and leaves its
/// operands in two locals. Between it and the overwriting instruction, the block's code knows statically which
/// instruction wrote the flags last, and at a fault or a device stop there recomputes all six from its operands
/// with the interpreter's own <see cref="Alu.Binary"/>. On the way through, nothing is recomputed: side exits,
/// the block's end and every other reader or partial writer only ever see exact flags.
/// </summary>
internal static class DeferredFlags
{
    /// <summary>What an instruction does to the flags local, as far as a pending deferred writer is concerned.</summary>
    public enum Role
    {
        /// <summary>Leaves the status flags in the flags local alone: a pending writer stays pending across it.</summary>
        Neutral,

        /// <summary>Jcc, SETcc, CMOVcc: read only condition flags, which the liveness pass made the writer compute at once.</summary>
        ConditionReader,

        /// <summary>ADD OR ADC SBB AND SUB XOR CMP TEST: write all six status flags (the deferrable ones may defer them).</summary>
        FullWriter,

        /// <summary>Anything else that reads or writes status flags, or runs through the interpreter's handler: the flags are made exact first.</summary>
        Other,
    }

    /// <summary>Whether a full writer may leave its exit-only flags to the exits (ADC and SBB read CF and are not deferred).</summary>
    public static bool CanDefer(Op op) => op is Op.Add or Op.Sub or Op.Cmp or Op.And or Op.Or or Op.Xor or Op.Test;

    public static Role Of(in BlockInstruction bi)
    {
        var d = bi.D;
        if (BlockBuilder.Interpreted(d))
        {
            return Role.Other;
        }

        switch (d.Op)
        {
            case Op.Add or Op.Or or Op.Adc or Op.Sbb or Op.And or Op.Sub or Op.Xor or Op.Cmp or Op.Test:
                return Role.FullWriter;
            case Op.Jcc or Op.Setcc or Op.Cmovcc:
                return Role.ConditionReader;

            // These emitters write no flag the liveness pass left unmarked: with none marked they do not touch the flags local.
            case Op.Inc or Op.Dec or Op.Neg or Op.Not when bi.LiveFlags == 0:
            case Op.Rol or Op.Ror or Op.Shl or Op.Shr or Op.Sar when bi.LiveFlags == 0 && d.Form1 == OperandForm.Immediate:
                return Role.Neutral;
        }

        var (writes, _, reads) = BlockBuilder.FlagEffects(d);
        return (writes | reads) == 0 ? Role.Neutral : Role.Other;
    }

    /// <summary>
    /// The flags after the deferred writer <paramref name="op"/> of <paramref name="size"/> bytes ran on
    /// <paramref name="a"/> and <paramref name="b"/> (for the logic operations: its result and zero): the
    /// status bits as <see cref="Alu.Binary"/> sets them, every other bit of <paramref name="flags"/> kept.
    /// </summary>
    public static uint Materialize(uint flags, Op op, uint a, uint b, int size)
    {
        Alu.Binary(op, a, b, size, ref flags);
        return flags;
    }

    /// <summary>The operation <see cref="Materialize"/> replays for <paramref name="op"/>: the logic ones keep only their result.</summary>
    public static Op Replayed(Op op) => op is Op.And or Op.Or or Op.Xor or Op.Test ? Op.Or : op;
}
