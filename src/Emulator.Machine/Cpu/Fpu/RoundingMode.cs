namespace Emulator.Machine.Cpu.Fpu;

/// <summary>The control word's RC field (Intel SDM vol. 1, table 4-8), in its encoding order.</summary>
internal enum RoundingMode : byte
{
    Nearest = 0,
    Down = 1,
    Up = 2,
    TowardZero = 3,
}
