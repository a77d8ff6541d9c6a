namespace Emulator.Machine.Cpu.Translation;

/// <summary>One instruction of a block: its decode, its byte offset from the block's first instruction, and whether a later reader needs the status flags it writes.</summary>
internal struct BlockInstruction
{
    public DecodedInstruction D;
    public uint Offset;
    public bool NeedFlags;
}
