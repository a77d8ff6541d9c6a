using Emulator.Machine.Bus;

namespace Emulator.Firmware.Disks;

/// <summary>Programs 8237 channel 2 (the floppy's) through its ports, as a BIOS does before a floppy transfer.</summary>
internal sealed class IsaDmaPorts(IoPortBus ports)
{
    private const ushort Channel2Address = 0x04;
    private const ushort Channel2Count = 0x05;
    private const ushort SingleMask = 0x0A;
    private const ushort Mode = 0x0B;
    private const ushort ClearFlipFlop = 0x0C;
    private const ushort Channel2Page = 0x81;
    private const byte MaskChannel2 = 0x06;
    private const byte UnmaskChannel2 = 0x02;

    /// <summary>Mode: single transfer, channel 2; transfer type verify (00), write to memory (01) or read from memory (10).</summary>
    public const byte ModeVerify = 0x42;
    public const byte ModeToMemory = 0x46;
    public const byte ModeFromMemory = 0x4A;

    /// <summary>True when [address, address+length) stays in one 64 KiB page below 16 MiB, as the 8237 requires.</summary>
    public static bool Reachable(uint address, int length) =>
        length > 0 && address + (uint)length <= 0x1000000 && (address >> 16) == ((address + (uint)length - 1) >> 16);

    public void Program(byte mode, uint address, int length)
    {
        ports.WriteByte(SingleMask, MaskChannel2);
        ports.WriteByte(ClearFlipFlop, 0);
        ports.WriteByte(Mode, mode);
        ports.WriteByte(Channel2Address, (byte)address);
        ports.WriteByte(Channel2Address, (byte)(address >> 8));
        ports.WriteByte(Channel2Page, (byte)(address >> 16));
        ports.WriteByte(ClearFlipFlop, 0);
        ports.WriteByte(Channel2Count, (byte)(length - 1));
        ports.WriteByte(Channel2Count, (byte)((length - 1) >> 8));
        ports.WriteByte(SingleMask, UnmaskChannel2);
    }
}
