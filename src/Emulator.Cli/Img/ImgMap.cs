using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Drivers.Raw;
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
        var step = top.Driver is Qcow2Driver q ? q.ClusterSize : 1L << 30;
        for (var offset = 0L; offset < top.Length;)
        {
            var length = Math.Min(step - (offset % step), top.Length - offset);
            var entry = Describe(top, offset, length, 0);
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

    private static ImgMapEntry Describe(BlockDriverState node, long offset, long length, int depth)
    {
        var file = node.Driver.Filename;
        if (node.Driver is not Qcow2Driver qcow2)
        {
            var window = node.Driver is RawDriver raw ? raw.Offset : 0;
            var protocol = node.Driver is RawDriver ? node.File!.Node : node;
            if (protocol.Driver is not FileDriver)
            {
                // A remote or virtual protocol (nbd): ask the node itself what it holds.
                var status = ImgSession.Wait(protocol.BlockStatusAsync(window + offset, length));
                if (status.Error != BlockError.None)
                {
                    throw new ImgFailedException($"Could not read the block status at offset {offset}: {status.Error.Describe()}");
                }

                var stored = (status.Flags & BlockStatusFlags.Data) != 0;
                return new ImgMapEntry(offset, Math.Max(1, status.Length), depth, true, (status.Flags & BlockStatusFlags.Zero) != 0, stored, window + offset, file);
            }

            using var extents = new HostFileExtents(file);
            var (data, run) = extents.At(window + offset, length);
            return new ImgMapEntry(offset, run, depth, true, !data, data, window + offset, file);
        }

        var error = qcow2.GetMapping(offset, out var mapping);
        if (error != BlockError.None)
        {
            throw new ImgFailedException($"Could not read the mapping at offset {offset}: {error.Describe()}");
        }

        var inCluster = offset & (qcow2.ClusterSize - 1);
        return mapping.Kind switch
        {
            Qcow2ClusterKind.Normal => new ImgMapEntry(offset, length, depth, true, false, true, mapping.HostOffset + inCluster, file),
            Qcow2ClusterKind.Compressed => new ImgMapEntry(offset, length, depth, true, false, true, null, file),
            Qcow2ClusterKind.Zero => new ImgMapEntry(offset, length, depth, true, true, false, mapping.HostOffset != 0 ? mapping.HostOffset + inCluster : null, file),
            _ when qcow2.BackingNode is { } backing && offset < backing.Length =>
                Describe(backing, offset, Math.Min(length, backing.Length - offset), depth + 1),
            _ => new ImgMapEntry(offset, length, depth, false, true, false, null, file),
        };
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Hex(long value) => value == 0 ? "0" : $"0x{value:x}";
}
