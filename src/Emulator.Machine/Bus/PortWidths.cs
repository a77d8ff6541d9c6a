namespace Emulator.Machine.Bus;

/// <summary>The access widths a device serves itself on a port range; other widths are split into bytes by the bus.</summary>
[Flags]
public enum PortWidths : byte
{
    /// <summary>The device serves byte accesses (every device does, by the bus's splitting rule).</summary>
    Byte = 1,
    /// <summary>The device serves 16-bit accesses itself.</summary>
    Word = 2,
    /// <summary>The device serves 32-bit accesses itself.</summary>
    Dword = 4,
    /// <summary>The device serves every width itself; the bus never splits.</summary>
    All = Byte | Word | Dword,
}
