using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Qcow2;

namespace Emulator.Cli.Img;

/// <summary><c>emu img create [-f raw|qcow2] [-o options] [-b backing [-F fmt]] [-q] filename [size]</c>.</summary>
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
        size ??= backing is not null ? BackingSize(path, backing, backingFormat) : throw new ImgUsageException("Image creation needs a size parameter");

        switch (format)
        {
            case "raw":
                CheckOptions(options, "size", "preallocation");
                CreateRaw(path, size.Value, options.GetValueOrDefault("preallocation") ?? "off");
                break;
            case "qcow2":
                CheckOptions(options, "size", "cluster_size", "compat", "backing_file", "backing_fmt", "preallocation", "lazy_refcounts", "refcount_bits");
                CreateQcow2(path, Qcow2Options(options, size.Value, backing, backingFormat));
                break;
            default:
                throw new ImgUsageException($"Unknown file format '{format}' (emu img creates raw and qcow2)");
        }

        if (!parsed.Has("-q"))
        {
            stdout.WriteLine($"Formatting '{path}', fmt={format} size={size}");
        }

        return 0;
    }

    public static Qcow2CreateOptions Qcow2Options(Dictionary<string, string> options, long size, string? backing, string? backingFormat)
    {
        var compat = options.GetValueOrDefault("compat") ?? "1.1";
        return new Qcow2CreateOptions
        {
            Size = size,
            ClusterSize = options.TryGetValue("cluster_size", out var cluster) ? checked((int)ImgSize.Parse(cluster)) : 65536,
            Version = compat switch
            {
                "0.10" or "v2" => 2,
                "1.1" or "v3" => 3,
                _ => throw new ImgUsageException($"Invalid compat version '{compat}'"),
            },
            RefcountBits = options.TryGetValue("refcount_bits", out var bits) ? int.Parse(bits, CultureInfo.InvariantCulture) : 16,
            BackingFile = backing,
            BackingFormat = backingFormat,
            LazyRefcounts = OnOff(options.GetValueOrDefault("lazy_refcounts"), "lazy_refcounts"),
            Preallocation = (options.GetValueOrDefault("preallocation") ?? "off") switch
            {
                "off" => Qcow2Preallocation.Off,
                "metadata" => Qcow2Preallocation.Metadata,
                "full" or "falloc" => Qcow2Preallocation.Full,
                var other => throw new ImgUsageException($"Invalid preallocation mode: '{other}'"),
            },
        };
    }

    public static void CreateQcow2(string path, Qcow2CreateOptions options)
    {
        Qcow2Creator.Create(path, options);
        if (options.Preallocation == Qcow2Preallocation.Off)
        {
            return;
        }

        using var session = new ImgSession();
        var node = session.Open(path, "qcow2", readOnly: false);
        var error = Qcow2Creator.Preallocate((Qcow2Driver)node.Driver, options.Preallocation);
        if (error != BlockError.None)
        {
            throw new ImgFailedException($"Could not preallocate '{path}': {error.Describe()}");
        }
    }

    public static void CreateRaw(string path, long size, string preallocation)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
            if (preallocation == "full")
            {
                var zeroes = new byte[1 << 20];
                for (var done = 0L; done < size; done += zeroes.Length)
                {
                    stream.Write(zeroes, 0, (int)Math.Min(zeroes.Length, size - done));
                }
            }
            else if (preallocation != "off")
            {
                throw new ImgUsageException($"Invalid preallocation mode: '{preallocation}'");
            }

            stream.SetLength(size);
        }
        catch (IOException e)
        {
            throw new ImgFailedException($"Could not create '{path}': {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImgFailedException($"Could not create '{path}': {e.Message}");
        }
    }

    private static bool OnOff(string? value, string name) => value switch
    {
        null or "off" or "false" => false,
        "on" or "true" => true,
        _ => throw new ImgUsageException($"Parameter '{name}' expects 'on' or 'off'"),
    };

    private static void CheckOptions(Dictionary<string, string> options, params string[] known)
    {
        foreach (var key in options.Keys)
        {
            if (!known.Contains(key))
            {
                throw new ImgUsageException($"Invalid parameter '{key}'");
            }
        }
    }

    private static long BackingSize(string path, string backing, string? format)
    {
        using var session = new ImgSession();
        var resolved = Path.IsPathRooted(backing) ? backing : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? string.Empty, backing);
        return session.Open(resolved, format, readOnly: true).Length;
    }
}
