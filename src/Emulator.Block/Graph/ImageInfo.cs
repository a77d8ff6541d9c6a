namespace Emulator.Block.Graph;

/// <summary>
/// What <c>img info</c> shows beyond size and format: the allocation unit, the backing file as the
/// image names it, the dirty flag and the format-specific fields in output order. Each
/// format-specific value is a <see cref="string"/>, <see cref="bool"/> or <see cref="long"/>; its key is
/// the JSON name (the text form replaces '-' with ' ').
/// </summary>
public sealed record ImageInfo
{
    /// <summary>The allocation unit in bytes; null for formats without one (raw).</summary>
    public int? ClusterSize { get; init; }

    /// <summary>The backing file name exactly as stored in the image, or null.</summary>
    public string? BackingFile { get; init; }

    /// <summary>The backing file format stored in the image, or null.</summary>
    public string? BackingFormat { get; init; }

    /// <summary>True when the image was not closed cleanly (qcow2 lazy refcounts): its refcounts need a check.</summary>
    public bool Dirty { get; init; }

    /// <summary>The format's own fields (qcow2: compat, lazy refcounts, refcount bits …), in output order.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> FormatSpecific { get; init; } = [];
}
