using System.Buffers.Binary;
using System.Text;
using Emulator.Firmware.Disks;
using Emulator.Firmware.Hardware;

namespace Emulator.Firmware.Services;

/// <summary>
/// INT 19h bootstrap and INT 18h. Tries the boot devices in the order QEMU writes to CMOS (3Dh low
/// and high nibbles, 38h high nibble: 1 floppy, 2 hard disk, 3 CD-ROM), reading through the same
/// drivers as INT 13h: the first sector of drive 00h or 80h to 0000:7C00 (with the 55AAh signature
/// checked), or the CD's El Torito boot image (no emulation, or floppy emulation as drive 00h).
/// A device that cannot boot gets SeaBIOS's message and the next one is tried; after them all comes the
/// fw_cfg boot sector (the embedded demo guest), and with nothing to boot "No bootable device.".
/// </summary>
internal sealed class BootService(FirmwareContext context, DiskSystem disks)
{
    public const ushort BootSegment = 0x0000;
    public const ushort BootOffset = 0x7C00;
    private const uint BootAddress = 0x7C00;
    private const int MaxBootSectorSize = 0x7000;
    private const byte Floppy = 1;
    private const byte HardDisk = 2;
    private const byte CdRom = 3;
    private const ushort BootSignature = 0xAA55;
    private const int SignatureOffset = 510;
    private const uint BootRecordBlock = 17;
    private const byte BootIndicatorBootable = 0x88;
    private const byte MediaNoEmulation = 0;
    private const ushort DefaultLoadSegment = 0x07C0;

    private readonly ServiceSequence _sequence = new();
    private readonly DiskRequest _request = new();

    public BiosServiceResult Handle(BiosCall call) => _sequence.Run(() => Bootstrap(call));

    public void Abandon() => _sequence.Abandon();

    public BiosServiceResult NoBootDevice(BiosCall call)
    {
        context.Print("No bootable device.\n");

        // Park the caller: return to the ROM's halt loop.
        call.ReturnTo(Rom.BiosLayout.Segment, Rom.BiosLayout.HaltLoop);
        return BiosServiceResult.Done;
    }

    private IEnumerable<BiosServiceResult> Bootstrap(BiosCall call)
    {
        foreach (var device in BootOrder())
        {
            // As SeaBIOS, only devices that exist are tried.
            var present = device switch
            {
                Floppy => disks.Floppies.Count > 0,
                HardDisk => disks.HardDisks.Count > 0,
                _ => disks.CdRoms.Count > 0,
            };
            if (!present)
            {
                continue;
            }

            context.Print(device switch
            {
                Floppy => "Booting from Floppy...\n",
                HardDisk => "Booting from Hard Disk...\n",
                _ => "Booting from DVD/CD...\n",
            });
            IEnumerable<BiosServiceResult> attempt = device == CdRom ? BootCd(call) : BootDisk(call, device == Floppy ? (byte)0x00 : DiskSystem.FirstHardDisk);
            Booted = false;
            foreach (var wait in attempt)
            {
                yield return wait;
            }

            if (Booted)
            {
                yield break;
            }
        }

        if (context.FwCfg.Present && context.FwCfg.FindFile(FirmwareOptions.BootSectorFile) is { } file
            && file.Size is > 0 and <= MaxBootSectorSize)
        {
            context.Print("Booting from ROM...\n");
            context.Memory.Write(BootAddress, context.FwCfg.Read(file.Key, file.Size));
            call.DL = DiskSystem.FirstHardDisk;
            call.ReturnTo(BootSegment, BootOffset);
            yield break;
        }

        NoBootDevice(call);
    }

    private bool Booted { get; set; }

    /// <summary>Loads the first sector of <paramref name="drive"/> and checks its signature.</summary>
    private IEnumerable<BiosServiceResult> BootDisk(BiosCall call, byte drive)
    {
        if (disks.Find(drive) is not { } disk)
        {
            context.Print("Boot failed: no such drive\n\n");
            yield break;
        }

        foreach (var wait in Read(disk, 0, 1, BootAddress))
        {
            yield return wait;
        }

        if (_request.Status != DiskStatus.Success)
        {
            context.Print("Boot failed: could not read the boot disk\n\n");
            yield break;
        }

        // A floppy may boot without the signature when CMOS 38h bit 0 says so (QEMU's -no-fd-bootchk).
        var skipSignature = drive < DiskSystem.FirstHardDisk && (context.Cmos.Read(CmosPorts.BootOrderSecond) & CmosPorts.FloppySignatureUnchecked) != 0;
        if (!skipSignature && context.Memory.ReadWord(BootAddress + SignatureOffset) != BootSignature)
        {
            context.Print("Boot failed: not a bootable disk\n\n");
            yield break;
        }

        Start(call, drive, BootSegment, BootOffset);
    }

    /// <summary>El Torito: the boot record volume descriptor at block 17, its catalog, and the initial entry's image.</summary>
    private IEnumerable<BiosServiceResult> BootCd(BiosCall call)
    {
        if (disks.CdRoms.Count == 0)
        {
            context.Print("Boot failed: no CD-ROM drive\n\n");
            yield break;
        }

        var cd = disks.CdRoms[0];
        _request.Reset(DiskCommand.Read, 0, 0, 0);
        foreach (var wait in cd.Prepare(_request))
        {
            yield return wait;
        }

        if (_request.Status != DiskStatus.Success)
        {
            context.Print("Boot failed: Could not read from CDROM (no medium)\n\n");
            yield break;
        }

        foreach (var wait in cd.ReadBlocks(BootRecordBlock, 1))
        {
            yield return wait;
        }

        if (!cd.LastOk || !IsElToritoRecord(cd.Data))
        {
            context.Print("Boot failed: not a bootable CD (no El Torito boot record)\n\n");
            yield break;
        }

        var catalog = BinaryPrimitives.ReadUInt32LittleEndian(cd.Data[0x47..]);
        foreach (var wait in cd.ReadBlocks(catalog, 1))
        {
            yield return wait;
        }

        if (!cd.LastOk || !IsValidationEntry(cd.Data) || cd.Data[0x20] != BootIndicatorBootable)
        {
            context.Print("Boot failed: the CD's boot catalog is not valid\n\n");
            yield break;
        }

        var entry = cd.Data.Slice(0x20, 0x20);
        var media = (byte)(entry[1] & 0x0F);
        var loadSegment = BinaryPrimitives.ReadUInt16LittleEndian(entry[2..]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(entry[6..]);
        var image = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
        loadSegment = loadSegment == 0 ? DefaultLoadSegment : loadSegment;
        var load = (uint)(loadSegment << 4);
        if (media == MediaNoEmulation)
        {
            var blocks = Math.Max(1, (count + 3) / 4);
            if (count == 0 || load + ((uint)blocks * 2048) > 0xA0000)
            {
                context.Print("Boot failed: the CD's boot image does not fit in memory\n\n");
                yield break;
            }

            foreach (var wait in Read(cd, image, blocks, load))
            {
                yield return wait;
            }

            if (_request.Status != DiskStatus.Success)
            {
                context.Print("Boot failed: could not read the CD's boot image\n\n");
                yield break;
            }

            disks.NoEmulationCd = cd;
            Start(call, DiskSystem.FirstCdRom, loadSegment, 0);
            yield break;
        }

        if (EmulatedFloppy.GeometryFor(media) is not { } geometry)
        {
            context.Print($"Boot failed: El Torito media type {media} is not supported\n\n");
            yield break;
        }

        var floppy = new EmulatedFloppy(cd, image, geometry, media);
        foreach (var wait in Read(floppy, 0, Math.Max(1, (int)count), load))
        {
            yield return wait;
        }

        if (_request.Status != DiskStatus.Success)
        {
            context.Print("Boot failed: could not read the CD's boot image\n\n");
            yield break;
        }

        disks.Emulate(floppy);
        Start(call, 0x00, loadSegment, 0);
    }

    private IEnumerable<BiosServiceResult> Read(BiosDisk disk, ulong lba, int count, uint address)
    {
        _request.Reset(DiskCommand.Read, lba, count, address);
        foreach (var wait in disk.Prepare(_request))
        {
            yield return wait;
        }

        if (_request.Status != DiskStatus.Success)
        {
            yield break;
        }

        _request.Reset(DiskCommand.Read, lba, count, address);
        foreach (var wait in disk.Transfer(_request))
        {
            yield return wait;
        }
    }

    private void Start(BiosCall call, byte drive, ushort segment, ushort offset)
    {
        call.DL = drive;
        call.ReturnTo(segment, offset);
        Booted = true;
    }

    private static bool IsElToritoRecord(ReadOnlySpan<byte> block) =>
        block[0] == 0 && block[1..6].SequenceEqual("CD001"u8) && block[6] == 1
        && Encoding.ASCII.GetString(block.Slice(7, 23)) == "EL TORITO SPECIFICATION";

    /// <summary>The validation entry: header 01h, key bytes 55h AAh, and words summing to zero.</summary>
    private static bool IsValidationEntry(ReadOnlySpan<byte> catalog)
    {
        if (catalog[0] != 1 || catalog[0x1E] != 0x55 || catalog[0x1F] != 0xAA)
        {
            return false;
        }

        ushort sum = 0;
        for (var i = 0; i < 0x20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16LittleEndian(catalog[i..]);
        }

        return sum == 0;
    }

    private List<byte> BootOrder()
    {
        var first = context.Cmos.Read(CmosPorts.BootOrderFirst);
        var second = context.Cmos.Read(CmosPorts.BootOrderSecond);
        var order = new List<byte>();
        foreach (var device in new[] { (byte)(first & 0x0F), (byte)(first >> 4), (byte)(second >> 4) })
        {
            if (device is Floppy or HardDisk or CdRom && !order.Contains(device))
            {
                order.Add(device);
            }
        }

        return order;
    }
}
