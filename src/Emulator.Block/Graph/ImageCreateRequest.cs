namespace Emulator.Block.Graph;

/// <summary>A new image: its path, guest size, backing file (qemu-img's <c>-b</c>/<c>-F</c>) and the format's <c>-o</c> options as given.</summary>
public sealed record ImageCreateRequest(string Path, long Size, IReadOnlyDictionary<string, string> Options)
{
    public string? BackingFile { get; init; }

    public string? BackingFormat { get; init; }
}
