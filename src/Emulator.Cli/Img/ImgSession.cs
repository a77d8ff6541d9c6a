using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Graph;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Cli.Img;

/// <summary>
/// A block layer for one <c>emu img</c> run, built through DI as the emulator builds it. Like
/// qemu-img, the tool opens file → format nodes itself (it has no guest device) and asks them for
/// their format capabilities (info, check, snapshots, block status); like qemu-img's blk_* calls, it
/// reads and writes them through an anonymous <see cref="BlockBackend"/> over the node
/// (<see cref="Io"/>), whose synchronous API checks range and read-only before the driver sees a
/// request. Everything is closed at the end.
/// </summary>
internal sealed class ImgSession : IDisposable
{
    private const int ProbeLength = 4096;

    private readonly ServiceProvider _services;
    private readonly List<BlockDriverState> _open = [];
    private readonly Dictionary<BlockDriverState, BlockBackend> _backends = [];

    public ImgSession()
    {
        _services = new ServiceCollection().AddBlockLayer(ioThreads: 2).AddStandardBlockDrivers().BuildServiceProvider();
        Layer = _services.GetRequiredService<BlockLayer>();
    }

    public BlockLayer Layer { get; }

    public static BlockStatus Wait(ValueTask<BlockStatus> operation) =>
        operation.IsCompleted ? operation.Result : operation.AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Opens an image as file → format node (the format probed when <paramref name="format"/> is null).
    /// <paramref name="noBacking"/> leaves a qcow2 image's backing file closed (as qemu-img info does);
    /// <paramref name="discardUnmap"/> lets discards punch holes in a host file (discard=unmap);
    /// <paramref name="noFlush"/> never syncs a host file (cache.no-flush).
    /// </summary>
    public BlockDriverState Open(string path, string? format, bool readOnly, FileCacheMode cache = FileCacheMode.Writeback, bool noBacking = false, bool discardUnmap = false, bool noFlush = false)
    {
        var graph = Layer.Graph;
        var protocol = graph.Drivers.ParseProtocolFilename(path, readOnly);
        if (protocol is null && !System.IO.File.Exists(path))
        {
            throw new BlockOperationException($"Could not open '{path}': No such file or directory");
        }

        var file = graph.Open(protocol ?? new FileNodeOptions(path) { ReadOnly = readOnly, Cache = cache, DiscardUnmap = discardUnmap, NoFlush = noFlush });
        try
        {
            var factory = format is null ? Probe(file) : graph.Drivers.Find(format) ?? throw new ImgUsageException($"Unknown file format '{format}'");
            BlockDriverState node;
            if (factory.Kind == BlockDriverKind.Protocol)
            {
                graph.Ref(file);
                node = file;
            }
            else
            {
                var child = BlockChildOptions.Ref(file.NodeName);
                node = graph.Open(noBacking && factory.Name == "qcow2"
                    ? new Qcow2NodeOptions(child) { ReadOnly = readOnly, NoBacking = true }
                    : factory.CreateFormatOptions(child, null, readOnly));
            }

            _open.Add(node);
            return node;
        }
        finally
        {
            graph.Unref(file);
        }
    }

    /// <summary>
    /// Opens an image described by qemu-img's <c>--image-opts</c> string: <c>driver=raw|qcow2</c>,
    /// <c>file.filename=</c> (with an optional <c>file.driver=file</c>) and, for raw, the window
    /// <c>offset=</c> and <c>size=</c>.
    /// </summary>
    public BlockDriverState OpenImageOpts(string spec, bool readOnly)
    {
        var options = ImgArguments.ParseOptionList(spec);
        var driver = options.GetValueOrDefault("driver") ?? throw new ImgUsageException("--image-opts needs driver=");
        var path = options.GetValueOrDefault("file.filename") ?? throw new ImgUsageException("--image-opts needs file.filename=");
        foreach (var key in options.Keys)
        {
            if (key is not ("driver" or "file.filename" or "file.driver" or "offset" or "size") || (key is "offset" or "size" && driver != "raw"))
            {
                throw new ImgUsageException($"Invalid parameter '{key}'");
            }
        }

        if (options.GetValueOrDefault("file.driver") is { } protocol && protocol != "file")
        {
            throw new ImgUsageException($"Unknown protocol driver '{protocol}'");
        }

        if (driver != "raw")
        {
            return Open(path, driver, readOnly);
        }

        if (!System.IO.File.Exists(path))
        {
            throw new BlockOperationException($"Could not open '{path}': No such file or directory");
        }

        var node = Layer.Graph.Open(new RawNodeOptions(new FileNodeOptions(path) { ReadOnly = readOnly })
        {
            ReadOnly = readOnly,
            Offset = options.TryGetValue("offset", out var offset) ? ImgSize.Parse(offset) : 0,
            Size = options.TryGetValue("size", out var size) ? ImgSize.Parse(size) : null,
        });
        _open.Add(node);
        return node;
    }

    /// <summary>
    /// The backend that does <paramref name="node"/>'s I/O (one per node, made on first use, closed with the node);
    /// <paramref name="writeCache"/> off (writethrough) makes its every write FUA, and counts only on first use.
    /// </summary>
    public BlockBackend Io(BlockDriverState node, bool writeCache = true)
    {
        if (!_backends.TryGetValue(node, out var backend))
        {
            backend = OpenBackend(node, writeCache);
            _backends.Add(node, backend);
        }

        return backend;
    }

    public void Close(BlockDriverState node)
    {
        if (_backends.Remove(node, out var backend))
        {
            backend.Unref();
        }

        if (_open.Remove(node))
        {
            Layer.Graph.Unref(node);
        }
    }

    public void Dispose()
    {
        foreach (var node in _open.ToArray())
        {
            Close(node);
        }

        _services.Dispose();
    }

    private IBlockDriverFactory Probe(BlockDriverState file)
    {
        var buffer = new byte[ProbeLength];
        var length = (int)Math.Min(ProbeLength, file.Length);
        var backend = OpenBackend(file);
        var error = backend.Read(0, buffer.AsMemory(0, length));
        backend.Unref();
        if (error != BlockError.None)
        {
            throw new BlockOperationException($"Could not read '{file.Filename}' to determine its format");
        }

        return Layer.Graph.Drivers.ProbeFormat(buffer.AsSpan(0, length));
    }

    /// <summary>An anonymous backend with <paramref name="node"/> as its medium (the backend takes its own reference).</summary>
    private BlockBackend OpenBackend(BlockDriverState node, bool writeCache = true)
    {
        var backend = Layer.CreateBackend(new BlockBackendOptions { ReadOnly = node.ReadOnly, WriteCache = writeCache });
        Layer.Media.InsertMedium(backend, node.NodeName);
        return backend;
    }
}
