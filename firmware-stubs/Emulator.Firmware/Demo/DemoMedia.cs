using System.Text;

namespace Emulator.Firmware.Demo;

/// <summary>
/// The four small disks the demo tour reads: a 1.44 MB floppy, an IDE hard disk, a CD-ROM and a
/// virtio-blk disk. Each starts with a NUL-terminated label in its first sector, followed by a pattern
/// particular to the disk, so the checksum the guest prints tells the disks apart.
/// </summary>
public static class DemoMedia
{
    public const string FloppyLabel = "demo floppy: FDC and ISA DMA";
    public const string HardDiskLabel = "demo hard disk: ATA PIO";
    public const string CdLabel = "demo CD-ROM: ATAPI packets";
    public const string VirtioLabel = "demo virtio-blk disk: virtqueue";

    public static byte[] Floppy() => Build(1_474_560, FloppyLabel, 0x11);

    public static byte[] HardDisk() => Build(4 << 20, HardDiskLabel, 0x22);

    public static byte[] Cd() => Build(600 * 2048, CdLabel, 0x33);

    public static byte[] Virtio() => Build(2 << 20, VirtioLabel, 0x44);

    /// <summary>The checksum the tour prints: the 16-bit sum of the first sector's 256 little-endian words.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> image)
    {
        ushort sum = 0;
        for (var i = 0; i < 512; i += 2)
        {
            sum += (ushort)(image[i] | (image[i + 1] << 8));
        }

        return sum;
    }

    private static byte[] Build(int size, string label, byte seed)
    {
        var image = new byte[size];
        for (var i = 0; i < size; i++)
        {
            image[i] = (byte)((i * 7) + seed + (i >> 9));
        }

        var text = Encoding.ASCII.GetBytes(label);
        text.CopyTo(image, 0);
        image[text.Length] = 0;
        return image;
    }
}
