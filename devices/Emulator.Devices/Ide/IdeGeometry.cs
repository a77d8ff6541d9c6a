namespace Emulator.Devices.Ide;

/// <summary>
/// A CHS geometry: cylinders, heads (1-16) and sectors per track (1-63) (ATA/ATAPI-6, section 6.2.1).
/// Without an override, a disk gets QEMU's default guess: 16 heads, 63 sectors, cylinders from the
/// size clamped to 2..16383 (the MBR-based guess QEMU also tries is not done).
/// </summary>
public sealed record IdeGeometry(int Cylinders, int Heads, int Sectors)
{
    public const int MaxCylinders = 16383;
    public const int MaxHeads = 16;
    public const int MaxSectors = 63;
    private const int MinCylinders = 2;

    public static IdeGeometry Guess(long totalSectors)
    {
        var cylinders = totalSectors / (MaxHeads * MaxSectors);
        return new IdeGeometry((int)Math.Clamp(cylinders, MinCylinders, MaxCylinders), MaxHeads, MaxSectors);
    }

    /// <summary>Refuses a geometry the registers cannot address.</summary>
    public void Validate()
    {
        if (Cylinders is < 1 or > ushort.MaxValue || Heads is < 1 or > MaxHeads || Sectors is < 1 or > byte.MaxValue)
        {
            throw new ArgumentException($"Invalid IDE geometry {Cylinders}/{Heads}/{Sectors}: cylinders 1-65535, heads 1-16, sectors 1-255.");
        }
    }
}
