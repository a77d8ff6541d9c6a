namespace Emulator.Machine.Platform;

/// <summary>Port 0x92 bits (PS/2 Technical Reference, "System Control Port A"; PIIX3 "Port 92 Register").</summary>
[Flags]
internal enum PortABits : byte
{
    None = 0,
    FastReset = 0x01,
    A20 = 0x02,
}
