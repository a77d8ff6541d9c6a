namespace Emulator.Firmware.Hardware;

/// <summary>
/// Where RAM ends (from the CMOS sizes, as the memory map reports it) and the firmware's own zone at
/// the top of it: virtqueues for the BIOS's virtio-blk driver. The zone is reserved in the E820 map
/// and left out of the INT 15h sizes, so an operating system never reuses it.
/// </summary>
internal static class FirmwareMemory
{
    public const uint OneMegabyte = 0x100000;
    public const uint SixteenMegabytes = 0x1000000;
    public const uint HighZoneSize = 0x10000;

    /// <summary>The end of RAM below 4 GiB.</summary>
    public static uint RamTop(CmosPorts cmos)
    {
        var extendedKb = (uint)(cmos.Read(CmosPorts.ExtendedMemoryLow) | (cmos.Read(CmosPorts.ExtendedMemoryHigh) << 8));
        var above16 = (uint)(cmos.Read(CmosPorts.MemoryAbove16MLow) | (cmos.Read(CmosPorts.MemoryAbove16MHigh) << 8));
        return above16 > 0 ? SixteenMegabytes + (above16 << 16) : OneMegabyte + (extendedKb << 10);
    }

    public static uint HighZone(CmosPorts cmos) => RamTop(cmos) - HighZoneSize;
}
