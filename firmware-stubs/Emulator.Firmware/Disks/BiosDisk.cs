using Emulator.Firmware.Services;

namespace Emulator.Firmware.Disks;

/// <summary>
/// A drive as INT 13h sees it, behind one guest-side driver (floppy controller, ATA, ATAPI, virtio).
/// <see cref="Transfer"/> is written as a sequence that yields each time it waits for the hardware:
/// the disk service hands the yielded value to the ROM stub (halt for an interrupt, or poll) and
/// resumes the sequence when the stub calls again, so a driver reads like straight-line code.
/// </summary>
internal abstract class BiosDisk
{
    public abstract DiskKind Kind { get; }

    /// <summary>Bytes per sector: 512, or 2048 for a CD.</summary>
    public virtual int SectorSize => 512;

    /// <summary>Total sectors of <see cref="SectorSize"/>.</summary>
    public abstract ulong Sectors { get; }

    /// <summary>The logical CHS geometry for AH=02h/03h/08h.</summary>
    public abstract DiskGeometry Geometry { get; }

    /// <summary>The geometry AH=08h reports: the drive's for a floppy (whatever the medium), the logical one otherwise.</summary>
    public virtual DiskGeometry ReportedGeometry => Geometry;

    /// <summary>Brings the drive to a known state before its geometry is used (a floppy senses its medium); yields while waiting.</summary>
    public virtual IEnumerable<BiosServiceResult> Prepare(DiskRequest request)
    {
        request.Status = DiskStatus.Success;
        yield break;
    }

    /// <summary>What AH=48h reports as the interface ("ATA", "ATAPI", "VIRTIO", "FDC").</summary>
    public abstract string InterfaceName { get; }

    /// <summary>Reads, writes or verifies sectors; yields while waiting for the hardware.</summary>
    public abstract IEnumerable<BiosServiceResult> Transfer(DiskRequest request);

    /// <summary>Resets the drive or its controller (AH=00h); yields while waiting.</summary>
    public virtual IEnumerable<BiosServiceResult> Reset(DiskRequest request)
    {
        request.Status = DiskStatus.Success;
        yield break;
    }

    /// <summary>Checks the drive is ready to use (AH=10h).</summary>
    public virtual bool IsReady => true;
}
