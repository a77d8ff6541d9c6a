namespace Emulator.Block.Graph;

/// <summary>A new image: its path, guest size, backing file (qemu-img's <c>-b</c>/<c>-F</c>) and the format's <c>-o</c> options as given.</summary>
public sealed record ImageCreateRequest(string Path, long Size, IReadOnlyDictionary<string, string> Options)
{
    /// <summary>The backing file the new image names (as written into it), or null.</summary>
    public string? BackingFile { get; init; }

    /// <summary>The backing file's format, or null to probe it when the image is opened.</summary>
    public string? BackingFormat { get; init; }
}
