using System.Buffers.Binary;

namespace Emulator.Block.Nbd;

/// <summary>
/// The 28-byte request header of the transmission phase: magic (u32), command flags (u16), type (u16),
/// cookie (u64, the client's handle), offset (u64), length (u32). Parsed and written in place.
/// </summary>
internal readonly record struct NbdRequestHeader(NbdCommandFlags Flags, NbdCommand Command, ulong Cookie, ulong Offset, uint Length)
{
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, NbdMagic.Request);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)Flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)Command);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Cookie);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], Offset);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], Length);
    }

    /// <summary>Reads a header; false when the magic is wrong (the stream is then out of step and must be closed).</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out NbdRequestHeader header)
    {
        header = new NbdRequestHeader(
            (NbdCommandFlags)BinaryPrimitives.ReadUInt16BigEndian(source[4..]),
            (NbdCommand)BinaryPrimitives.ReadUInt16BigEndian(source[6..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(source[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[24..]));
        return BinaryPrimitives.ReadUInt32BigEndian(source) == NbdMagic.Request;
    }
}
