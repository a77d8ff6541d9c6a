using Emulator.Block.Graph;

namespace Emulator.Cli.Img;

/// <summary><c>emu img create [-f fmt] [-o options] [-b backing [-F fmt]] [-q] filename [size]</c>: any format whose driver offers an <see cref="IImageCreator"/>.</summary>
internal static class ImgCreate
{
    public static int Run(string[] args, TextWriter stdout)
    {
        var parsed = ImgArguments.Parse(args, "-f", "-o", "-b", "-F");
        parsed.AllowOnly("-f", "-o", "-b", "-F", "-q", "-u");
        if (parsed.Positional.Count is < 1 or > 2)
        {
            throw new ImgUsageException("Expecting image file name and size (create [-f fmt] [-o options] filename [size])");
        }

        var format = parsed.Get("-f") ?? "raw";
        var options = ImgArguments.ParseOptionList(parsed.Get("-o"));
        var backing = parsed.Get("-b") ?? options.GetValueOrDefault("backing_file");
        var backingFormat = parsed.Get("-F") ?? options.GetValueOrDefault("backing_fmt");
        var path = parsed.Positional[0];
        long? size = parsed.Positional.Count == 2 ? ImgSize.Parse(parsed.Positional[1]) : options.TryGetValue("size", out var s) ? ImgSize.Parse(s) : null;
        using var session = new ImgSession();
        size ??= backing is not null ? BackingSize(session, path, backing, backingFormat) : throw new ImgUsageException("Image creation needs a size parameter");
        Create(session, format, new ImageCreateRequest(path, size.Value, options) { BackingFile = backing, BackingFormat = backingFormat });
        if (!parsed.Has("-q"))
        {
            stdout.WriteLine($"Formatting '{path}', fmt={format} size={size}");
        }

        return 0;
    }

    /// <summary>Creates an image of <paramref name="format"/> after checking its options against what the format accepts.</summary>
    public static void Create(ImgSession session, string format, ImageCreateRequest request)
    {
        var drivers = session.Layer.Graph.Drivers;
        var creator = drivers.Find(format)?.Creator
            ?? throw new ImgUsageException($"Unknown file format '{format}' (emu img creates {string.Join(" and ", drivers.Drivers.Where(d => d.Creator is not null).Select(d => d.Name))})");
        foreach (var key in request.Options.Keys)
        {
            if (key != "size" && !creator.OptionNames.Contains(key))
            {
                throw new ImgUsageException($"Invalid parameter '{key}'");
            }
        }

        creator.Create(request, session.Layer.Graph);
    }

    private static long BackingSize(ImgSession session, string path, string backing, string? format)
    {
        var resolved = Path.IsPathRooted(backing) ? backing : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? string.Empty, backing);
        var node = session.Open(resolved, format, readOnly: true);
        var length = node.Length;
        session.Close(node);
        return length;
    }
}
