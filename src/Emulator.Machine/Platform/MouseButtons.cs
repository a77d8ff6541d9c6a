namespace Emulator.Machine.Platform;

/// <summary>Mouse buttons as bits 0-2 of the PS/2 movement packet's first byte.</summary>
[Flags]
public enum MouseButtons : byte
{
    None = 0,
    Left = 0x01,
    Right = 0x02,
    Middle = 0x04,
}
