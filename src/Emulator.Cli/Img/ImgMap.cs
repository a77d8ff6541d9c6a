using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Cli.Img;

/// <summary>
/// <c>emu img map [-f fmt | --image-opts] [--output=human|json] filename</c>: the allocation of every
/// guest range, following the backing chain for clusters the top image does not allocate. Raw
/// layers report the host file's data and holes (SEEK_DATA/SEEK_HOLE) inside the node's window
/// (<c>--image-opts driver=raw,offset=,size=,file.filename=</c>), as qemu-img does.
/// </summary>
internal static class ImgMap
{
    /// <summary>The longest range asked at once (status answers may be shorter).</summary>
    private const long MaxQuery = 1L << 30;

    public static int Run(string[] args, TextWriter stdout)
    {
        var parsed = ImgArguments.Parse(args, "-f", "--output", "-s", "-l", "--start-offset", "--max-length");
        parsed.AllowOnly("-f", "--output", "-U", "--force-share", "--image-opts");
        if (parsed.Positional.Count != 1)
        {
            throw new ImgUsageException("Expecting one image file name");
        }

        var json = ImgOutput.IsJson(parsed.Get("--output"));
        using var session = new ImgSession();
        var top = parsed.Has("--image-opts")
            ? session.OpenImageOpts(parsed.Positional[0], readOnly: true)
            : session.Open(parsed.Positional[0], parsed.Get("-f"), readOnly: true);
        var entries = Build(top);
        if (json)
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                var offset = e.Offset is { } o ? $", \"offset\": {o}" : string.Empty;
                stdout.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{(i == 0 ? "[" : string.Empty)}{{ \"start\": {e.Start}, \"length\": {e.Length}, \"depth\": {e.Depth}, \"present\": {Bool(e.Present)}, \"zero\": {Bool(e.Zero)}, \"data\": {Bool(e.Data)}{offset}}}{(i == entries.Count - 1 ? "]" : ",")}"));
            }

            if (entries.Count == 0)
            {
                stdout.WriteLine("[]");
            }
        }
        else
        {
            stdout.WriteLine("Offset          Length          Mapped to       File");
            foreach (var e in entries)
            {
                if (e.Data && e.Offset is { } o)
                {
                    stdout.WriteLine($"{Hex(e.Start),-16}{Hex(e.Length),-16}{Hex(o),-16}{e.File}");
                }
            }
        }

        return 0;
    }

    /// <summary>The merged map of <paramref name="top"/> and its backing chain.</summary>
    public static List<ImgMapEntry> Build(BlockDriverState top)
    {
        var entries = new List<ImgMapEntry>();
        for (var offset = 0L; offset < top.Length;)
        {
            var error = BlockStatusQuery.Resolve(top, offset, Math.Min(MaxQuery, top.Length - offset), out var status, out var depth);
            if (error != BlockError.None)
            {
                throw new ImgFailedException($"Could not read the mapping at offset {offset}: {error.Describe()}");
            }

            var entry = new ImgMapEntry(
                offset,
                status.Length,
                depth,
                status.Has(BlockStatusFlags.Allocated),
                status.Has(BlockStatusFlags.Zero),
                status.Has(BlockStatusFlags.Data),
                status.Has(BlockStatusFlags.OffsetValid) ? status.Offset : null,
                status.File);
            if (entries.Count > 0 && entries[^1].Continues(entry))
            {
                entries[^1] = entries[^1] with { Length = entries[^1].Length + entry.Length };
            }
            else
            {
                entries.Add(entry);
            }

            offset += entry.Length;
        }

        return entries;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Hex(long value) => value == 0 ? "0" : $"0x{value:x}";
}
