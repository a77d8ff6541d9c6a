namespace Emulator.Machine.Bus;

/// <summary>Width of one port access, in bytes.</summary>
public enum PortWidth : byte
{
    /// <summary>8-bit access (IN AL / OUT AL).</summary>
    Byte = 1,
    /// <summary>16-bit access (IN AX); the high byte goes to or comes from port + 1 on a byte-wide device.</summary>
    Word = 2,
    /// <summary>32-bit access (IN EAX); bytes 1-3 go to or come from ports + 1 to + 3 on a byte-wide device.</summary>
    Dword = 4,
}
