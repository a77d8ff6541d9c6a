namespace Emulator.Cli.Tests;

/// <summary>
/// The qcow2 disk of the exit-path tests: made by qemu-img from a raw image (so cluster 0 holds the
/// boot sector and the written sector lands in an unallocated cluster: its L2 entry is new metadata),
/// and judged by qemu-img check and qemu-io afterwards, never by our own driver.
/// </summary>
internal static class ExitImage
{
    public const int Sector = 512;

    /// <summary>The sector the guest writes: 100 KiB in, inside the second 64 KiB cluster.</summary>
    public const int WrittenLba = 200;
    public const byte Fill = 0xC3;
    private const int RawBytes = 4 << 20;

    public static string Create(string dir, byte[] bootSector)
    {
        var raw = Path.Combine(dir, "disk.raw");
        var image = new byte[RawBytes];
        bootSector.CopyTo(image, 0);
        File.WriteAllBytes(raw, image);
        var qcow2 = Path.Combine(dir, "disk.qcow2");
        QemuTools.Img("convert", "-f", "raw", "-O", "qcow2", raw, qcow2);
        File.Delete(raw);
        return qcow2;
    }

    /// <summary>qemu-img check's exit status (0: clean; 2: corruption; 3: leaked clusters) and its report.</summary>
    public static (int Status, string Report) Check(string qcow2) => QemuTools.ImgStatus("check", "-f", "qcow2", qcow2);

    /// <summary>The written sector as qemu-img sees it (the image converted to raw by qemu-img).</summary>
    public static byte[] WrittenSector(string qcow2)
    {
        var raw = qcow2 + ".raw";
        QemuTools.Img("convert", "-f", "qcow2", "-O", "raw", qcow2, raw);
        using var file = File.OpenRead(raw);
        var sector = new byte[Sector];
        file.Position = WrittenLba * Sector;
        file.ReadExactly(sector);
        return sector;
    }
}
