using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Raw;

/// <summary>
/// The <c>raw</c> format: the child's bytes as they are, optionally through an offset/size window
/// (QEMU's raw offset= and size=). Requests are already range-checked against <see cref="Length"/>
/// by the backend, so adding the offset cannot leave the window.
/// </summary>
internal sealed class RawDriver : BlockDriver
{
    private readonly BlockDriverState _file;
    private readonly long _offset;
    private readonly long? _size;

    internal RawDriver(BlockDriverState node, RawNodeOptions options, BlockGraph graph)
        : base(node)
    {
        if (options.Offset < 0)
        {
            throw new BlockOperationException("offset cannot be negative");
        }

        if (options.Size is < 0)
        {
            throw new BlockOperationException("size cannot be negative");
        }

        _file = graph.AttachChild(node, options.File, "file").Node;
        var childLength = _file.Length;
        if (options.Offset > childLength || (options.Size is { } size && size > childLength - options.Offset))
        {
            throw new BlockOperationException(
                $"The sum of offset ({options.Offset}) and size ({options.Size ?? 0}) has to be smaller or equal to the actual size of the containing file ({childLength})");
        }

        _offset = options.Offset;
        _size = options.Size;
    }

    /// <summary>Where the window starts in the child (for <c>img map</c>'s host offsets).</summary>
    public long Offset => _offset;

    public override bool IsNonBlocking => _file.IsNonBlocking;

    public override bool ForwardsToChild => true;

    public override long Length => _size ?? _file.Length - _offset;

    public override ValueTask<BlockError> ReadAsync(long offset, Memory<byte> buffer) => _file.ReadAsync(_offset + offset, buffer);

    public override bool TryReadNoWait(long offset, Memory<byte> buffer, out BlockError error) =>
        _file.TryReadNoWait(_offset + offset, buffer, out error);

    public override bool TryWriteNoWait(long offset, ReadOnlyMemory<byte> buffer, out BlockError error) =>
        _file.TryWriteNoWait(_offset + offset, buffer, out error);

    public override ValueTask<BlockError> WriteAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags) =>
        _file.WriteAsync(_offset + offset, buffer, flags);

    /// <summary>The child's status inside the window (a raw node allocates everything it shows).</summary>
    public override BlockError GetBlockStatus(long offset, long length, out BlockStatus status)
    {
        var error = _file.Driver.GetBlockStatus(_offset + offset, length, out status);
        status = status with { Flags = status.Flags | BlockStatusFlags.Allocated };
        return error;
    }

    public override ValueTask<BlockError> FlushAsync() => _file.FlushAsync();

    public override ValueTask<BlockError> DiscardAsync(long offset, long length) => _file.DiscardAsync(_offset + offset, length);

    public override ValueTask<BlockError> WriteZeroesAsync(long offset, long length, BlockRequestFlags flags) =>
        _file.WriteZeroesAsync(_offset + offset, length, flags);

    /// <summary>A windowed raw node has a fixed size; QEMU refuses to resize it too.</summary>
    public override ValueTask<BlockError> TruncateAsync(long length) =>
        _offset != 0 || _size is not null ? Done(BlockError.Unsupported) : _file.TruncateAsync(length);
}
