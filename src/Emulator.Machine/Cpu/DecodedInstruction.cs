using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>
/// One cached decode: Iced's <see cref="Instruction"/> plus the facts the interpreter needs on every
/// execution, precomputed once so the hot path does not unpack Iced's bit fields.
/// Branch targets are kept relative (<see cref="Imm"/>) because the same physical bytes may run at
/// different CS:IP values.
/// </summary>
internal struct DecodedInstruction
{
    /// <summary>Marks <see cref="Base"/> or <see cref="Index"/> as absent.</summary>
    public const byte NoRegister = 0xFF;

    public Instruction Instr;
    public Op Op;
    public byte Length;

    /// <summary>Operand size in bytes (1, 2 or 4).</summary>
    public byte Size;
    public OperandForm Form0;
    public OperandForm Form1;
    public byte Reg0;
    public byte Shift0;
    public byte Reg1;
    public byte Shift1;
    public byte Base;
    public byte Index;
    public byte Scale;

    /// <summary>Effective segment of the memory operand (a <see cref="SegmentRegister"/> value).</summary>
    public byte Seg;

    /// <summary>Per-op extra: condition code, segment register, ALU kind.</summary>
    public byte Aux;

    /// <summary>
    /// The translating tier's view of this instruction once the interpreter has run it, filled on first use
    /// (<see cref="Translation.TranslatingTier.EndsRun"/>): 0 not yet asked, 1 a block could continue past it,
    /// 2 a block could start right after it (a transfer, or an instruction no block contains natively).
    /// </summary>
    public byte TierRun;
    public uint Disp;

    /// <summary>0xFFFF for 16-bit addressing, all ones for 32-bit.</summary>
    public uint AddrMask;

    /// <summary>The immediate, or the branch displacement relative to the next instruction.</summary>
    public uint Imm;
}
