namespace Emulator.Firmware.Rom;

/// <summary>The firmware services a ROM stub can call through the trap port; the value is what the stub writes.</summary>
internal enum BiosService : byte
{
    Post = 1,
    Video = 0x10,
    Equipment = 0x11,
    MemorySize = 0x12,
    Disk = 0x13,
    Serial = 0x14,
    System = 0x15,
    Keyboard = 0x16,
    Printer = 0x17,
    NoBootDevice = 0x18,
    Bootstrap = 0x19,
    Time = 0x1A,
    KeyboardIrq = 0x09,
}
