using System.Buffers.Binary;
using System.Text;
using Emulator.Machine.Bus;

namespace Emulator.Firmware.Hardware;

/// <summary>QEMU's fw_cfg I/O interface as firmware uses it: select a key at 510h, read bytes at 511h; files through the directory key 19h.</summary>
internal sealed class FwCfgPorts(IoPortBus ports)
{
    public const ushort SelectorPort = 0x510;
    public const ushort DataPort = 0x511;
    public const ushort SignatureKey = 0x0000;
    public const ushort FileDirectoryKey = 0x0019;
    private const int DirectoryEntrySize = 64;
    private const int EntryNameOffset = 8;
    private const int EntryNameLength = 56;
    private const int MaxFiles = 4096;

    /// <summary>True when the signature key reads "QEMU".</summary>
    public bool Present => Encoding.ASCII.GetString(Read(SignatureKey, 4)) == "QEMU";

    public byte[] Read(ushort key, int length)
    {
        ports.Write(SelectorPort, PortWidth.Word, key);
        var data = new byte[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = ports.ReadByte(DataPort);
        }

        return data;
    }

    /// <summary>Finds a named file: its key and size, or null.</summary>
    public (ushort Key, int Size)? FindFile(string name)
    {
        var count = Math.Min(BinaryPrimitives.ReadUInt32BigEndian(Read(FileDirectoryKey, 4)), MaxFiles);
        ports.Write(SelectorPort, PortWidth.Word, FileDirectoryKey);
        var entry = new byte[DirectoryEntrySize];
        for (var skip = 0; skip < 4; skip++)
        {
            ports.ReadByte(DataPort);
        }

        for (var i = 0; i < count; i++)
        {
            for (var b = 0; b < entry.Length; b++)
            {
                entry[b] = ports.ReadByte(DataPort);
            }

            var nameBytes = entry.AsSpan(EntryNameOffset, EntryNameLength);
            var end = nameBytes.IndexOf((byte)0);
            if (Encoding.ASCII.GetString(end < 0 ? nameBytes : nameBytes[..end]) == name)
            {
                var size = BinaryPrimitives.ReadUInt32BigEndian(entry);
                return (BinaryPrimitives.ReadUInt16BigEndian(entry.AsSpan(4)), (int)Math.Min(size, int.MaxValue));
            }
        }

        return null;
    }
}
