using Iced.Intel;

namespace Emulator.Machine.Cpu;

/// <summary>
/// Feeds Iced's decoder from CS.base + offset through the memory unit, wrapping the offset like IP
/// does. A byte that does not translate latches #PF and ends the stream (Iced then reports no more
/// bytes); <see cref="Faulted"/> tells the decode cache to return the fault instead of an instruction.
/// Iced reads only the bytes the instruction needs, so a fault means the instruction really reaches
/// the untranslatable page.
/// </summary>
internal sealed class GuestCodeReader(MemoryUnit memory) : CodeReader
{
    public uint SegmentBase { get; set; }

    public uint Offset { get; set; }

    public uint OffsetMask { get; set; }

    public bool Faulted { get; set; }

    public override int ReadByte()
    {
        if (Faulted || !memory.TryFetchByte(SegmentBase + (Offset & OffsetMask), out var value))
        {
            Faulted = true;
            return -1;
        }

        Offset++;
        return value;
    }
}
