namespace Emulator.Machine.Platform;

/// <summary>
/// Fills the BIOS bytes of CMOS RAM the way a PC firmware setup (or QEMU's pc_cmos_init) leaves
/// them: memory sizes, floppy and hard disk types, the equipment byte and the checksum over
/// 0x10-0x2D. Each method recomputes the checksum, so the machine builder can call them in any order.
/// </summary>
public static class CmosSetup
{
    private const ulong Kilobyte = 1024;
    private const ulong Megabyte = 1024 * Kilobyte;
    private const ulong SixteenMegabytes = 16 * Megabyte;
    private const ulong Chunk64K = 64 * Kilobyte;
    private const ushort BaseMemoryKilobytes = 640;
    private const ulong MaxWord = ushort.MaxValue;
    private const ulong MaxThreeBytes = 0xFF_FFFF;
    private const int ByteBits = 8;
    private const int HighNibbleShift = 4;

    /// <summary>Bit 0 of 38h: boot a floppy without checking its 55AAh signature (SeaBIOS reads it the same way).</summary>
    public const byte FloppySignatureUnchecked = 0x01;

    /// <summary>Hard disk type 47, "user defined", whose geometry follows in the parameter block.</summary>
    private const byte UserDefinedDiskType = 47;
    private const byte ExtendedDiskTypeNibble = 0x0F;
    private const byte MoreThanEightHeads = 0x08;

    /// <summary>Control byte bits 7-6 (AT Technical Reference, fixed disk parameter table): disable retries, as QEMU's pc sets them.</summary>
    private const byte NoRetries = 0xC0;
    private const int MaxTranslatedDrives = 4;
    private const int TranslationBits = 2;
    private const byte TranslationMask = 0x03;
    private const int DiskParameterBytes = 9;
    private const int MaxHardDisks = 2;
    private const int MaxBootDevices = 3;
    private const byte BootFloppy = 1;
    private const byte BootHardDisk = 2;
    private const byte BootCdRom = 3;
    private const byte BootNetwork = 4;

    /// <summary>
    /// Equipment byte (AT Technical Reference): bit 0 diskette present, bit 1 coprocessor, bit 2 PS/2 mouse
    /// (QEMU's pc sets it for the 8042's auxiliary port), bits 7-6 diskette count - 1.
    /// </summary>
    private const byte EquipmentFloppyPresent = 0x01;
    private const byte EquipmentCoprocessor = 0x02;
    private const byte EquipmentPs2Mouse = 0x04;
    private const int EquipmentFloppyCountShift = 6;

    /// <summary>Memory size bytes: 640 KiB base, extended memory in KiB above 1 MiB, 64 KiB chunks above 16 MiB and above 4 GiB.</summary>
    public static void SetMemorySize(CmosRtc cmos, ulong belowFourGigabytes, ulong aboveFourGigabytes = 0)
    {
        ArgumentNullException.ThrowIfNull(cmos);
        SetWord(cmos, CmosOffset.BaseMemoryLow, BaseMemoryKilobytes);
        var extended = belowFourGigabytes > Megabyte ? Math.Min((belowFourGigabytes - Megabyte) / Kilobyte, MaxWord) : 0;
        SetWord(cmos, CmosOffset.ExtendedMemoryLow, (ushort)extended);
        SetWord(cmos, CmosOffset.ExtendedMemory2Low, (ushort)extended);
        var high = belowFourGigabytes > SixteenMegabytes ? Math.Min((belowFourGigabytes - SixteenMegabytes) / Chunk64K, MaxWord) : 0;
        SetWord(cmos, CmosOffset.HighMemoryLow, (ushort)high);
        var above = Math.Min(aboveFourGigabytes / Chunk64K, MaxThreeBytes);
        for (var i = 0; i < 3; i++)
        {
            cmos.SetByte((int)CmosOffset.AboveFourGigabytesLow + i, (byte)(above >> (ByteBits * i)));
        }

    }

    /// <summary>Floppy drive types (byte 0x10) and the diskette bits of the equipment byte.</summary>
    public static void SetFloppyTypes(CmosRtc cmos, CmosFloppyType driveA, CmosFloppyType driveB)
    {
        ArgumentNullException.ThrowIfNull(cmos);
        cmos.SetByte((int)CmosOffset.FloppyTypes, (byte)(((byte)driveA << HighNibbleShift) | (byte)driveB));
        var count = (driveA != CmosFloppyType.None ? 1 : 0) + (driveB != CmosFloppyType.None ? 1 : 0);
        var equipment = (byte)(EquipmentCoprocessor | EquipmentPs2Mouse | (count > 0 ? EquipmentFloppyPresent | ((count - 1) << EquipmentFloppyCountShift) : 0));
        cmos.SetByte((int)CmosOffset.Equipment, equipment);
    }

    /// <summary>Hard disk <paramref name="drive"/> (0 or 1) as type 47 with the given CHS geometry.</summary>
    public static void SetHardDisk(CmosRtc cmos, int drive, int cylinders, int heads, int sectorsPerTrack)
    {
        ArgumentNullException.ThrowIfNull(cmos);
        ArgumentOutOfRangeException.ThrowIfNegative(drive);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(drive, MaxHardDisks);
        var types = cmos.GetByte((int)CmosOffset.HardDiskTypes);
        types = drive == 0
            ? (byte)((types & ExtendedDiskTypeNibble) | (ExtendedDiskTypeNibble << HighNibbleShift))
            : (byte)((types & ~ExtendedDiskTypeNibble) | ExtendedDiskTypeNibble);
        cmos.SetByte((int)CmosOffset.HardDiskTypes, types);
        cmos.SetByte((int)(drive == 0 ? CmosOffset.HardDisk0ExtendedType : CmosOffset.HardDisk1ExtendedType), UserDefinedDiskType);

        // Parameter block: cylinders, heads, write precompensation (none), control byte, landing zone, sectors per track.
        var block = (int)(drive == 0 ? CmosOffset.HardDisk0Parameters : CmosOffset.HardDisk1Parameters);
        Span<byte> p = stackalloc byte[DiskParameterBytes];
        p[0] = (byte)cylinders;
        p[1] = (byte)(cylinders >> ByteBits);
        p[2] = (byte)heads;
        p[3] = byte.MaxValue;
        p[4] = byte.MaxValue;
        p[5] = (byte)(NoRetries | (heads > 8 ? MoreThanEightHeads : 0));
        p[6] = (byte)cylinders;
        p[7] = (byte)(cylinders >> ByteBits);
        p[8] = (byte)sectorsPerTrack;
        for (var i = 0; i < p.Length; i++)
        {
            cmos.SetByte(block + i, p[i]);
        }

    }

    /// <summary>
    /// The BIOS translation (0 none, 1 LBA, 2 LARGE, 3 R-ECHS) of IDE drive <paramref name="drive"/>
    /// (0-3: primary master, primary slave, secondary master, secondary slave) in CMOS 39h.
    /// </summary>
    public static void SetDiskTranslation(CmosRtc cmos, int drive, byte translation)
    {
        ArgumentNullException.ThrowIfNull(cmos);
        ArgumentOutOfRangeException.ThrowIfNegative(drive);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(drive, MaxTranslatedDrives);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(translation, TranslationMask);
        var shift = drive * TranslationBits;
        var value = cmos.GetByte((int)CmosOffset.DiskTranslation) & ~(TranslationMask << shift);
        cmos.SetByte((int)CmosOffset.DiskTranslation, (byte)(value | (translation << shift)));
    }

    /// <summary>
    /// The boot order as QEMU's pc machine stores it for the BIOS (<c>-boot order=</c>): up to three
    /// devices, a/b floppy, c hard disk, d CD-ROM, n network; the first two in 3Dh, the third in the
    /// high nibble of 38h, whose low bit is set only when the floppy boot signature is not to be
    /// checked (QEMU's -no-fd-bootchk). An empty order leaves no device (firmware that boots from fw_cfg
    /// then tries nothing else).
    /// </summary>
    /// <exception cref="ArgumentException">The order <see cref="CheckBootOrder"/> refuses.</exception>
    public static void SetBootOrder(CmosRtc cmos, string order, bool checkFloppySignature = true)
    {
        ArgumentNullException.ThrowIfNull(cmos);
        if (CheckBootOrder(order) is { } problem)
        {
            throw new ArgumentException(problem, nameof(order));
        }

        Span<byte> devices = stackalloc byte[MaxBootDevices];
        for (var i = 0; i < order.Length; i++)
        {
            devices[i] = BootDeviceCode(order[i]);
        }

        cmos.SetByte((int)CmosOffset.BootOrderFirst, (byte)((devices[1] << HighNibbleShift) | devices[0]));
        cmos.SetByte((int)CmosOffset.BootOrderSecond, (byte)((devices[2] << HighNibbleShift) | (checkFloppySignature ? 0 : FloppySignatureUnchecked)));
    }

    /// <summary>Why a PC cannot boot in <paramref name="order"/> (QEMU's messages), or null when it can.</summary>
    public static string? CheckBootOrder(string order)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (order.Length > MaxBootDevices)
        {
            return "Too many boot devices for PC";
        }

        foreach (var device in order)
        {
            if (BootDeviceCode(device) == 0)
            {
                return $"Invalid boot device for PC: '{device}'";
            }
        }

        return null;
    }

    private static byte BootDeviceCode(char device) => device switch
    {
        'a' or 'b' => BootFloppy,
        'c' => BootHardDisk,
        'd' => BootCdRom,
        'n' => BootNetwork,
        _ => 0,
    };

    private static void SetWord(CmosRtc cmos, CmosOffset low, ushort value)
    {
        cmos.SetByte((int)low, (byte)value);
        cmos.SetByte((int)low + 1, (byte)(value >> ByteBits));
    }
}
