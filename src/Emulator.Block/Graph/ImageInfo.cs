namespace Emulator.Block.Graph;

/// <summary>
/// What <c>img info</c> shows beyond size and format: the allocation unit, the backing file as the
/// image names it, the dirty flag and the format-specific fields in output order. Each
/// format-specific value is a <see cref="string"/>, <see cref="bool"/> or <see cref="long"/>; its key is
/// the JSON name (the text form replaces '-' with ' ').
/// </summary>
public sealed record ImageInfo
{
    public int? ClusterSize { get; init; }

    public string? BackingFile { get; init; }

    public string? BackingFormat { get; init; }

    public bool Dirty { get; init; }

    public IReadOnlyList<KeyValuePair<string, object>> FormatSpecific { get; init; } = [];
}
