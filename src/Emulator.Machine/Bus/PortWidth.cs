namespace Emulator.Machine.Bus;

/// <summary>Width of one port access, in bytes.</summary>
public enum PortWidth : byte
{
    Byte = 1,
    Word = 2,
    Dword = 4,
}
