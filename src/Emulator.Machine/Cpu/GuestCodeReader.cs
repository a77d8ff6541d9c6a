using Emulator.Machine.Memory;
using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>Feeds Iced's decoder from guest memory at CS.base + offset, wrapping the offset like IP does.</summary>
internal sealed class GuestCodeReader(GuestMemory memory) : CodeReader
{
    public uint SegmentBase { get; set; }

    public uint Offset { get; set; }

    public uint OffsetMask { get; set; }

    public override int ReadByte()
    {
        var value = memory.ReadByte(SegmentBase + (Offset & OffsetMask));
        Offset++;
        return value;
    }
}
