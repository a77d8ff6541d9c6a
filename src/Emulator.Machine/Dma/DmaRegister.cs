namespace Emulator.Machine.Dma;

/// <summary>
/// 8237A register index within one controller (Intel 8237A datasheet, Table 2 "Word count and
/// address register command codes" and Table 3 "Software commands"). The first controller decodes
/// them at ports 0x00-0x0F, the second at 0xC0-0xDE on even ports (index = (port - 0xC0) / 2).
/// </summary>
internal enum DmaRegister : byte
{
    /// <summary>Channel n base/current address at 2n, base/current word count at 2n+1.</summary>
    ChannelRegistersEnd = 0x07,
    CommandStatus = 0x08,
    Request = 0x09,
    SingleMask = 0x0A,
    Mode = 0x0B,
    ClearFlipFlop = 0x0C,
    MasterClearTemporary = 0x0D,
    ClearMask = 0x0E,
    AllMask = 0x0F,
}
