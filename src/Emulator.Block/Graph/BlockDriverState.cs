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

    public string NodeName { get; }

    /// <summary>True when the name was generated (<c>#blockNNN</c>) rather than given.</summary>
    public bool AutoNamed { get; }

    public BlockNodeOptions Options { get; }

    public string DriverName => Options.Driver;

    public bool ReadOnly { get; internal set; }

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

    public BlockDriver Driver => _driver ?? throw new InvalidOperationException($"Node '{NodeName}' is not open.");

    public IReadOnlyList<BdrvChild> Children => _children;

    /// <summary>The protocol or image child (<c>file</c>), if any.</summary>
    public BdrvChild? File => FindChild("file");

    public BdrvChild? Backing => FindChild("backing");

    public long Length => Driver.Length;

    public bool IsNonBlocking => Driver.IsNonBlocking;

    public BdrvChild? FindChild(string name)
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

    public ValueTask<BlockError> ReadAsync(long offset, Memory<byte> buffer)
    {
        if (!IoTrace.Enabled)
        {
            return Driver.ReadAsync(offset, buffer);
        }

        IoTrace.DriverBegin(TraceName, IoTraceOp.Read, offset, buffer.Length, Driver.ForwardsToChild);
        return IoTrace.DriverEnd(TraceName, IoTraceOp.Read, Driver.ReadAsync(offset, buffer), Driver.ForwardsToChild);
    }

    public bool TryReadNoWait(long offset, Memory<byte> buffer, out BlockError error)
    {
        if (!IoTrace.Enabled)
        {
            return Driver.TryReadNoWait(offset, buffer, out error);
        }

        IoTrace.DriverBegin(TraceName, IoTraceOp.ReadNoWait, offset, buffer.Length, Driver.ForwardsToChild);
        var done = Driver.TryReadNoWait(offset, buffer, out error);
        IoTrace.DriverEnd(TraceName, IoTraceOp.ReadNoWait, done ? (short)error : IoTrace.ResultNotDone, Driver.ForwardsToChild);
        return done;
    }

    public bool TryWriteNoWait(long offset, ReadOnlyMemory<byte> buffer, out BlockError error)
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
        var done = Driver.TryWriteNoWait(offset, buffer, out error);
        IoTrace.DriverEnd(TraceName, IoTraceOp.WriteNoWait, done ? (short)error : IoTrace.ResultNotDone, Driver.ForwardsToChild);
        return done;
    }

    public ValueTask<BlockError> WriteAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags)
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

    public ValueTask<BlockError> FlushAsync()
    {
        if (!IoTrace.Enabled)
        {
            return Driver.FlushAsync();
        }

        IoTrace.DriverBegin(TraceName, IoTraceOp.Flush, 0, 0, Driver.ForwardsToChild);
        return IoTrace.DriverEnd(TraceName, IoTraceOp.Flush, Driver.FlushAsync(), Driver.ForwardsToChild);
    }

    public ValueTask<BlockError> DiscardAsync(long offset, long length)
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

    public ValueTask<BlockError> WriteZeroesAsync(long offset, long length, BlockRequestFlags flags)
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

    public ValueTask<BlockError> TruncateAsync(long length) =>
        ReadOnly ? new(BlockError.ReadOnly) : Driver.TruncateAsync(length);

    /// <summary>The detect-zeroes test: on, not a compressed write, every byte zero (a vectorised scan that allocates nothing).</summary>
    private bool IsDetectedZero(ReadOnlySpan<byte> buffer, BlockRequestFlags flags) =>
        DetectZeroes != DetectZeroes.Off && (flags & BlockRequestFlags.WriteCompressed) == 0 && !buffer.ContainsAnyExcept((byte)0);

    public override string ToString() => $"{NodeName} ({DriverName})";

    internal void SetDriver(BlockDriver driver) => _driver = driver;

    internal void AddChild(BdrvChild child) => _children.Add(child);

    internal void ClearChildren() => _children.Clear();

    internal bool IsOpen => _driver is not null;

    /// <summary>The driver was closed at shutdown; the node stays only as a dangling reference.</summary>
    internal void MarkClosed() => _driver = null;
}
