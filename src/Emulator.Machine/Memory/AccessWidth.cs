namespace Emulator.Machine.Memory;

/// <summary>Width of one memory access, in bytes.</summary>
public enum AccessWidth : byte
{
    Byte = 1,
    Word = 2,
    Dword = 4,
}
