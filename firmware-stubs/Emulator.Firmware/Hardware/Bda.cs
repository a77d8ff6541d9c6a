namespace Emulator.Firmware.Hardware;

/// <summary>BIOS data area (segment 0040h) offsets as linear addresses, IBM PC/AT layout.</summary>
internal static class Bda
{
    public const uint Base = 0x400;
    public const uint ComPorts = Base + 0x00;
    public const uint EbdaSegment = Base + 0x0E;
    public const uint Equipment = Base + 0x10;
    public const uint BaseMemoryKb = Base + 0x13;
    public const uint KeyboardFlags = Base + 0x17;
    public const uint KeyboardFlags2 = Base + 0x18;
    public const uint KeyboardHead = Base + 0x1A;
    public const uint KeyboardTail = Base + 0x1C;
    public const uint VideoMode = Base + 0x49;
    public const uint VideoColumns = Base + 0x4A;
    public const uint VideoPageSize = Base + 0x4C;
    public const uint VideoPageStart = Base + 0x4E;
    public const uint CursorPositions = Base + 0x50;
    public const uint CursorShape = Base + 0x60;
    public const uint ActivePage = Base + 0x62;
    public const uint CrtcBase = Base + 0x63;
    public const uint FloppyRecalibrateStatus = Base + 0x3E;
    public const uint FloppyMotorStatus = Base + 0x3F;
    public const uint FloppyMotorTimeout = Base + 0x40;
    public const uint FloppyLastStatus = Base + 0x41;
    public const uint Ticks = Base + 0x6C;
    public const uint MidnightFlag = Base + 0x70;
    public const uint HardDiskLastStatus = Base + 0x74;
    public const uint HardDiskCount = Base + 0x75;
    public const uint HardDiskInterruptFlag = Base + 0x8E;
    public const uint FloppyMediaState = Base + 0x90;
    public const uint KeyboardBufferStart = Base + 0x80;
    public const uint KeyboardBufferEnd = Base + 0x82;
    public const uint VideoRows = Base + 0x84;
    public const uint CharacterHeight = Base + 0x85;
    public const uint KeyboardFlags3 = Base + 0x96;

    /// <summary>Keyboard ring buffer, offsets relative to segment 0040h.</summary>
    public const ushort KeyboardBufferFirst = 0x1E;
    public const ushort KeyboardBufferLimit = 0x3E;

    /// <summary>Base memory reported below the 1 KiB extended BIOS data area: 639 KiB.</summary>
    public const ushort BaseMemory = 639;
    public const ushort Ebda = 0x9FC0;
}
