namespace Emulator.Firmware.Disks;

/// <summary>A diskette format: geometry and the data rate (CCR code) it is recorded at.</summary>
internal sealed record FloppyMedia(DiskGeometry Geometry, byte Rate)
{
    /// <summary>CCR/DSR data-rate codes (82077AA): 500, 300, 250 kbit/s and 1 Mbit/s.</summary>
    public const byte Rate500K = 0;
    public const byte Rate300K = 1;
    public const byte Rate250K = 2;
    public const byte Rate1M = 3;

    public static readonly FloppyMedia F2880 = new(new DiskGeometry(80, 2, 36), Rate1M);
    public static readonly FloppyMedia F1680 = new(new DiskGeometry(80, 2, 21), Rate500K);
    public static readonly FloppyMedia F1440 = new(new DiskGeometry(80, 2, 18), Rate500K);
    public static readonly FloppyMedia F1200 = new(new DiskGeometry(80, 2, 15), Rate500K);
    public static readonly FloppyMedia F720 = new(new DiskGeometry(80, 2, 9), Rate250K);
    public static readonly FloppyMedia F360At300 = new(new DiskGeometry(40, 2, 9), Rate300K);
    public static readonly FloppyMedia F360At250 = new(new DiskGeometry(40, 2, 9), Rate250K);

    private static readonly FloppyMedia[] All = [F1440, F2880, F1680, F1200, F720, F360At300, F360At250];

    /// <summary>CMOS 10h drive types: 1 = 360K, 2 = 1.2M, 3 = 720K, 4 = 1.44M, 5 = 2.88M.</summary>
    public static DiskGeometry DriveGeometry(int cmosType) => cmosType switch
    {
        1 => F360At250.Geometry,
        2 => F1200.Geometry,
        3 => F720.Geometry,
        5 => F2880.Geometry,
        _ => F1440.Geometry,
    };

    /// <summary>The formats to try for a drive type, the drive's own first, larger before smaller at each rate; then every other format.</summary>
    public static IEnumerable<FloppyMedia> Candidates(int cmosType)
    {
        FloppyMedia[] preferred = cmosType switch
        {
            1 => [F360At250],
            2 => [F1200, F360At300],
            3 => [F720],
            5 => [F2880, F1680, F1440, F720, F360At250],
            _ => [F1680, F1440, F720, F360At250],
        };
        return preferred.Concat(All.Except(preferred));
    }
}
