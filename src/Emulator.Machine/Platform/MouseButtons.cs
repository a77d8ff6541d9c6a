namespace Emulator.Machine.Platform;

/// <summary>Mouse buttons as bits 0-2 of the PS/2 movement packet's first byte.</summary>
[Flags]
public enum MouseButtons : byte
{
    /// <summary>No button held.</summary>
    None = 0,
    /// <summary>The left button.</summary>
    Left = 0x01,
    /// <summary>The right button.</summary>
    Right = 0x02,
    /// <summary>The middle button.</summary>
    Middle = 0x04,
}
