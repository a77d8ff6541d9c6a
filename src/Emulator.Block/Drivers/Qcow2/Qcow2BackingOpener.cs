using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Opens the backing file a qcow2 header names: the path relative to the image's own folder (or a
/// protocol name such as <c>nbd://…</c>, opened through its protocol driver as QEMU does), read-only,
/// in the format backing_fmt gives (probed from its first bytes when absent). Refuses a chain that
/// comes back to an image already in it, and chains deeper than <see cref="MaxDepth"/> (each level
/// holds a file descriptor).
/// </summary>
internal static class Qcow2BackingOpener
{
    public const int MaxDepth = 256;

    private const int ProbeLength = 4096;

    public static string Resolve(string imagePath, string backing) =>
        Path.IsPathRooted(backing) ? backing : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(imagePath)) ?? string.Empty, backing);

    public static string Identity(string path)
    {
        var full = Path.GetFullPath(path);
        var target = System.IO.File.ResolveLinkTarget(full, returnFinalTarget: true);
        return target?.FullName ?? full;
    }

    public static BdrvChild Open(BlockDriverState node, BlockGraph graph, Qcow2NodeOptions options, string imagePath, string backing, string? format)
    {
        var protocol = graph.Drivers.ParseProtocolFilename(backing, readOnly: true);
        var path = protocol is null ? Resolve(imagePath, backing) : backing;
        var chain = new List<string>(options.ChainAbove) { Identity(imagePath) };
        if (chain.Count > MaxDepth)
        {
            throw new BlockOperationException($"Backing chain of '{imagePath}' is deeper than {MaxDepth} images");
        }

        if (System.IO.File.Exists(path) && chain.Contains(Identity(path)))
        {
            throw new BlockOperationException($"Backing file chain loops: '{path}' is its own backing file (through {string.Join(" -> ", chain)})");
        }

        var file = graph.Open(protocol ?? new FileNodeOptions(path) { ReadOnly = true });
        try
        {
            var factory = format is null ? Probe(graph, file) : graph.Drivers.Find(format)
                ?? throw new BlockOperationException($"Unknown backing file format '{format}' of '{imagePath}'");
            if (factory.Kind != BlockDriverKind.Format)
            {
                throw new BlockOperationException($"Backing file format '{format}' of '{imagePath}' is not an image format");
            }

            var child = BlockChildOptions.Ref(file.NodeName);
            BlockNodeOptions formatOptions = factory.Name == "qcow2"
                ? new Qcow2NodeOptions(child) { ReadOnly = true, ChainAbove = chain }
                : factory.CreateFormatOptions(child, null, readOnly: true);
            return graph.AttachChild(node, BlockChildOptions.Of(formatOptions), "backing");
        }
        finally
        {
            graph.Unref(file);
        }
    }

    private static IBlockDriverFactory Probe(BlockGraph graph, BlockDriverState file)
    {
        var buffer = new byte[ProbeLength];
        var length = (int)Math.Min(ProbeLength, file.Length);
        if (Qcow2Io.Wait(file.ReadAsync(0, buffer)) != BlockError.None)
        {
            throw new BlockOperationException($"Could not read backing file '{file.Driver.Filename}' to determine its format");
        }

        return graph.Drivers.ProbeFormat(buffer.AsSpan(0, length));
    }
}
