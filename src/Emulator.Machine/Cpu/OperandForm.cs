namespace Emulator.Machine.Cpu;

/// <summary>What an explicit operand of a decoded instruction is, reduced to what the interpreter needs.</summary>
internal enum OperandForm : byte
{
    None,

    /// <summary>A general register; <see cref="DecodedInstruction.Reg0"/>/<see cref="DecodedInstruction.Reg1"/> hold its index.</summary>
    Register,

    /// <summary>The ModRM memory operand described by the decoded base/index/displacement.</summary>
    Memory,

    /// <summary>An immediate, already sign- or zero-extended into <see cref="DecodedInstruction.Imm"/>.</summary>
    Immediate,

    /// <summary>Anything else (segment or control register, branch target, string operand).</summary>
    Other,
}
