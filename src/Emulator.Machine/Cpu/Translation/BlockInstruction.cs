namespace Emulator.Machine.Cpu.Translation;

/// <summary>One instruction of a block: its decode, its byte offset from the block's first instruction, and which of the status flags it writes a later reader (or an exit) can observe.</summary>
internal struct BlockInstruction
{
    public DecodedInstruction D;
    public uint Offset;

    /// <summary>The status flags this instruction writes that something can observe (<see cref="BlockBuilder"/>'s liveness pass); the emitters compute only these.</summary>
    public uint LiveFlags;

    /// <summary>
    /// Of <see cref="LiveFlags"/>, those only an exit can observe (no later instruction of the block reads them),
    /// for a writer <see cref="DeferredFlags"/> defers to the exits; zero otherwise.
    /// </summary>
    public uint ExitOnlyFlags;

    public readonly bool NeedFlags => LiveFlags != 0;

    /// <summary>
    /// The index of the block's instruction that this Jcc (when taken) or JMP goes to, when the target is one of the
    /// block's own instructions (a branch inside the block: docs/translating-cpu.md, "Branches inside a block"), or −1.
    /// </summary>
    public int Target;

    /// <summary>Whether a branch inside the block lands on this instruction (its code then starts with a label).</summary>
    public bool IsTarget;

    /// <summary>
    /// A JMP or RET that is not the block's last instruction and does not go on to the next one: formation went on
    /// past it because the bytes after it are a forward branch target of an earlier instruction.
    /// </summary>
    public bool Breaks;

    /// <summary>
    /// This instruction's index plus the most instructions a path from it runs before a backward branch or an exit: the
    /// bound the budget check proves on arriving here (<see cref="BlockBuilder"/>). The entry's is the block's count.
    /// </summary>
    public int Bound;
}
