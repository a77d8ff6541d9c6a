using System.Text;
using Emulator.Machine.Memory;

namespace Emulator.Firmware.Disks;

/// <summary>
/// The INT 13h AH=48h result buffer (EDD 3.0, T13/1484D): 1Ah bytes of geometry and size, 1Eh with the
/// DPTE pointer (none: FFFF:FFFF), 42h with the device path (key BEDDh, host bus, interface type).
/// </summary>
internal static class EddTable
{
    private const ushort MinimumSize = 0x1A;
    private const ushort DpteSize = 0x1E;
    private const ushort Edd30Size = 0x42;
    private const ushort FlagDmaBoundaryTransparent = 0x01;
    private const ushort FlagChsValid = 0x02;
    private const ushort FlagRemovable = 0x04;
    private const ushort FlagChangeLine = 0x10;
    private const ushort FlagLockable = 0x20;
    private const ushort PathKey = 0xBEDD;
    private const byte PathLength = 0x24;

    public static bool Write(GuestMemory memory, uint table, BiosDisk disk)
    {
        var size = memory.ReadWord(table);
        if (size < MinimumSize)
        {
            return false;
        }

        var geometry = disk.Geometry;
        var flags = disk.Kind switch
        {
            DiskKind.CdRom => (ushort)(FlagDmaBoundaryTransparent | FlagRemovable | FlagChangeLine | FlagLockable),
            DiskKind.Floppy => (ushort)(FlagDmaBoundaryTransparent | FlagChsValid | FlagRemovable | FlagChangeLine),
            _ => (ushort)(FlagDmaBoundaryTransparent | FlagChsValid),
        };
        memory.Write(table + 2, new byte[MinimumSize - 2]);
        memory.WriteWord(table + 2, flags);
        memory.WriteDword(table + 4, (uint)geometry.Cylinders);
        memory.WriteDword(table + 8, (uint)geometry.Heads);
        memory.WriteDword(table + 12, (uint)geometry.SectorsPerTrack);
        memory.WriteDword(table + 16, (uint)disk.Sectors);
        memory.WriteDword(table + 20, (uint)(disk.Sectors >> 32));
        memory.WriteWord(table + 24, (ushort)disk.SectorSize);
        var written = MinimumSize;
        if (size >= DpteSize)
        {
            memory.WriteDword(table + 26, 0xFFFFFFFF);
            written = DpteSize;
        }

        if (size >= Edd30Size)
        {
            memory.Write(table + DpteSize, new byte[Edd30Size - DpteSize]);
            memory.WriteWord(table + 0x1E, PathKey);
            memory.WriteByte(table + 0x20, PathLength);
            var isa = disk.Kind == DiskKind.Floppy;
            memory.Write(table + 0x24, Encoding.ASCII.GetBytes(isa ? "ISA " : "PCI "));
            memory.Write(table + 0x28, Encoding.ASCII.GetBytes(disk.InterfaceName.PadRight(8)[..8]));
            byte sum = 0;
            for (var i = 0x1E; i < Edd30Size - 1; i++)
            {
                sum += memory.ReadByte(table + (uint)i);
            }

            memory.WriteByte(table + Edd30Size - 1, (byte)-sum);
            written = Edd30Size;
        }

        memory.WriteWord(table, written);
        return true;
    }
}
