using System.Globalization;
using System.Text.Json;
using Emulator.Block.Graph;

namespace Emulator.Cli.Img;

/// <summary><c>emu img info [-f fmt] [--output=human|json] [--backing-chain] filename</c>, with qemu-img's text and JSON field names.</summary>
internal static class ImgInfo
{
    public static int Run(string[] args, TextWriter stdout)
    {
        var parsed = ImgArguments.Parse(args, "-f", "--output");
        parsed.AllowOnly("-f", "--output", "--backing-chain", "-U", "--force-share");
        if (parsed.Positional.Count != 1)
        {
            throw new ImgUsageException("Expecting one image file name");
        }

        var json = ImgOutput.IsJson(parsed.Get("--output"));
        using var session = new ImgSession();
        var top = session.Open(parsed.Positional[0], parsed.Get("-f"), readOnly: true, noBacking: !parsed.Has("--backing-chain"));
        var chain = new List<BlockDriverState> { top };
        var names = new List<string> { parsed.Positional[0] };
        while (parsed.Has("--backing-chain") && chain[^1].BackingNode is { } backing)
        {
            names.Add(BackingPath(names[^1], chain[^1].ImageInfo!.Info.BackingFile!));
            chain.Add(backing);
        }

        if (json)
        {
            ImgOutput.Json(stdout, writer =>
            {
                var array = parsed.Has("--backing-chain");
                if (array)
                {
                    writer.WriteStartArray();
                }

                for (var i = 0; i < chain.Count; i++)
                {
                    WriteJson(writer, chain[i], names[i]);
                }

                if (array)
                {
                    writer.WriteEndArray();
                }
            });
        }
        else
        {
            for (var i = 0; i < chain.Count; i++)
            {
                if (i > 0)
                {
                    stdout.WriteLine();
                }

                WriteText(stdout, chain[i], names[i]);
            }
        }

        return 0;
    }

    /// <summary>QEMU's path_combine: a relative backing name is taken relative to the folder of the image as it was named.</summary>
    private static string BackingPath(string image, string backing) =>
        Path.IsPathRooted(backing) ? backing : Path.Combine(Path.GetDirectoryName(image) ?? string.Empty, backing);

    private static void WriteJson(Utf8JsonWriter writer, BlockDriverState node, string file)
    {
        var info = node.ImageInfo?.Info;
        var snapshots = node.SnapshotTable?.Snapshots ?? [];
        writer.WriteStartObject();
        if (snapshots.Count > 0)
        {
            writer.WriteStartArray("snapshots");
            foreach (var snapshot in snapshots)
            {
                writer.WriteStartObject();
                if (snapshot.Icount is { } icount)
                {
                    writer.WriteNumber("icount", icount);
                }

                writer.WriteNumber("vm-clock-nsec", snapshot.VmClockNanoseconds % 1_000_000_000);
                writer.WriteString("name", snapshot.Name);
                writer.WriteNumber("date-sec", snapshot.DateSeconds);
                writer.WriteNumber("date-nsec", snapshot.DateNanoseconds);
                writer.WriteNumber("vm-clock-sec", snapshot.VmClockNanoseconds / 1_000_000_000);
                writer.WriteString("id", snapshot.Id);
                writer.WriteNumber("vm-state-size", snapshot.VmStateSize);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (info?.BackingFormat is { } backingFormat)
        {
            writer.WriteString("backing-filename-format", backingFormat);
        }

        writer.WriteNumber("virtual-size", node.Length);
        writer.WriteString("filename", file);
        if (info?.ClusterSize is { } clusterSize)
        {
            writer.WriteNumber("cluster-size", clusterSize);
        }

        writer.WriteString("format", node.DriverName);
        writer.WriteNumber("actual-size", HostFileStat.AllocatedBytes(node.Filename));
        if (info is not null)
        {
            WriteFormatSpecific(writer, node.DriverName, info);
            if (info.BackingFile is { } backing)
            {
                writer.WriteString("full-backing-filename", BackingPath(file, backing));
                writer.WriteString("backing-filename", backing);
            }
        }

        writer.WriteBoolean("dirty-flag", info?.Dirty ?? false);
        writer.WriteEndObject();
    }

    private static void WriteFormatSpecific(Utf8JsonWriter writer, string format, ImageInfo info)
    {
        writer.WriteStartObject("format-specific");
        writer.WriteString("type", format);
        writer.WriteStartObject("data");
        foreach (var (key, value) in info.FormatSpecific)
        {
            switch (value)
            {
                case bool flag:
                    writer.WriteBoolean(key, flag);
                    break;
                case long number:
                    writer.WriteNumber(key, number);
                    break;
                default:
                    writer.WriteString(key, value.ToString());
                    break;
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteText(TextWriter output, BlockDriverState node, string file)
    {
        output.WriteLine($"image: {file}");
        output.WriteLine($"file format: {node.DriverName}");
        output.WriteLine($"virtual size: {ImgSize.Format(node.Length)} ({node.Length} bytes)");
        output.WriteLine($"disk size: {ImgSize.Format(HostFileStat.AllocatedBytes(node.Filename))}");
        if (node.ImageInfo is not { Info: var info })
        {
            return;
        }

        if (info.ClusterSize is { } clusterSize)
        {
            output.WriteLine($"cluster_size: {clusterSize}");
        }

        if (info.BackingFile is { } backing)
        {
            var full = BackingPath(file, backing);
            output.WriteLine(full == backing ? $"backing file: {backing}" : $"backing file: {backing} (actual path: {full})");
            if (info.BackingFormat is { } format)
            {
                output.WriteLine($"backing file format: {format}");
            }
        }

        WriteSnapshotList(output, node.SnapshotTable?.Snapshots ?? []);
        if (info.FormatSpecific.Count == 0)
        {
            return;
        }

        output.WriteLine("Format specific information:");
        foreach (var (key, value) in info.FormatSpecific)
        {
            var text = value switch
            {
                bool flag => flag ? "true" : "false",
                IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
            output.WriteLine($"    {key.Replace('-', ' ')}: {text}");
        }
    }

    /// <summary>The snapshot table as <c>qemu-img info</c> and <c>qemu-img snapshot -l</c> print it (nothing when there are none).</summary>
    public static void WriteSnapshotList(TextWriter output, IReadOnlyList<ImageSnapshot> snapshots)
    {
        if (snapshots.Count > 0)
        {
            output.WriteLine("Snapshot list:");
            output.WriteLine("ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT");
            foreach (var s in snapshots)
            {
                var date = DateTimeOffset.FromUnixTimeSeconds(s.DateSeconds).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                var clock = TimeSpan.FromTicks((long)(s.VmClockNanoseconds / 100));
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{s.Id,-9} {s.Name,-17} {ImgSize.Format((long)s.VmStateSize),7} {date} {(int)clock.TotalHours:00}:{clock.Minutes:00}:{clock.Seconds:00}.{clock.Milliseconds:000}{(s.Icount is { } icount ? $" {icount,10}" : string.Empty)}"));
            }
        }
    }
}
