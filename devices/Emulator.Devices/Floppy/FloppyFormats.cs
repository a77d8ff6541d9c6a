namespace Emulator.Devices.Floppy;

/// <summary>
/// The medium geometries QEMU recognises from an image's size (its <c>fd_formats</c> table, same
/// entries, same order: order decides ties) and the rule that picks one for a drive: (1) same drive
/// type and size, (2) same physical diameter and size, (3) the first entry of the drive's type. An
/// <see cref="FloppyDriveType.Auto"/> drive takes the first entry of any type whose size matches,
/// else the first entry of the fallback type.
/// </summary>
internal static class FloppyFormats
{
    private const FloppyDriveType D144 = FloppyDriveType.Drive144;
    private const FloppyDriveType D288 = FloppyDriveType.Drive288;
    private const FloppyDriveType D120 = FloppyDriveType.Drive120;

    private static readonly FloppyFormat[] Table =
    [
        // 1.44 MB 3.5" media and their extended (DMF and friends) layouts.
        new(D144, 18, 80, 2, FloppyDataRate.Rate500K),
        new(D144, 20, 80, 2, FloppyDataRate.Rate500K),
        new(D144, 21, 80, 2, FloppyDataRate.Rate500K),
        new(D144, 21, 82, 2, FloppyDataRate.Rate500K),
        new(D144, 21, 83, 2, FloppyDataRate.Rate500K),
        new(D144, 22, 80, 2, FloppyDataRate.Rate500K),
        new(D144, 23, 80, 2, FloppyDataRate.Rate500K),
        new(D144, 24, 80, 2, FloppyDataRate.Rate500K),

        // 2.88 MB 3.5".
        new(D288, 36, 80, 2, FloppyDataRate.Rate1M),
        new(D288, 39, 80, 2, FloppyDataRate.Rate1M),
        new(D288, 40, 80, 2, FloppyDataRate.Rate1M),
        new(D288, 44, 80, 2, FloppyDataRate.Rate1M),
        new(D288, 48, 80, 2, FloppyDataRate.Rate1M),

        // 720 KB 3.5".
        new(D144, 9, 80, 2, FloppyDataRate.Rate250K),
        new(D144, 10, 80, 2, FloppyDataRate.Rate250K),
        new(D144, 10, 82, 2, FloppyDataRate.Rate250K),
        new(D144, 10, 83, 2, FloppyDataRate.Rate250K),
        new(D144, 13, 80, 2, FloppyDataRate.Rate250K),
        new(D144, 14, 80, 2, FloppyDataRate.Rate250K),

        // 1.2 MB 5.25".
        new(D120, 15, 80, 2, FloppyDataRate.Rate500K),
        new(D120, 18, 80, 2, FloppyDataRate.Rate500K),
        new(D120, 18, 82, 2, FloppyDataRate.Rate500K),
        new(D120, 18, 83, 2, FloppyDataRate.Rate500K),
        new(D120, 20, 80, 2, FloppyDataRate.Rate500K),

        // 720 KB 5.25".
        new(D120, 9, 80, 2, FloppyDataRate.Rate250K),
        new(D120, 11, 80, 2, FloppyDataRate.Rate250K),

        // 360 KB 5.25".
        new(D120, 9, 40, 2, FloppyDataRate.Rate300K),
        new(D120, 9, 40, 1, FloppyDataRate.Rate300K),
        new(D120, 10, 41, 2, FloppyDataRate.Rate300K),
        new(D120, 10, 42, 2, FloppyDataRate.Rate300K),

        // 320 KB 5.25".
        new(D120, 8, 40, 2, FloppyDataRate.Rate250K),
        new(D120, 8, 40, 1, FloppyDataRate.Rate250K),

        // Single-sided 360 KB on a 3.5" drive; after the 5.25" rows so 360 KB images prefer 5.25".
        new(D144, 9, 80, 1, FloppyDataRate.Rate250K),
    ];

    public static IReadOnlyList<FloppyFormat> All => Table;

    /// <summary>The geometry for a medium of <paramref name="totalSectors"/> in a drive of type <paramref name="drive"/>.</summary>
    /// <param name="totalSectors">The medium's size in 512-byte sectors.</param>
    /// <param name="drive">The configured drive type; <see cref="FloppyDriveType.Auto"/> accepts any family.</param>
    /// <param name="fallback">The type an auto drive falls back to when no size matches.</param>
    public static FloppyFormat Pick(long totalSectors, FloppyDriveType drive, FloppyDriveType fallback)
    {
        var auto = drive == FloppyDriveType.Auto;
        int sameDiameter = -1, sameType = -1;
        for (var i = 0; i < Table.Length; i++)
        {
            var format = Table[i];
            if (format.TotalSectors == totalSectors)
            {
                if (auto || format.Drive == drive)
                {
                    return format;
                }

                // A size match of the other diameter is suspicious (QEMU only logs it): the configured type wins.
                if (sameDiameter < 0 && DiameterOf(format.Drive) == DiameterOf(drive))
                {
                    sameDiameter = i;
                }
            }
            else if (sameType < 0 && (format.Drive == drive || (auto && format.Drive == fallback)))
            {
                sameType = i;
            }
        }

        return Table[sameDiameter >= 0 ? sameDiameter : Math.Max(sameType, 0)];
    }

    /// <summary>3.5" or 5.25"; 0 for types with no physical size.</summary>
    private static int DiameterOf(FloppyDriveType type) => type switch
    {
        FloppyDriveType.Drive120 => 525,
        FloppyDriveType.Drive144 or FloppyDriveType.Drive288 => 350,
        _ => 0,
    };
}
