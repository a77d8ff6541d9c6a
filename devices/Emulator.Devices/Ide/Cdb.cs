using System.Buffers.Binary;

namespace Emulator.Devices.Ide;

/// <summary>Big-endian fields of a SCSI command descriptor block, as SPC-3 4.3 lays them out.</summary>
internal static class Cdb
{
    public static ushort Be16(byte[] cdb, int offset) => BinaryPrimitives.ReadUInt16BigEndian(cdb.AsSpan(offset));

    public static uint Be24(byte[] cdb, int offset) => (uint)((cdb[offset] << 16) | (cdb[offset + 1] << 8) | cdb[offset + 2]);

    public static uint Be32(byte[] cdb, int offset) => BinaryPrimitives.ReadUInt32BigEndian(cdb.AsSpan(offset));
}
