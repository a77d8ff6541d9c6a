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
}
