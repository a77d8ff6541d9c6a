using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>Creates a qcow2 image from qemu-img's <c>-o</c> options (<see cref="Qcow2Creator"/>), then preallocates it through the driver when asked.</summary>
internal sealed class Qcow2ImageCreator : IImageCreator
{
    private const int DefaultClusterSize = 65536;
    private const int DefaultRefcountBits = 16;

    public IReadOnlyCollection<string> OptionNames { get; } =
        ["cluster_size", "compat", "backing_file", "backing_fmt", "preallocation", "lazy_refcounts", "refcount_bits", "compression_type", "extended_l2", "data_file", "data_file_raw"];

    /// <summary>The options of the new image (backing file and format from the request, else from the options).</summary>
    public static Qcow2CreateOptions Parse(ImageCreateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options;
        var compat = options.GetValueOrDefault("compat") ?? "1.1";
        return new Qcow2CreateOptions
        {
            Size = request.Size,
            ClusterSize = options.TryGetValue("cluster_size", out var cluster) ? checked((int)ImageOptionValues.ParseSize(cluster)) : DefaultClusterSize,
            Version = compat switch
            {
                "0.10" or "v2" => 2,
                "1.1" or "v3" => 3,
                _ => throw new BlockOperationException($"Invalid compat version '{compat}'"),
            },
            RefcountBits = options.TryGetValue("refcount_bits", out var bits) ? ParseInt(bits, "refcount_bits") : DefaultRefcountBits,
            BackingFile = request.BackingFile ?? options.GetValueOrDefault("backing_file"),
            BackingFormat = request.BackingFormat ?? options.GetValueOrDefault("backing_fmt"),
            LazyRefcounts = ImageOptionValues.ParseSwitch(options.GetValueOrDefault("lazy_refcounts"), "lazy_refcounts"),
            Preallocation = (options.GetValueOrDefault("preallocation") ?? "off") switch
            {
                "off" => Qcow2Preallocation.Off,
                "metadata" => Qcow2Preallocation.Metadata,
                "full" or "falloc" => Qcow2Preallocation.Full,
                var other => throw new BlockOperationException($"Invalid preallocation mode: '{other}'"),
            },
            DataFile = options.GetValueOrDefault("data_file"),
            DataFileRaw = ImageOptionValues.ParseSwitch(options.GetValueOrDefault("data_file_raw"), "data_file_raw"),
            ExtendedL2 = ImageOptionValues.ParseSwitch(options.GetValueOrDefault("extended_l2"), "extended_l2"),
            CompressionType = (options.GetValueOrDefault("compression_type") ?? "zlib") switch
            {
                "zlib" => Qcow2CompressionType.Zlib,
                "zstd" => Qcow2CompressionType.Zstd,
                var other => throw new BlockOperationException($"Parameter 'compression-type' does not accept value '{other}'"),
            },
        };
    }

    public void Create(ImageCreateRequest request, BlockGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var options = Parse(request);

        // QEMU: a raw data file must be mapped 1:1 from the start, so it gets metadata preallocation.
        if (options.DataFileRaw && options.Preallocation == Qcow2Preallocation.Off)
        {
            options = options with { Preallocation = Qcow2Preallocation.Metadata };
        }

        Qcow2Creator.Create(request.Path, options);
        if (options.Preallocation == Qcow2Preallocation.Off)
        {
            return;
        }

        var node = graph.Open(new Qcow2NodeOptions(new FileNodeOptions(request.Path)) { NoBacking = true });
        try
        {
            var error = Qcow2Creator.Preallocate((Qcow2Driver)node.Driver, options.Preallocation);
            error = error == BlockError.None ? Qcow2Io.Wait(node.FlushAsync()) : error;
            if (error != BlockError.None)
            {
                throw new BlockOperationException($"Could not preallocate '{request.Path}': {error.Describe()}");
            }
        }
        finally
        {
            graph.Unref(node);
        }
    }

    private static int ParseInt(string text, string name) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BlockOperationException($"Parameter '{name}' expects a number");
}
