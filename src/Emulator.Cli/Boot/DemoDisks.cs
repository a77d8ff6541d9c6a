using Emulator.Firmware.Demo;

namespace Emulator.Cli.Boot;

/// <summary>
/// The demo tour's disks (<see cref="DemoMedia"/>) written to a temporary folder for the run — a floppy,
/// an IDE hard disk, a CD-ROM and a virtio-blk disk, all read-only — and removed afterwards.
/// </summary>
internal sealed class DemoDisks : IDisposable
{
    private readonly string _folder;

    private DemoDisks(string folder, List<DriveSpec> drives)
    {
        _folder = folder;
        Drives = drives;
    }

    public List<DriveSpec> Drives { get; }

    public static DemoDisks Create()
    {
        var folder = Directory.CreateTempSubdirectory("emu-demo-").FullName;
        string Write(string name, byte[] image)
        {
            var path = Path.Combine(folder, name);
            File.WriteAllBytes(path, image);
            return path;
        }

        List<DriveSpec> drives =
        [
            new() { File = Write("floppy.img", DemoMedia.Floppy()), Interface = "floppy", Format = "raw", ReadOnly = true },
            new() { File = Write("disk.img", DemoMedia.HardDisk()), Interface = "ide", Format = "raw", ReadOnly = true, Index = 0 },
            new() { File = Write("cd.iso", DemoMedia.Cd()), Interface = "ide", Media = "cdrom", Format = "raw", Index = 2 },
            new() { File = Write("virtio.img", DemoMedia.Virtio()), Interface = "virtio", Format = "raw", ReadOnly = true },
        ];
        return new DemoDisks(folder, drives);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing the run for.
        }
    }
}
