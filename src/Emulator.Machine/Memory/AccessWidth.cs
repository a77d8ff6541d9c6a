namespace Emulator.Machine.Memory;

/// <summary>Width of one memory access, in bytes.</summary>
public enum AccessWidth : byte
{
    /// <summary>One byte.</summary>
    Byte = 1,
    /// <summary>Two bytes, little-endian.</summary>
    Word = 2,
    /// <summary>Four bytes, little-endian.</summary>
    Dword = 4,
}
