namespace Emulator.Cli.Img;

/// <summary>One run of <c>img map</c>: where a guest range comes from (qemu-img map's fields).</summary>
internal sealed record ImgMapEntry(long Start, long Length, int Depth, bool Present, bool Zero, bool Data, long? Offset, string File)
{
    /// <summary>True when <paramref name="next"/> continues this run (same source, contiguous host offsets).</summary>
    public bool Continues(ImgMapEntry next) =>
        next.Start == Start + Length
        && next.Depth == Depth && next.Present == Present && next.Zero == Zero && next.Data == Data
        && next.File == File
        && (Offset is null ? next.Offset is null : next.Offset == Offset + Length);
}
