using System.Buffers.Binary;

namespace Emulator.Devices.Ide;

/// <summary>
/// Builds the 256-word IDENTIFY DEVICE (hard disk) and IDENTIFY PACKET DEVICE (CD-ROM) pages
/// (ATA/ATAPI-6, sections 8.15 and 8.16) with the word values QEMU reports. The page is rebuilt on
/// every command, so SET FEATURES, SET MULTIPLE MODE, INITIALIZE DEVICE PARAMETERS and a resize
/// are always reflected without patching a cached copy.
/// </summary>
internal static class AtaIdentify
{
    public const int PageBytes = 512;

    private const int SerialWord = 10;
    private const int SerialChars = 20;
    private const int FirmwareWord = 23;
    private const int FirmwareChars = 8;
    private const int ModelWord = 27;
    private const int ModelChars = 40;

    private const ushort FixedDisk = 0x0040;

    /// <summary>Word 0 of a packet device: ATAPI (10b), CD-ROM class 5, removable, accelerated DRQ, 12-byte packets.</summary>
    private const ushort AtapiCdromConfig = 0x85C0;

    private const ushort BufferType = 3;
    private const ushort BufferSectors = 512;
    private const ushort EccBytes = 4;
    private const ushort MultipleMaxValid = 0x8000;
    private const ushort DwordIo = 1;
    private const ushort CapIordy = 1 << 11;
    private const ushort CapLba = 1 << 9;
    private const ushort CapDma = 1 << 8;
    private const ushort ObsoleteTiming = 0x200;
    private const ushort FieldsValid = 0x0007;
    private const ushort MultipleSettingValid = 0x100;

    /// <summary>
    /// Word 106, physical/logical sector size: bit 14 (valid) and bit 13 (the physical-block field is
    /// meaningful) with exponent 0 — one 512-byte logical sector per physical block — as QEMU always
    /// reports for ide-hd (its physical_block_size defaults to 512).
    /// </summary>
    private const ushort SectorSizeValid = 0x6000;
    private const uint MaxLba28 = 0x0FFF_FFFF;
    private const ushort DmaModes0To2 = 0x0007;
    private const ushort PioModes3And4 = 0x0003;
    private const ushort DiskCycleTimeNs = 120;
    private const ushort CdromCycleTimeNs = 180;
    private const ushort DeterministicTrim = 1 << 14;
    private const ushort AtaMajor4To7 = 0x00F0;
    private const ushort AtaMinor = 0x0016;
    private const ushort AtapiMajor4 = 0x001E;
    private const ushort AlwaysOne = 1 << 14;
    private const ushort NopSupported = 1 << 14;
    private const ushort WriteCacheBit = 1 << 5;
    private const ushort SmartBit = 1;
    private const ushort FlushExtBit = 1 << 13;
    private const ushort FlushBit = 1 << 12;
    private const ushort Lba48Bit = 1 << 10;
    private const ushort UdmaModes0To5 = 0x003F;
    private const ushort HardwareResetResult = 0x6001;
    private const ushort TrimSupported = 1;
    private const ushort PacketBusRelease = 30;

    /// <summary>Fills <paramref name="page"/> with the IDENTIFY DEVICE data of <paramref name="disk"/>.</summary>
    public static void BuildDisk(Span<byte> page, AtaDisk disk)
    {
        page[..PageBytes].Clear();
        var total = disk.TotalSectors;
        var geometry = disk.Geometry;
        var (cyls, heads, secs) = disk.CurrentGeometry;

        Put(page, 0, FixedDisk);
        Put(page, 1, (ushort)geometry.Cylinders);
        Put(page, 3, (ushort)geometry.Heads);
        Put(page, 4, (ushort)(IdeDrive.AtaSectorSize * geometry.Sectors));
        Put(page, 5, IdeDrive.AtaSectorSize);
        Put(page, 6, (ushort)geometry.Sectors);
        PutStrings(page, disk);
        Put(page, 47, MultipleMaxValid | AtaDisk.MaxMultipleSectors);
        Put(page, 48, DwordIo);
        Put(page, 49, CapIordy | CapLba | CapDma);
        Put(page, 51, ObsoleteTiming);
        Put(page, 52, ObsoleteTiming);
        Put(page, 53, FieldsValid);
        Put(page, 54, (ushort)cyls);
        Put(page, 55, (ushort)heads);
        Put(page, 56, (ushort)secs);
        PutDword(page, 57, (uint)(cyls * heads * secs));
        if (disk.MultipleSectors != 0)
        {
            Put(page, 59, (ushort)(MultipleSettingValid | disk.MultipleSectors));
        }

        PutDword(page, 60, (uint)Math.Min(total, MaxLba28));
        PutTransferModes(page, disk);
        Put(page, 65, DiskCycleTimeNs);
        Put(page, 66, DiskCycleTimeNs);
        Put(page, 67, DiskCycleTimeNs);
        Put(page, 68, DiskCycleTimeNs);
        Put(page, 69, DeterministicTrim);
        Put(page, 80, AtaMajor4To7);
        Put(page, 81, AtaMinor);
        Put(page, 82, NopSupported | WriteCacheBit | SmartBit);
        Put(page, 83, AlwaysOne | FlushExtBit | FlushBit | Lba48Bit);
        Put(page, 84, AlwaysOne);
        Put(page, 85, (ushort)(NopSupported | SmartBit | (disk.Backend.WriteCacheEnabled ? WriteCacheBit : 0)));
        Put(page, 86, FlushExtBit | FlushBit | Lba48Bit);
        Put(page, 87, AlwaysOne);
        Put(page, 93, HardwareResetResult);
        PutDword(page, 100, (uint)total);
        PutDword(page, 102, (uint)(total >> 32));
        Put(page, 106, SectorSizeValid);
        Put(page, 169, TrimSupported);
    }

    /// <summary>Fills <paramref name="page"/> with the IDENTIFY PACKET DEVICE data of <paramref name="cdrom"/>.</summary>
    public static void BuildPacket(Span<byte> page, AtapiCdrom cdrom)
    {
        page[..PageBytes].Clear();
        Put(page, 0, AtapiCdromConfig);
        PutStrings(page, cdrom);
        Put(page, 48, DwordIo);
        Put(page, 49, CapLba | CapDma);
        Put(page, 53, FieldsValid);
        PutTransferModes(page, cdrom);
        Put(page, 65, CdromCycleTimeNs);
        Put(page, 66, CdromCycleTimeNs);
        Put(page, 67, CdromCycleTimeNs);
        Put(page, 68, CdromCycleTimeNs);
        Put(page, 71, PacketBusRelease);
        Put(page, 72, PacketBusRelease);
        Put(page, 80, AtapiMajor4);
    }

    /// <summary>
    /// An ATA string: space padded, and within each word the first character in the high byte
    /// (ATA/ATAPI-6, 3.2.9), so byte i of the text lands at byte i ^ 1.
    /// </summary>
    public static void PutString(Span<byte> page, int word, int chars, string text)
    {
        var start = word * sizeof(ushort);
        for (var i = 0; i < chars; i++)
        {
            var c = i < text.Length && text[i] < 0x80 ? (byte)text[i] : (byte)' ';
            page[start + (i ^ 1)] = c;
        }
    }

    private static void PutStrings(Span<byte> page, IdeDrive drive)
    {
        PutString(page, SerialWord, SerialChars, drive.Serial);
        PutString(page, FirmwareWord, FirmwareChars, drive.FirmwareRevision);
        PutString(page, ModelWord, ModelChars, drive.Model);
        Put(page, 20, BufferType);
        Put(page, 21, BufferSectors);
        Put(page, 22, EccBytes);
    }

    private static void PutTransferModes(Span<byte> page, IdeDrive drive)
    {
        Put(page, 62, (ushort)(DmaModes0To2 | drive.SelectedModeBit(AtaTransferModeClass.SingleWordDma)));
        Put(page, 63, (ushort)(DmaModes0To2 | drive.SelectedModeBit(AtaTransferModeClass.MultiwordDma)));
        Put(page, 64, PioModes3And4);
        Put(page, 88, (ushort)(UdmaModes0To5 | drive.SelectedModeBit(AtaTransferModeClass.UltraDma)));
    }

    private static void Put(Span<byte> page, int word, ushort value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(page[(word * sizeof(ushort))..], value);

    private static void PutDword(Span<byte> page, int word, uint value)
    {
        Put(page, word, (ushort)value);
        Put(page, word + 1, (ushort)(value >> 16));
    }
}
