namespace Emulator.Firmware.Rom;

/// <summary>
/// Where things sit in the 64 KiB BIOS ROM (segment F000h) and the fixed addresses PC software
/// relies on (IBM PC/AT BIOS conventions: POST at F000:E05B, the reset vector at F000:FFF0, the
/// date at F000:FFF5, the model byte at F000:FFFE, the diskette parameter table at F000:EFC7).
/// </summary>
internal static class BiosLayout
{
    public const ushort Segment = 0xF000;
    public const int RomSize = 0x10000;
    public const uint RomBase = 0xF0000;

    public const ushort PostEntry = 0xE05B;
    public const ushort ResetVector = 0xFFF0;
    public const ushort DateString = 0xFFF5;
    public const ushort ModelByte = 0xFFFE;
    public const byte ModelAt = 0xFC;

    /// <summary>INT 1Eh points here: the 11-byte diskette parameter table floppy boot sectors copy.</summary>
    public const ushort DisketteParameterTable = 0xEFC7;

    /// <summary>INT 15h AH=C0h returns ES:BX pointing here.</summary>
    public const ushort ConfigurationTable = 0xE6F5;

    /// <summary>The default handler: IRET.</summary>
    public const ushort DefaultHandler = 0xFF53;

    /// <summary>Trap stubs for the firmware services start here, <see cref="StubSpacing"/> bytes apart.</summary>
    public const ushort StubsBase = 0x1000;
    public const ushort StubSpacing = 0x40;

    /// <summary>Hardware IRQ handlers that only acknowledge the PIC.</summary>
    public const ushort MasterIrqHandler = 0x2000;
    public const ushort SlaveIrqHandler = 0x2020;

    /// <summary>IRQ 6 (INT 0Eh): sets bit 7 of BDA 3Eh for the floppy driver, as the IBM AT BIOS does.</summary>
    public const ushort FloppyIrqHandler = 0x2040;

    /// <summary>IRQ 14/15 (INT 76h/77h): sets BDA 8Eh to FFh for the hard disk driver.</summary>
    public const ushort HardDiskIrqHandler = 0x2060;

    /// <summary>IRQ0: the BIOS tick (INT 08h).</summary>
    public const ushort TimerHandler = 0x2100;

    /// <summary>CLI; HLT forever: where the firmware parks the CPU when nothing can boot.</summary>
    public const ushort HaltLoop = 0x2200;

    /// <summary>Stack POST runs on, below the boot sector's load address.</summary>
    public const ushort PostStackTop = 0x7000;

    public static ushort StubOffset(BiosService service) => (ushort)(StubsBase + ((int)service * StubSpacing));
}
