using Emulator.Firmware.Hardware;
using Emulator.Firmware.Services;

namespace Emulator.Firmware.Disks;

/// <summary>
/// A diskette drive behind <see cref="FdcDriver"/>. The medium's format is sensed on first use and
/// after the disk change line rises: each candidate data rate is tried with READ ID, and the format's
/// last sector is read back to tell 40 from 80 tracks and 9/15/18/21/36 sectors. Transfers go a track
/// at a time through DMA straight into the caller's buffer; a sector that would cross a 64 KiB DMA page
/// goes through a bounce buffer instead (where an IBM BIOS would fail with status 09h).
/// </summary>
internal sealed class FloppyDisk(FdcDriver fdc, int unit, int cmosType) : BiosDisk
{
    private const int SectorSize512 = 512;
    private const byte MediaEstablished = 0x10;
    private const byte MediaDetermined144 = 0x07;
    private FloppyMedia? _media;

    public int Unit => unit;

    public int CmosType => cmosType;

    public override DiskKind Kind => DiskKind.Floppy;

    public override ulong Sectors => (ulong)Geometry.Sectors;

    public override DiskGeometry Geometry => _media?.Geometry ?? FloppyMedia.DriveGeometry(cmosType);

    public override DiskGeometry ReportedGeometry => FloppyMedia.DriveGeometry(cmosType);

    public override string InterfaceName => "FDC";

    /// <summary>Reads the disk change line of this drive (AH=16h).</summary>
    public bool ChangeLine()
    {
        fdc.Select(unit);
        return fdc.DiskChanged;
    }

    public override IEnumerable<BiosServiceResult> Reset(DiskRequest request)
    {
        foreach (var wait in fdc.Reset())
        {
            yield return wait;
        }

        request.Status = fdc.Initialized ? DiskStatus.Success : DiskStatus.ResetFailed;
    }

    public override IEnumerable<BiosServiceResult> Prepare(DiskRequest request)
    {
        request.Status = DiskStatus.Success;
        if (!fdc.Initialized)
        {
            foreach (var wait in fdc.Reset())
            {
                yield return wait;
            }

            if (!fdc.Initialized)
            {
                request.Status = DiskStatus.Timeout;
                yield break;
            }
        }

        fdc.Select(unit);
        if (fdc.DiskChanged)
        {
            _media = null;
        }

        if (_media is not null)
        {
            yield break;
        }

        foreach (var wait in Sense(request))
        {
            yield return wait;
        }
    }

    public override IEnumerable<BiosServiceResult> Transfer(DiskRequest request)
    {
        if (_media is null)
        {
            request.Status = DiskStatus.MediaTypeNotFound;
            yield break;
        }

        var geometry = _media.Geometry;
        fdc.Select(unit);
        fdc.SetRate(_media.Rate);
        while (request.Done < request.Count)
        {
            var lba = (long)request.Lba + request.Done;
            var cylinder = (int)(lba / (geometry.Heads * geometry.SectorsPerTrack));
            var head = (int)(lba / geometry.SectorsPerTrack % geometry.Heads);
            var sector = (int)(lba % geometry.SectorsPerTrack) + 1;
            var count = Math.Min(request.Count - request.Done, geometry.SectorsPerTrack - sector + 1);
            var address = request.Address + (uint)(request.Done * SectorSize512);
            var bounce = false;
            if (!IsaDmaPorts.Reachable(address, count * SectorSize512))
            {
                // Up to the page boundary directly; a sector straddling it (or memory above 16 MiB) through the bounce buffer.
                var before = (int)((((address >> 16) + 1) << 16) - address) / SectorSize512;
                if (before > 0 && address < 0x1000000)
                {
                    count = Math.Min(count, before);
                }
                else
                {
                    count = 1;
                    bounce = true;
                }
            }

            var target = bounce ? FdcDriver.BounceBuffer : address;
            if (bounce && request.Command == DiskCommand.Write)
            {
                Copy(address, target);
            }

            foreach (var wait in fdc.Seek(unit, cylinder))
            {
                yield return wait;
            }

            if (!fdc.Ok)
            {
                request.Status = DiskStatus.SeekFailed;
                yield break;
            }

            foreach (var wait in fdc.Transfer(request.Command, unit, cylinder, head, sector, sector + count - 1, target))
            {
                yield return wait;
            }

            if (!fdc.Ok)
            {
                request.Status = fdc.Status;
                if (fdc.Status == DiskStatus.Timeout)
                {
                    _media = null;
                }

                yield break;
            }

            if (bounce && request.Command == DiskCommand.Read)
            {
                Copy(target, address);
            }

            request.Done += count;
        }

        request.Status = DiskStatus.Success;
    }

    /// <summary>Formats one track (AH=05h): the caller's C/H/R/N list is at <paramref name="address"/>.</summary>
    public IEnumerable<BiosServiceResult> FormatTrack(DiskRequest request, int cylinder, int head, uint address)
    {
        var sectors = Geometry.SectorsPerTrack;
        fdc.Select(unit);
        fdc.SetRate((_media ?? FloppyMedia.Candidates(cmosType).First()).Rate);
        foreach (var wait in fdc.Seek(unit, cylinder))
        {
            yield return wait;
        }

        if (!fdc.Ok)
        {
            request.Status = DiskStatus.SeekFailed;
            yield break;
        }

        foreach (var wait in fdc.Format(unit, head, sectors, address))
        {
            yield return wait;
        }

        request.Status = fdc.Ok ? DiskStatus.Success : fdc.Status;
    }

    /// <summary>Finds the medium's format: the first candidate whose rate reads a sector ID and whose last sector reads back.</summary>
    private IEnumerable<BiosServiceResult> Sense(DiskRequest request)
    {
        fdc.Forget(unit);
        foreach (var candidate in FloppyMedia.Candidates(cmosType))
        {
            fdc.SetRate(candidate.Rate);
            foreach (var wait in fdc.Seek(unit, 0))
            {
                yield return wait;
            }

            if (!fdc.Ok)
            {
                // No medium (or no drive): the head cannot be positioned.
                request.Status = DiskStatus.Timeout;
                yield break;
            }

            foreach (var wait in fdc.ReadId(unit, 0))
            {
                yield return wait;
            }

            if (!fdc.Ok)
            {
                continue;
            }

            var g = candidate.Geometry;
            foreach (var wait in fdc.Seek(unit, g.Cylinders - 1))
            {
                yield return wait;
            }

            if (!fdc.Ok)
            {
                continue;
            }

            foreach (var wait in fdc.Transfer(DiskCommand.Read, unit, g.Cylinders - 1, g.Heads - 1, g.SectorsPerTrack, g.SectorsPerTrack, FdcDriver.BounceBuffer))
            {
                yield return wait;
            }

            if (fdc.Ok)
            {
                _media = candidate;
                fdc.Context.Memory.WriteByte(Bda.FloppyMediaState + (uint)unit, (byte)((candidate.Rate << 6) | MediaEstablished | MediaDetermined144));
                request.Status = DiskStatus.Success;
                yield break;
            }
        }

        request.Status = DiskStatus.MediaTypeNotFound;
    }

    private void Copy(uint from, uint to)
    {
        Span<byte> sector = stackalloc byte[SectorSize512];
        fdc.Context.Memory.Read(from, sector);
        fdc.Context.Memory.Write(to, sector);
    }
}
