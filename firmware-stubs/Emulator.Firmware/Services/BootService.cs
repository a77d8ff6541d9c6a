using Emulator.Firmware.Hardware;

namespace Emulator.Firmware.Services;

/// <summary>
/// INT 19h bootstrap and INT 18h. Tries the boot devices in the order QEMU writes to CMOS (3Dh low
/// and high nibbles, 38h high nibble: 1 floppy, 2 hard disk, 3 CD-ROM) — none can boot until the disk
/// controllers exist — and then the fw_cfg boot sector (the embedded demo guest). A loaded boot sector
/// starts at 0000:7C00 with DL = the boot drive. With nothing to boot it prints "No bootable device."
/// and halts, as SeaBIOS does.
/// </summary>
internal sealed class BootService(FirmwareContext context)
{
    public const ushort BootSegment = 0x0000;
    public const ushort BootOffset = 0x7C00;
    private const uint BootAddress = 0x7C00;
    private const int MaxBootSectorSize = 0x7000;
    private const byte FirstHardDisk = 0x80;
    private const byte Floppy = 1;
    private const byte HardDisk = 2;
    private const byte CdRom = 3;

    public BiosServiceResult Bootstrap(BiosCall call)
    {
        foreach (var device in BootOrder())
        {
            var name = device switch
            {
                Floppy => "Floppy",
                HardDisk => "Hard Disk",
                _ => "DVD/CD",
            };
            context.Print($"Booting from {name}...\n");
            context.Print("Boot failed: could not read the boot disk (no disk controller yet)\n\n");
        }

        if (context.FwCfg.Present && context.FwCfg.FindFile(FirmwareOptions.BootSectorFile) is { } file
            && file.Size is > 0 and <= MaxBootSectorSize)
        {
            context.Print("Booting from ROM...\n");
            context.Memory.Write(BootAddress, context.FwCfg.Read(file.Key, file.Size));
            call.DL = FirstHardDisk;
            call.ReturnTo(BootSegment, BootOffset);
            return BiosServiceResult.Done;
        }

        return NoBootDevice(call);
    }

    public BiosServiceResult NoBootDevice(BiosCall call)
    {
        context.Print("No bootable device.\n");

        // Park the caller: return to the ROM's halt loop.
        call.ReturnTo(Rom.BiosLayout.Segment, Rom.BiosLayout.HaltLoop);
        return BiosServiceResult.Done;
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
