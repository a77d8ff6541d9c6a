using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Graph;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Cli.Img;

/// <summary>
/// A block layer for one <c>emu img</c> run, built through DI as the emulator builds it. Like
/// qemu-img, the tool works on nodes directly (it has no guest device): it opens file → format
/// nodes, reads and writes them synchronously, and closes them at the end.
/// </summary>
internal sealed class ImgSession : IDisposable
{
    private const int ProbeLength = 4096;

    private readonly ServiceProvider _services;
    private readonly List<BlockDriverState> _open = [];

    public ImgSession()
    {
        _services = new ServiceCollection().AddBlockLayer(ioThreads: 2).AddStandardBlockDrivers().BuildServiceProvider();
        Layer = _services.GetRequiredService<BlockLayer>();
    }

    public BlockLayer Layer { get; }

    public static BlockError Wait(ValueTask<BlockError> operation) =>
        operation.IsCompleted ? operation.Result : operation.AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Opens an image as file → format node (the format probed when <paramref name="format"/> is null).
    /// <paramref name="noBacking"/> leaves a qcow2 image's backing file closed (as qemu-img info does).
    /// </summary>
    public BlockDriverState Open(string path, string? format, bool readOnly, FileCacheMode cache = FileCacheMode.Writeback, bool noBacking = false)
    {
        if (!System.IO.File.Exists(path))
        {
            throw new BlockOperationException($"Could not open '{path}': No such file or directory");
        }

        var graph = Layer.Graph;
        var file = graph.Open(new FileNodeOptions(path) { ReadOnly = readOnly, Cache = cache });
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

    public void Close(BlockDriverState node)
    {
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
        if (Wait(file.ReadAsync(0, buffer)) != BlockError.None)
        {
            throw new BlockOperationException($"Could not read '{file.Driver.Filename}' to determine its format");
        }

        return Layer.Graph.Drivers.ProbeFormat(buffer.AsSpan(0, (int)Math.Min(ProbeLength, file.Length)));
    }
}
