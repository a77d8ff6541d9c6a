using Emulator.Block.Backend;

namespace Emulator.Devices.Floppy;

/// <summary>
/// One floppy drive on the controller and the medium in it: the head position (track, head,
/// sector), the geometry picked from the medium's size (<see cref="FloppyFormats"/>), the
/// write-protect tab (a read-only backend) and the disk change line. It is the
/// <see cref="IBlockDevOps"/> of its backend: a floppy has no tray and no lock, so the monitor's
/// insert and eject reach it as <see cref="ChangeMedia"/>, which raises the change line. The line
/// drops only when a seek really moves the head with a medium inserted, as on a real drive where
/// the step pulse is what clears it. An empty drive gets 255-track, 255-sector bounds so seeks on
/// it still work (QEMU's rule); a slot with no backend at all has zero bounds.
/// </summary>
public sealed class FloppyDrive : IBlockDevOps
{
    private const byte EmptyDriveBound = 0xFF;

    private readonly FloppyDriveType _fallback;

    internal FloppyDrive(int unit, FloppyDriveType fallback)
    {
        Unit = unit;
        _fallback = fallback;
    }

    /// <summary>The drive's slot on the controller: 0 (A:) or 1 (B:).</summary>
    public int Unit { get; }

    /// <summary>The backend, or null for a slot with no drive.</summary>
    public BlockBackend? Backend { get; private set; }

    /// <summary>The drive type after auto-detection (what CMOS reports).</summary>
    public FloppyDriveType DriveType { get; private set; } = FloppyDriveType.None;

    internal byte Track { get; private set; }

    internal byte Head { get; set; }

    internal byte Sector { get; set; } = 1;

    /// <summary>Sectors per track of the inserted medium's format (from QEMU's format table); 0 with no medium.</summary>
    public byte SectorsPerTrack { get; internal set; }

    /// <summary>Tracks (cylinders) of the inserted medium's format; 0 with no medium.</summary>
    public byte Tracks { get; private set; }

    /// <summary>Whether the inserted medium's format has two heads.</summary>
    public bool DoubleSided { get; private set; }

    internal FloppyDataRate MediaRate { get; private set; }

    /// <summary>Whether writes are refused (the guest sees write protect): true for a slot with no backend or on a read-only backend.</summary>
    public bool ReadOnly { get; private set; } = true;

    /// <summary>The disk change line (DIR bit 7 while this drive is selected).</summary>
    public bool MediaChanged { get; private set; } = true;

    /// <summary>PERPENDICULAR MODE gap/write-gate bits; kept only to be reported back.</summary>
    internal byte Perpendicular { get; set; }

    /// <summary>Whether the drive's backend holds a medium; false for a slot with no backend.</summary>
    public bool IsInserted => Backend?.IsInserted ?? false;

    /// <summary>A floppy drive supports media change only (no tray, no lock, no eject request).</summary>
    public BlockDevCapabilities Capabilities => BlockDevCapabilities.ChangeMedia;

    /// <summary>Sector index on the medium of the current head position; negative for sector 0 (no such sector).</summary>
    internal long SectorIndex => ((((long)Track * (DoubleSided ? 2 : 1)) + Head) * SectorsPerTrack) + Sector - 1;

    /// <summary>
    /// The backend's medium was inserted or removed: the disk change line is raised and the format, write
    /// protection and geometry are recomputed from the new medium.
    /// </summary>
    /// <param name="load">True for an insertion, false for a removal (both handled the same way).</param>
    /// <returns>Always null: a floppy drive never refuses a media change.</returns>
    public string? ChangeMedia(bool load)
    {
        MediaChanged = true;
        Revalidate();
        return null;
    }

    /// <summary>The controller is being removed: the drive has no backend any more.</summary>
    internal void Detach() => Backend = null;

    internal void Attach(BlockBackend backend, FloppyDriveType type)
    {
        Backend = backend;
        MediaChanged = true;
        DriveType = type;
        if (type == FloppyDriveType.Auto)
        {
            DriveType = IsInserted ? FloppyFormats.Pick(SectorsOf(backend), type, _fallback).Drive : _fallback;
        }

        Revalidate();
    }

    /// <summary>
    /// Moves the head to <paramref name="head"/>/<paramref name="track"/>/<paramref name="sector"/> if they
    /// exist on the medium; the change line clears when the track changes with a medium inserted.
    /// </summary>
    internal FdcSeekResult Seek(byte head, byte track, byte sector)
    {
        if (track > Tracks || (head != 0 && !DoubleSided))
        {
            return FdcSeekResult.InvalidTrack;
        }

        if (sector > SectorsPerTrack)
        {
            return FdcSeekResult.InvalidSector;
        }

        var result = FdcSeekResult.SameTrack;
        if (head != Head || track != Track || sector != Sector)
        {
            Head = head;
            if (track != Track)
            {
                if (IsInserted)
                {
                    MediaChanged = false;
                }

                result = FdcSeekResult.TrackChanged;
            }

            Track = track;
            Sector = sector;
        }

        return IsInserted ? result : FdcSeekResult.InvalidTrack;
    }

    /// <summary>Steps the head back to track 0.</summary>
    internal void Recalibrate() => Seek(0, 0, 1);

    /// <summary>Overwrites the position without stepping (RESTORE): the change line is untouched.</summary>
    internal void RestoreTrack(byte track) => Track = track;

    /// <summary>Re-reads the medium's geometry and write protection after attach or a medium change.</summary>
    private void Revalidate()
    {
        if (Backend is not { } backend)
        {
            SectorsPerTrack = 0;
            Tracks = 0;
            DoubleSided = false;
            return;
        }

        ReadOnly = backend.IsReadOnly;
        if (!backend.IsInserted || DriveType == FloppyDriveType.None)
        {
            SectorsPerTrack = EmptyDriveBound;
            Tracks = EmptyDriveBound;
            return;
        }

        var format = FloppyFormats.Pick(SectorsOf(backend), DriveType, _fallback);
        SectorsPerTrack = format.SectorsPerTrack;
        Tracks = format.Tracks;
        DoubleSided = format.Heads > 1;
        MediaRate = format.Rate;
    }

    private static long SectorsOf(BlockBackend backend) => backend.Length / FloppyController.SectorSize;
}
