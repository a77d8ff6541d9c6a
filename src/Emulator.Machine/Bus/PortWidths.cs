namespace Emulator.Machine.Bus;

/// <summary>The access widths a device serves itself on a port range; other widths are split into bytes by the bus.</summary>
[Flags]
public enum PortWidths : byte
{
    Byte = 1,
    Word = 2,
    Dword = 4,
    All = Byte | Word | Dword,
}
