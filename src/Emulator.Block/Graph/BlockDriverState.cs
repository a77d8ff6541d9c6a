using Emulator.Block.Backend;
using Emulator.Block.Tracing;

namespace Emulator.Block.Graph;

/// <summary>
/// One node of the block graph: a driver instance with named child edges, a unique node name and a
/// reference count (held by parent edges, backends and the monitor). Only the block layer sees
/// nodes; devices see <see cref="BlockBackend"/>. Graph changes happen on the machine/monitor thread.
/// </summary>
public sealed class BlockDriverState
{
    private readonly List<BdrvChild> _children = [];
    private BlockDriver? _driver;

    internal BlockDriverState(string nodeName, bool autoNamed, BlockNodeOptions options)
    {
        NodeName = nodeName;
        AutoNamed = autoNamed;
        Options = options;
        ReadOnly = options.ReadOnly;
        DetectZeroes = options.DetectZeroes;
        TraceName = IoTrace.RegisterName(nodeName);
    }

    /// <summary>The node's name, unique in its graph and in the namespace it shares with backend names.</summary>
    public string NodeName { get; }

    /// <summary>True when the name was generated (<c>#blockNNN</c>) rather than given.</summary>
    public bool AutoNamed { get; }

    /// <summary>The options the node was opened with.</summary>
    public BlockNodeOptions Options { get; }

    /// <summary>The driver's name (<c>qcow2</c>, <c>raw</c>, <c>file</c> …).</summary>
    public string DriverName => Options.Driver;

    /// <summary>True when the node refuses writes, discards, write-zeroes and resizes.</summary>
    public bool ReadOnly { get; internal set; }

    /// <summary>References held (the opener's, parent edges, backends, exports); the node closes when it reaches 0.</summary>
    public int RefCount { get; internal set; } = 1;

    /// <summary>
    /// QEMU's detect-zeroes for this node (block/io.c bdrv_aligned_pwritev): an uncompressed write whose
    /// buffer is all zero bytes goes to the driver as a write-zeroes, with MAY_UNMAP for <see cref="DetectZeroes.Unmap"/>
    /// (which the options allow only on a node opened with discard=unmap). A backend created with the option
    /// (-drive detect-zeroes=) sets it on its root.
    /// </summary>
    public DetectZeroes DetectZeroes { get; internal set; }

    /// <summary>This node's name id in I/O traces.</summary>
    internal int TraceName { get; }

    /// <summary>
    /// The host file (or protocol address) this node's data comes from: its own for a protocol node,
    /// its first child's for a format or filter node; empty for a node with no file (null-co).
    /// </summary>
    /// <exception cref="InvalidOperationException">The node was closed.</exception>
    public string Filename => Driver.Filename;

    /// <summary>The driver's image description (qcow2: cluster size, backing file, dirty flag, …), or null when the format has none (raw, protocols).</summary>
    /// <exception cref="InvalidOperationException">The node was closed.</exception>
    public IImageInfo? ImageInfo => Driver as IImageInfo;

    /// <summary>The driver's consistency check and repair (<c>img check</c>), or null when the format has none.</summary>
    /// <exception cref="InvalidOperationException">The node was closed.</exception>
    public IImageCheck? ImageCheck => Driver as IImageCheck;

    /// <summary>The driver's internal snapshot table (qcow2), or null when the format has none.</summary>
    /// <exception cref="InvalidOperationException">The node was closed.</exception>
    public ISnapshotTable? SnapshotTable => Driver as ISnapshotTable;

    internal BlockDriver Driver => _driver ?? throw new InvalidOperationException($"Node '{NodeName}' is not open.");

    internal IReadOnlyList<BdrvChild> Children => _children;

    /// <summary>The protocol or image child (<c>file</c>), if any.</summary>
    internal BdrvChild? File => FindChild("file");

    internal BdrvChild? Backing => FindChild("backing");

    /// <summary>The node this one reads unallocated data from (a qcow2 image's backing file, opened), or null when it has none or it was left closed.</summary>
    public BlockDriverState? BackingNode => Backing?.Node;

    /// <summary>The guest-visible size in bytes.</summary>
    /// <exception cref="InvalidOperationException">The node was closed.</exception>
    public long Length => Driver.Length;

    internal bool IsNonBlocking => Driver.IsNonBlocking;

    internal BdrvChild? FindChild(string name)
    {
        foreach (var child in _children)
        {
            if (child.Name == name)
            {
                return child;
            }
        }

        return null;
    }

    internal ValueTask<BlockError> ReadAsync(long offset, Memory<byte> buffer)
    {
        if (!IoTrace.Enabled)
        {
            return Driver.ReadAsync(offset, buffer);
        }

        IoTrace.DriverBegin(TraceName, IoTraceOp.Read, offset, buffer.Length, Driver.ForwardsToChild);
        return IoTrace.DriverEnd(TraceName, IoTraceOp.Read, Driver.ReadAsync(offset, buffer), Driver.ForwardsToChild);
    }

    internal bool TryReadNoWait(long offset, Memory<byte> buffer, out BlockError error)
    {
        if (!IoTrace.Enabled)
        {
            return Driver.TryReadNoWait(offset, buffer, out error);
        }

        IoTrace.DriverBegin(TraceName, IoTraceOp.ReadNoWait, offset, buffer.Length, Driver.ForwardsToChild);
        return TraceNoWaitEnd(IoTraceOp.ReadNoWait, Driver.TryReadNoWait(offset, buffer, out error), error);
    }

    internal bool TryWriteNoWait(long offset, ReadOnlyMemory<byte> buffer, out BlockError error)
    {
        if (ReadOnly)
        {
            error = BlockError.ReadOnly;
            return true;
        }

        if (IsDetectedZero(buffer.Span, BlockRequestFlags.None))
        {
            // Not inline: the write becomes a write-zeroes, which runs on the asynchronous path.
            error = BlockError.None;
            return false;
        }

        if (!IoTrace.Enabled)
        {
            return Driver.TryWriteNoWait(offset, buffer, out error);
        }

        IoTrace.DriverBegin(TraceName, IoTraceOp.WriteNoWait, offset, buffer.Length, Driver.ForwardsToChild);
        return TraceNoWaitEnd(IoTraceOp.WriteNoWait, Driver.TryWriteNoWait(offset, buffer, out error), error);
    }

    /// <summary>Ends the trace of a no-wait attempt: its error when it ran inline, "not done" when it must go the asynchronous way.</summary>
    private bool TraceNoWaitEnd(IoTraceOp op, bool done, BlockError error)
    {
        IoTrace.DriverEnd(TraceName, op, done ? (short)error : IoTrace.ResultNotDone, Driver.ForwardsToChild);
        return done;
    }

    internal ValueTask<BlockError> WriteAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags)
    {
        if (ReadOnly)
        {
            return new(BlockError.ReadOnly);
        }

        if (IsDetectedZero(buffer.Span, flags))
        {
            var unmap = DetectZeroes == DetectZeroes.Unmap ? BlockRequestFlags.MayUnmap : BlockRequestFlags.None;
            return WriteZeroesAsync(offset, buffer.Length, flags | unmap);
        }

        if (!IoTrace.Enabled)
        {
            return Driver.WriteAsync(offset, buffer, flags);
        }

        IoTrace.DriverBegin(TraceName, IoTraceOp.Write, offset, buffer.Length, Driver.ForwardsToChild);
        return IoTrace.DriverEnd(TraceName, IoTraceOp.Write, Driver.WriteAsync(offset, buffer, flags), Driver.ForwardsToChild);
    }

    internal ValueTask<BlockError> FlushAsync()
    {
        if (!IoTrace.Enabled)
        {
            return Driver.FlushAsync();
        }

        IoTrace.DriverBegin(TraceName, IoTraceOp.Flush, 0, 0, Driver.ForwardsToChild);
        return IoTrace.DriverEnd(TraceName, IoTraceOp.Flush, Driver.FlushAsync(), Driver.ForwardsToChild);
    }

    internal ValueTask<BlockError> DiscardAsync(long offset, long length)
    {
        if (ReadOnly)
        {
            return new(BlockError.ReadOnly);
        }

        if (!IoTrace.Enabled)
        {
            return Driver.DiscardAsync(offset, length);
        }

        IoTrace.DriverBegin(TraceName, IoTraceOp.Discard, offset, length, Driver.ForwardsToChild);
        return IoTrace.DriverEnd(TraceName, IoTraceOp.Discard, Driver.DiscardAsync(offset, length), Driver.ForwardsToChild);
    }

    internal ValueTask<BlockError> WriteZeroesAsync(long offset, long length, BlockRequestFlags flags)
    {
        if (ReadOnly)
        {
            return new(BlockError.ReadOnly);
        }

        if (!IoTrace.Enabled)
        {
            return Driver.WriteZeroesAsync(offset, length, flags);
        }

        IoTrace.DriverBegin(TraceName, IoTraceOp.WriteZeroes, offset, length, Driver.ForwardsToChild);
        return IoTrace.DriverEnd(TraceName, IoTraceOp.WriteZeroes, Driver.WriteZeroesAsync(offset, length, flags), Driver.ForwardsToChild);
    }

    internal ValueTask<BlockError> TruncateAsync(long length) =>
        ReadOnly ? new(BlockError.ReadOnly) : Driver.TruncateAsync(length);

    /// <summary>The detect-zeroes test: on, not a compressed write, every byte zero (a vectorised scan that allocates nothing).</summary>
    private bool IsDetectedZero(ReadOnlySpan<byte> buffer, BlockRequestFlags flags) =>
        DetectZeroes != DetectZeroes.Off && (flags & BlockRequestFlags.WriteCompressed) == 0 && !buffer.ContainsAnyExcept((byte)0);

    /// <c>name (driver)</c>, for messages.
    public override string ToString() => $"{NodeName} ({DriverName})";

    internal void SetDriver(BlockDriver driver) => _driver = driver;

    internal void AddChild(BdrvChild child) => _children.Add(child);

    internal void ClearChildren() => _children.Clear();

    internal bool IsOpen => _driver is not null;

    /// <summary>The driver was closed at shutdown; the node stays only as a dangling reference.</summary>
    internal void MarkClosed() => _driver = null;
}
