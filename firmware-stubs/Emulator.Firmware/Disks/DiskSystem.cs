using Emulator.Firmware.Hardware;
using Emulator.Firmware.Services;
using static Emulator.Firmware.Disks.AtaRegisters;

namespace Emulator.Firmware.Disks;

/// <summary>
/// The drives the BIOS found at POST and their INT 13h numbers: floppies 00h-01h (from CMOS 10h),
/// hard disks from 80h (IDE by IDENTIFY first, then virtio-blk functions found on PCI), CD-ROMs from
/// E0h. El Torito floppy emulation puts the CD's image at 00h and moves the real floppy A: to 01h.
/// </summary>
internal sealed class DiskSystem(FirmwareContext context)
{
    public const byte FirstHardDisk = 0x80;
    public const byte FirstCdRom = 0xE0;
    private const ushort VirtioVendor = 0x1AF4;
    private const ushort VirtioBlkTransitional = 0x1001;
    private const int MaxVirtioDisks = (int)(FirmwareMemory.HighZoneSize / VirtioBlkDisk.MemoryNeeded);

    private readonly List<BiosDisk> _floppies = [];
    private readonly List<BiosDisk> _hardDisks = [];
    private readonly List<AtapiDisk> _cdRoms = [];
    private readonly List<FloppyDisk> _physicalFloppies = [];
    private readonly FdcDriver _fdc = new(context);

    public IReadOnlyList<BiosDisk> Floppies => _floppies;

    public IReadOnlyList<BiosDisk> HardDisks => _hardDisks;

    public IReadOnlyList<AtapiDisk> CdRoms => _cdRoms;

    /// <summary>The active floppy emulation, if the CD booted with one.</summary>
    public EmulatedFloppy? Emulation { get; private set; }

    /// <summary>True after a no-emulation CD boot (INT 13h AH=4Bh reports it).</summary>
    public AtapiDisk? NoEmulationCd { get; set; }

    public BiosDisk? Find(byte drive) => drive switch
    {
        < FirstHardDisk => drive < _floppies.Count ? _floppies[drive] : null,
        < FirstCdRom => drive - FirstHardDisk < _hardDisks.Count ? _hardDisks[drive - FirstHardDisk] : null,
        _ => drive - FirstCdRom < _cdRoms.Count ? _cdRoms[drive - FirstCdRom] : null,
    };

    /// <summary>POST: floppies from CMOS, the PCI pass, IDE devices by IDENTIFY, virtio-blk devices; the BDA hard disk count.</summary>
    public IEnumerable<BiosServiceResult> Detect()
    {
        _floppies.Clear();
        _hardDisks.Clear();
        _cdRoms.Clear();
        _physicalFloppies.Clear();
        Emulation = null;
        NoEmulationCd = null;
        var types = context.Cmos.Read(CmosPorts.FloppyTypes);
        foreach (var (unit, type) in new[] { (0, types >> 4), (1, types & 0x0F) })
        {
            if (type != 0)
            {
                var floppy = new FloppyDisk(_fdc, unit, type);
                _physicalFloppies.Add(floppy);
                _floppies.Add(floppy);
            }
        }

        var pci = new PciSetup(context.Ports).Run();
        var translations = context.Cmos.Read(CmosPorts.DiskTranslation);
        var drive = 0;
        foreach (var (commandBase, controlBase) in new[] { (PrimaryBase, PrimaryControl), (SecondaryBase, SecondaryControl) })
        {
            var channel = new AtaChannel(context, commandBase, controlBase);
            for (var unit = 0; unit < 2; unit++, drive++)
            {
                var translation = (ChsTranslation)((translations >> (drive * CmosPorts.DiskTranslationBits)) & CmosPorts.DiskTranslationMask);
                foreach (var wait in Identify(channel, unit, translation))
                {
                    yield return wait;
                }
            }
        }

        var virtio = 0;
        foreach (var function in pci.Where(f => f.VendorId == VirtioVendor && f.DeviceId == VirtioBlkTransitional && f.IoBars[0] != 0))
        {
            if (virtio == MaxVirtioDisks)
            {
                break;
            }

            var memory = FirmwareMemory.HighZone(context.Cmos) + ((uint)virtio * VirtioBlkDisk.MemoryNeeded);
            if (VirtioBlkDisk.Start(context, function.IoBars[0], memory) is { } disk)
            {
                _hardDisks.Add(disk);
                virtio++;
            }
        }

        context.Memory.WriteByte(Bda.HardDiskCount, (byte)_hardDisks.Count);
    }

    /// <summary>Starts El Torito floppy emulation: the image becomes drive 00h, a real floppy A: moves to 01h.</summary>
    public void Emulate(EmulatedFloppy image)
    {
        Emulation = image;
        _floppies.Clear();
        _floppies.Add(image);
        if (_physicalFloppies.Count > 0)
        {
            _floppies.Add(_physicalFloppies[0]);
        }

        SetFloppyEquipment(_floppies.Count);
    }

    /// <summary>Ends floppy emulation (INT 13h AX=4B00h): the drives go back to their own numbers.</summary>
    public void EndEmulation()
    {
        Emulation = null;
        _floppies.Clear();
        _floppies.AddRange(_physicalFloppies);
        SetFloppyEquipment(_floppies.Count);
    }

    private void SetFloppyEquipment(int count)
    {
        const ushort FloppyPresent = 0x0001;
        const ushort FloppyCountMask = 0x00C0;
        var equipment = (ushort)(context.Memory.ReadWord(Bda.Equipment) & ~(FloppyPresent | FloppyCountMask));
        if (count > 0)
        {
            equipment |= (ushort)(FloppyPresent | ((count - 1) << 6));
        }

        context.Memory.WriteWord(Bda.Equipment, equipment);
    }

    /// <summary>IDENTIFY DEVICE, or IDENTIFY PACKET DEVICE when the device answers with the ATAPI signature.</summary>
    private IEnumerable<BiosServiceResult> Identify(AtaChannel channel, int unit, ChsTranslation translation)
    {
        channel.Select(unit);
        var status = channel.AlternateStatus;
        if (status == 0xFF)
        {
            // Nothing answers on this channel.
            yield break;
        }

        channel.EnableInterrupts();
        foreach (var wait in channel.WaitReady(needDrq: false, ticks: 18))
        {
            yield return wait;
        }

        if (channel.TimedOut)
        {
            yield break;
        }

        // An ATAPI device shows its signature and may keep DRDY clear; a hard disk sets DRDY. A status of
        // zero without the signature is an absent device (whose registers mirror its neighbour's): a
        // command to it is ignored, so it only gets a short wait.
        channel.Select(unit);
        var packet = channel.Read(LbaMid) == AtapiSignatureMid && channel.Read(LbaHigh) == AtapiSignatureHigh;
        var ticks = (channel.AlternateStatus & StatusReady) != 0 ? 18 : 2;
        channel.Issue(packet ? IdentifyPacketDevice : IdentifyDevice);
        foreach (var wait in channel.WaitReady(needDrq: true, ticks))
        {
            yield return wait;
        }

        if (!packet && (channel.LastStatus & StatusError) != 0
            && channel.Read(LbaMid) == AtapiSignatureMid && channel.Read(LbaHigh) == AtapiSignatureHigh)
        {
            packet = true;
            channel.Issue(IdentifyPacketDevice);
            foreach (var wait in channel.WaitReady(needDrq: true, ticks: 18))
            {
                yield return wait;
            }
        }

        if (channel.TimedOut || (channel.LastStatus & (StatusError | StatusDrq)) != StatusDrq)
        {
            yield break;
        }

        var identify = new byte[512];
        channel.ReadData(identify);
        if (packet)
        {
            _cdRoms.Add(new AtapiDisk(channel, unit));
        }
        else
        {
            _hardDisks.Add(new AtaPioDisk(channel, unit, identify, translation));
        }
    }
}
