using System.Globalization;
using System.Text.Json;
using Emulator.Block.Drivers.Qcow2;
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
        while (parsed.Has("--backing-chain") && chain[^1].Backing is { } backing)
        {
            names.Add(BackingPath(names[^1], ((Qcow2Driver)chain[^1].Driver).Header.BackingFile!));
            chain.Add(backing.Node);
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
        var qcow2 = node.Driver as Qcow2Driver;
        writer.WriteStartObject();
        if (qcow2 is not null && qcow2.Snapshots.Count > 0)
        {
            writer.WriteStartArray("snapshots");
            foreach (var snapshot in qcow2.Snapshots)
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

        if (qcow2?.Header.BackingFormat is { } backingFormat)
        {
            writer.WriteString("backing-filename-format", backingFormat);
        }

        writer.WriteNumber("virtual-size", node.Length);
        writer.WriteString("filename", file);
        if (qcow2 is not null)
        {
            writer.WriteNumber("cluster-size", qcow2.ClusterSize);
        }

        writer.WriteString("format", node.DriverName);
        writer.WriteNumber("actual-size", HostFileStat.AllocatedBytes(node.Driver.Filename));
        if (qcow2 is not null)
        {
            WriteFormatSpecific(writer, qcow2);
            if (qcow2.Header.BackingFile is { } backing)
            {
                writer.WriteString("full-backing-filename", BackingPath(file, backing));
                writer.WriteString("backing-filename", backing);
            }
        }

        writer.WriteBoolean("dirty-flag", qcow2 is not null && (qcow2.Header.Incompatible & Qcow2IncompatibleFeatures.Dirty) != 0);
        writer.WriteEndObject();
    }

    private static void WriteFormatSpecific(Utf8JsonWriter writer, Qcow2Driver qcow2)
    {
        var header = qcow2.Header;
        writer.WriteStartObject("format-specific");
        writer.WriteString("type", "qcow2");
        writer.WriteStartObject("data");
        writer.WriteString("compat", header.Version >= 3 ? "1.1" : "0.10");
        writer.WriteString("compression-type", "zlib");
        if (header.Version >= 3)
        {
            writer.WriteBoolean("lazy-refcounts", (header.Compatible & Qcow2CompatibleFeatures.LazyRefcounts) != 0);
        }

        writer.WriteNumber("refcount-bits", header.RefcountBits);
        if (header.Version >= 3)
        {
            writer.WriteBoolean("corrupt", (header.Incompatible & Qcow2IncompatibleFeatures.Corrupt) != 0);
            writer.WriteBoolean("extended-l2", false);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteText(TextWriter output, BlockDriverState node, string file)
    {
        var qcow2 = node.Driver as Qcow2Driver;
        output.WriteLine($"image: {file}");
        output.WriteLine($"file format: {node.DriverName}");
        output.WriteLine($"virtual size: {ImgSize.Format(node.Length)} ({node.Length} bytes)");
        output.WriteLine($"disk size: {ImgSize.Format(HostFileStat.AllocatedBytes(node.Driver.Filename))}");
        if (qcow2 is null)
        {
            return;
        }

        var header = qcow2.Header;
        output.WriteLine($"cluster_size: {qcow2.ClusterSize}");
        if (header.BackingFile is { } backing)
        {
            var full = BackingPath(file, backing);
            output.WriteLine(full == backing ? $"backing file: {backing}" : $"backing file: {backing} (actual path: {full})");
            if (header.BackingFormat is { } format)
            {
                output.WriteLine($"backing file format: {format}");
            }
        }

        WriteSnapshotList(output, qcow2.Snapshots);

        output.WriteLine("Format specific information:");
        output.WriteLine($"    compat: {(header.Version >= 3 ? "1.1" : "0.10")}");
        output.WriteLine("    compression type: zlib");
        if (header.Version >= 3)
        {
            output.WriteLine($"    lazy refcounts: {((header.Compatible & Qcow2CompatibleFeatures.LazyRefcounts) != 0 ? "true" : "false")}");
        }

        output.WriteLine($"    refcount bits: {header.RefcountBits}");
        if (header.Version >= 3)
        {
            output.WriteLine($"    corrupt: {((header.Incompatible & Qcow2IncompatibleFeatures.Corrupt) != 0 ? "true" : "false")}");
            output.WriteLine("    extended l2: false");
        }
    }

    /// <summary>The snapshot table as <c>qemu-img info</c> and <c>qemu-img snapshot -l</c> print it (nothing when there are none).</summary>
    public static void WriteSnapshotList(TextWriter output, IReadOnlyList<Qcow2Snapshot> snapshots)
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
