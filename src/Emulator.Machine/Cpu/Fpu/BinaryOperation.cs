namespace Emulator.Machine.Cpu.Fpu;

/// <summary>The four basic x87 operations; the reversed forms (FSUBR, FDIVR) swap the operands.</summary>
internal enum BinaryOperation : byte
{
    Add,
    Subtract,
    Multiply,
    Divide,
}
