using Emulator.Block.Drivers.File;
using Emulator.Block.Graph;
using Emulator.Block.Memory;

namespace Emulator.Block.Backend;

/// <summary>
/// The block layer of one machine: the node graph, the backends (named and anonymous), the event
/// sink, the completion queue the machine loop drains, and the I/O worker threads. Management calls
/// (creating backends, media changes) run on the machine/monitor thread.
/// </summary>
public sealed class BlockLayer
{
    private const int ProbeLength = 4096;

    private readonly Dictionary<string, BlockBackend> _named = new(StringComparer.Ordinal);
    private readonly List<BlockBackend> _all = [];
    private long _sequence;
    private readonly BlockDriverEvents _driverEvents;

    internal BlockLayer(BlockDriverRegistry drivers, IBlockEventSink events, BlockCompletionQueue completions, BlockIoWorkers workers, BlockDriverEvents driverEvents)
    {
        _driverEvents = driverEvents;
        completions.Draining = PublishDriverEvents;
        Graph = new BlockGraph(drivers) { IsNameTakenElsewhere = _named.ContainsKey };
        Events = events;
        Completions = completions;
        Workers = workers;
        Media = new BlockMedia(this);
    }

    /// <summary>The node graph under every backend of this layer: open, find and release nodes here.</summary>
    public BlockGraph Graph { get; }

    /// <summary>Publishes the events drivers queued (see <see cref="BlockDriverEvents"/>). Machine/loop thread.</summary>
    internal void PublishDriverEvents()
    {
        if (!_driverEvents.IsEmpty)
        {
            _driverEvents.Drain(DeviceOf);
        }
    }

    /// <summary>The name of the backend whose tree holds the node, or "".</summary>
    private string DeviceOf(string nodeName) =>
        _all.FirstOrDefault(backend => backend.Root is { } root && Holds(root, nodeName))?.Name ?? string.Empty;

    private static bool Holds(BlockDriverState node, string nodeName) =>
        node.NodeName == nodeName || node.Children.Any(child => Holds(child.Node, nodeName));

    internal IBlockEventSink Events { get; }

    /// <summary>The queue the machine loop drains at its fixed point (<see cref="BlockCompletionQueue.RunPending"/>).</summary>
    public BlockCompletionQueue Completions { get; }

    /// <summary>Tray and medium operations as the monitor offers them.</summary>
    public BlockMedia Media { get; }

    /// <summary>The machine's pause hook for the stop policy; unset in tools, where stop only records iostatus.</summary>
    public IVmRunControl? RunControl { get; set; }

    /// <summary>Every live backend, named or anonymous, in creation order.</summary>
    public IReadOnlyList<BlockBackend> Backends => _all;

    internal BlockIoWorkers Workers { get; }

    /// <summary>Requests submitted and not yet delivered, over every backend.</summary>
    public int InFlight
    {
        get
        {
            var count = 0;
            foreach (var backend in _all)
            {
                count += backend.InFlight;
            }

            return count;
        }
    }

    /// <summary>
    /// Deterministic delivery, for runs that must go the same way twice: waits until every request in
    /// flight has finished on its I/O thread (a request is never left behind because the host was slow),
    /// then runs the completions in submission order. Called at the machine loop's fixed point, it makes a
    /// completion guest-visible at the first fixed point after its submission, an instruction count that
    /// depends on the guest only. The machine thread blocks while the host works: a backend that never
    /// answers stops the machine (and the monitor, which runs on it) until it does. Returns how many ran.
    /// </summary>
    public int RunCompletionsInOrder()
    {
        while (InFlight > Completions.Queued)
        {
            if (!Completions.HasPending)
            {
                Completions.WaitForPending(TimeSpan.FromMilliseconds(50));
            }
            else
            {
                Thread.Yield();
            }
        }

        return Completions.RunPendingInSubmissionOrder();
    }

    internal long NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>The backend with this name (<c>-drive id=</c>, <c>blockdev-add</c> … <c>id</c>), or null; anonymous backends are not found.</summary>
    public BlockBackend? FindBackend(string name) => _named.GetValueOrDefault(name);

    /// <summary>
    /// Creates a backend, empty or with a root node opened from <paramref name="root"/>. The caller owns the reference.
    /// A read-only backend opens its root read-only whatever the node options say (and the root's inline
    /// children inherit it), so a read-only drive never has a writable node under it.
    /// </summary>
    public BlockBackend CreateBackend(BlockBackendOptions options, BlockNodeOptions? root = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckBackendName(options.Name);
        if (options.ReadOnly && root is { ReadOnly: false })
        {
            root = root with { ReadOnly = true };
        }

        var node = root is null ? null : Graph.Open(root);
        return Register(options, node);
    }

    /// <summary>Creates a backend over an image file: the file protocol with the given format, or the probed one when <paramref name="format"/> is null.</summary>
    public BlockBackend OpenImage(BlockBackendOptions options, string filename, string? format = null, FileCacheMode cache = FileCacheMode.Writeback)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckBackendName(options.Name);
        return Register(options, OpenImageNode(filename, format, options.ReadOnly, cache));
    }

    /// <summary>True once <see cref="DrainFlushCloseAll"/> ran: every node is closed and I/O is refused.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>
    /// The end of the block layer's life (QEMU's bdrv_drain_all + bdrv_flush_all + bdrv_close_all),
    /// called once by the host when the machine has stopped for good, whatever stopped it: waits for
    /// every request in flight and delivers its completion (so a device sees its acknowledged writes
    /// finish), flushes every writable node parents first (metadata caches, then the file), then closes
    /// every node parents first. Afterwards every request is refused with no medium. Machine thread
    /// (the loop must not be running). Returns what went wrong, one line a problem; empty when all is on disk.
    /// </summary>
    /// <param name="drainTimeout">How long to wait for requests in flight (a suspended blkdebug request never ends).</param>
    public IReadOnlyList<string> DrainFlushCloseAll(TimeSpan drainTimeout)
    {
        if (IsClosed)
        {
            return [];
        }

        var problems = new List<string>();
        var deadline = DateTime.UtcNow + drainTimeout;
        while (_all.Any(backend => backend.InFlight > 0))
        {
            if (DateTime.UtcNow >= deadline)
            {
                problems.Add($"{_all.Sum(backend => backend.InFlight)} request(s) still in flight after {drainTimeout.TotalSeconds:0.#} s; closing anyway");
                break;
            }

            if (Completions.RunPending() == 0)
            {
                Completions.WaitForPending(TimeSpan.FromMilliseconds(50));
            }
        }

        foreach (var node in Graph.TopDownOrder())
        {
            if (node.ReadOnly)
            {
                continue;
            }

            var flush = node.FlushAsync();
            var error = flush.IsCompleted ? flush.Result : flush.AsTask().GetAwaiter().GetResult();
            if (error != BlockError.None)
            {
                problems.Add($"flushing node '{node.NodeName}' ({node.DriverName}): {error.Describe()}");
            }
        }

        PublishDriverEvents();
        IsClosed = true;
        Graph.CloseAll();
        return problems;
    }

    /// <summary>QMP <c>cont</c>: every backend's iostatus back to ok.</summary>
    public void ResetAllIoStatus()
    {
        foreach (var backend in _all)
        {
            backend.ResetIoStatus();
        }
    }

    /// <summary>Opens file → format for an image, probing the format from the first bytes when none is given.</summary>
    internal BlockDriverState OpenImageNode(string filename, string? format, bool readOnly, FileCacheMode cache)
    {
        IBlockDriverFactory? formatDriver = null;
        if (format is not null)
        {
            formatDriver = Graph.Drivers.Find(format) ?? throw new BlockOperationException($"Unknown driver '{format}'");
            if (formatDriver.Kind == BlockDriverKind.Protocol)
            {
                return Graph.Open(ProtocolOptions(filename, readOnly, cache));
            }
        }

        var file = Graph.Open(ProtocolOptions(filename, readOnly, cache));
        try
        {
            formatDriver ??= Probe(file);
            return Graph.Open(formatDriver.CreateFormatOptions(BlockChildOptions.Ref(file.NodeName), null, readOnly));
        }
        finally
        {
            // The format node's edge holds the file node now (or the open failed and it goes away).
            Graph.Unref(file);
        }
    }

    /// <summary>The protocol node for an image name: a protocol's own syntax (<c>nbd://…</c>) or else a host file.</summary>
    internal BlockNodeOptions ProtocolOptions(string filename, bool readOnly, FileCacheMode cache) =>
        Graph.Drivers.ParseProtocolFilename(filename, readOnly) ?? new FileNodeOptions(filename) { ReadOnly = readOnly, Cache = cache };

    /// <summary>
    /// HMP drive_del on a backend (QEMU's hmp_drive_del): the medium is dropped at once and the backend
    /// loses its name, so the name is free again. A backend with a device attached lives on, empty and
    /// anonymous, with errors reported to the guest (never stopping it) until the device lets it go;
    /// one without a device is deleted.
    /// </summary>
    public void DeleteDrive(BlockBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (backend.IsInserted)
        {
            backend.RemoveRoot();
        }

        if (backend.Name.Length > 0)
        {
            _named.Remove(backend.Name);
            backend.Name = string.Empty;
        }

        if (backend.HasDevice)
        {
            backend.ReadErrorPolicy = BlockErrorPolicy.Report;
            backend.WriteErrorPolicy = BlockErrorPolicy.Report;
        }
        else
        {
            backend.Unref();
        }
    }

    internal void Forget(BlockBackend backend)
    {
        _all.Remove(backend);
        if (backend.Name.Length > 0)
        {
            _named.Remove(backend.Name);
        }
    }

    private IBlockDriverFactory Probe(BlockDriverState file)
    {
        var buffer = AlignedBufferPool.Shared.Rent(ProbeLength);
        try
        {
            var length = (int)Math.Min(ProbeLength, file.Length);
            var read = file.ReadAsync(0, buffer.Memory[..ProbeLength]);
            var error = read.IsCompleted ? read.Result : read.AsTask().GetAwaiter().GetResult();
            if (error != BlockError.None)
            {
                throw new BlockOperationException($"Could not read image for determining its format: {error.Describe()}");
            }

            return Graph.Drivers.ProbeFormat(buffer.Span[..length]);
        }
        finally
        {
            AlignedBufferPool.Shared.Return(buffer);
        }
    }

    private BlockBackend Register(BlockBackendOptions options, BlockDriverState? node)
    {
        var backend = new BlockBackend(this, options);
        if (node is not null)
        {
            backend.InsertRoot(node);
        }

        _all.Add(backend);
        if (backend.Name.Length > 0)
        {
            _named.Add(backend.Name, backend);
        }

        return backend;
    }

    private void CheckBackendName(string? name)
    {
        if (name is null)
        {
            return;
        }

        if (!BlockGraph.IsWellFormedId(name))
        {
            throw new BlockOperationException($"Invalid device name '{name}'");
        }

        if (_named.ContainsKey(name))
        {
            throw new BlockOperationException($"Device with id '{name}' already exists");
        }

        if (Graph.Find(name) is not null)
        {
            throw new BlockOperationException($"Device name '{name}' conflicts with an existing node name");
        }
    }
}
