using System.Text;

namespace Emulator.Firmware.Demo;

/// <summary>
/// The four small disks the demo tour reads: a 1.44 MB floppy, an IDE hard disk, a CD-ROM and a
/// virtio-blk disk. Each starts with a NUL-terminated label in its first sector, followed by a pattern
/// particular to the disk, so the checksum the guest prints tells the disks apart.
/// </summary>
public static class DemoMedia
{
    /// <summary>The label at the start of <see cref="Floppy"/>.</summary>
    public const string FloppyLabel = "demo floppy: FDC and ISA DMA";
    /// <summary>The label at the start of <see cref="HardDisk"/>.</summary>
    public const string HardDiskLabel = "demo hard disk: ATA PIO";
    /// <summary>The label at the start of <see cref="Cd"/>.</summary>
    public const string CdLabel = "demo CD-ROM: ATAPI packets";
    /// <summary>The label at the start of <see cref="Virtio"/>.</summary>
    public const string VirtioLabel = "demo virtio-blk disk: virtqueue";

    /// <summary>A new 1,474,560-byte floppy image (80 cylinders, 2 heads, 18 sectors) starting with <see cref="FloppyLabel"/>.</summary>
    public static byte[] Floppy() => Build(1_474_560, FloppyLabel, 0x11);

    /// <summary>A new 4 MiB raw hard-disk image starting with <see cref="HardDiskLabel"/>.</summary>
    public static byte[] HardDisk() => Build(4 << 20, HardDiskLabel, 0x22);

    /// <summary>A new CD-ROM image of 600 2048-byte blocks (1,228,800 bytes) starting with <see cref="CdLabel"/>.</summary>
    public static byte[] Cd() => Build(600 * 2048, CdLabel, 0x33);

    /// <summary>A new 2 MiB raw disk image for virtio-blk starting with <see cref="VirtioLabel"/>.</summary>
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
