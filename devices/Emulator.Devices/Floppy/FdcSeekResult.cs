namespace Emulator.Devices.Floppy;

/// <summary>The outcome of positioning a drive on a head, track and sector.</summary>
internal enum FdcSeekResult : byte
{
    /// <summary>The head was already on that track.</summary>
    SameTrack,

    /// <summary>The head stepped to another track.</summary>
    TrackChanged,

    /// <summary>Track or head outside the medium, or no medium: nothing there to read.</summary>
    InvalidTrack,

    /// <summary>Sector number past the end of the track.</summary>
    InvalidSector,
}
