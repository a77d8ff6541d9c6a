namespace Emulator.Firmware.Rom;

/// <summary>
/// The I/O port a ROM stub writes its service number to (unused on a PC/AT; QEMU's pc has nothing
/// there either). A read returns the status of the last call: <see cref="Done"/>, <see cref="Wait"/>
/// (the stub waits for an interrupt with STI; HLT and calls again) or <see cref="Poll"/> (the stub
/// opens an interrupt window with STI; NOP and calls again).
/// </summary>
internal static class FirmwareTrap
{
    public const ushort Port = 0x04F0;
    public const byte Done = 0;
    public const byte Wait = 1;
    public const byte Poll = 2;
}
