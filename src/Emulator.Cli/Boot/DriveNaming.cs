namespace Emulator.Cli.Boot;

/// <summary>Backend names as QEMU gives -drive backends: ide{bus}-{hd|cd}{unit}, floppy{n}, virtio{n}; indices filled in order.</summary>
internal static class DriveNaming
{
    public static IReadOnlyList<(DriveSpec Drive, string Name, int Index)> Assign(IReadOnlyList<DriveSpec> drives)
    {
        var used = new HashSet<(string, int)>();
        var named = new List<(DriveSpec, string, int)>();
        foreach (var drive in drives)
        {
            var index = drive.Index ?? Enumerable.Range(0, 64).First(i => !used.Contains((drive.Interface, i)));
            if (!used.Add((drive.Interface, index)))
            {
                throw new UsageException($"drive {drive.File}: {drive.Interface} index {index} is already used");
            }

            var name = drive.Interface switch
            {
                "ide" => $"ide{index / 2}-{(drive.Media == "cdrom" ? "cd" : "hd")}{index % 2}",
                "floppy" => $"floppy{index}",
                _ => $"virtio{index}",
            };
            named.Add((drive, name, index));
        }

        return named;
    }
}
