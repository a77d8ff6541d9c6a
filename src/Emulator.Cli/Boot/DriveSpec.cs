namespace Emulator.Cli.Boot;

/// <summary>One drive of the command line (<c>--hda FILE</c> or <c>--drive file=…,if=…,media=…</c>), as QEMU's -drive spells it.</summary>
internal sealed record DriveSpec
{
    public required string File { get; init; }

    /// <summary>ide, floppy or virtio.</summary>
    public string Interface { get; init; } = "ide";

    /// <summary>disk or cdrom.</summary>
    public string Media { get; init; } = "disk";

    /// <summary>The format, or null to probe.</summary>
    public string? Format { get; init; }

    public bool ReadOnly { get; init; }

    public bool Snapshot { get; init; }

    /// <summary>Position on its interface (0 = primary master / drive A:), or null for the next free one.</summary>
    public int? Index { get; init; }

    /// <summary>Parses the key=value list of <c>--drive</c>; unknown keys and bad values are refused with a message naming them.</summary>
    public static DriveSpec Parse(string text)
    {
        string? file = null;
        var spec = new DriveSpec { File = string.Empty };
        foreach (var part in text.Split(','))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                throw new UsageException($"--drive: '{part}' is not key=value");
            }

            var key = part[..eq];
            var value = part[(eq + 1)..];
            spec = key switch
            {
                "file" => spec with { File = file = value },
                "if" => spec with { Interface = OneOf(key, value, "ide", "floppy", "virtio") },
                "media" => spec with { Media = OneOf(key, value, "disk", "cdrom") },
                "format" => spec with { Format = value },
                "readonly" => spec with { ReadOnly = OnOff(key, value) },
                "snapshot" => spec with { Snapshot = OnOff(key, value) },
                "index" => spec with { Index = int.TryParse(value, out var index) && index is >= 0 and <= 3 ? index : throw new UsageException($"--drive: index must be 0-3, not '{value}'") },
                _ => throw new UsageException($"--drive: unknown key '{key}'"),
            };
        }

        if (file is null)
        {
            throw new UsageException("--drive: file= is required");
        }

        return spec;
    }

    private static string OneOf(string key, string value, params string[] allowed) =>
        allowed.Contains(value) ? value : throw new UsageException($"--drive: {key} must be one of {string.Join(", ", allowed)}, not '{value}'");

    private static bool OnOff(string key, string value) => value switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new UsageException($"--drive: {key} must be on or off, not '{value}'"),
    };
}
