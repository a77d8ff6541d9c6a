using Emulator.Block.Backend;
using Emulator.Block.Memory;

namespace Emulator.Block.Graph;

/// <summary>
/// The per-node instance of a driver. Offset-based, byte-granular I/O; one implementation per
/// operation, returning a <see cref="ValueTask{TResult}"/> that completes synchronously when the work
/// is done inline (no allocation) and asynchronously only when it really waits (a held blkdebug
/// request, a network reply). Offsets are already checked against <see cref="Length"/> by the caller.
/// </summary>
internal abstract class BlockDriver
{
    private const int ZeroChunk = 64 * 1024;

    private static readonly AlignedBuffer Zeroes = new(ZeroChunk);

    protected BlockDriver(BlockDriverState node)
    {
        Node = node;
    }

    public BlockDriverState Node { get; }

    /// <summary>True when operations never block the calling thread (they may then run inline on the machine thread).</summary>
    public virtual bool IsNonBlocking => false;

    /// <summary>
    /// True when every request goes straight to one child with no work of its own but an offset (raw): an
    /// I/O trace then stamps this node's start and end with its child's clock readings instead of taking
    /// two more (docs/io-tracing.md, "Shared readings").
    /// </summary>
    public virtual bool ForwardsToChild => false;

    /// <summary>The size of the data this node presents, in bytes.</summary>
    public abstract long Length { get; }

    /// <summary>The file name this node reads, for <c>query-block</c>'s <c>file</c> field (the protocol's, for formats).</summary>
    public virtual string Filename => Node.Children.Count > 0 ? Node.Children[0].Node.Driver.Filename : string.Empty;

    /// <summary>Host bytes allocated for this node (query-block's actual-size); by default that of the first child.</summary>
    public virtual long? AllocatedSize => Node.Children.Count > 0 ? Node.Children[0].Node.Driver.AllocatedSize : null;

    public abstract ValueTask<BlockError> ReadAsync(long offset, Memory<byte> buffer);

    /// <summary>
    /// Tries the read without blocking: succeeds only when the data is already in host memory (the
    /// page cache). Returns false when it would have to wait; the caller then runs
    /// <see cref="ReadAsync"/> on an I/O thread. Lets a device read cached data with no thread hop.
    /// </summary>
    public virtual bool TryReadNoWait(long offset, Memory<byte> buffer, out BlockError error)
    {
        error = BlockError.None;
        return false;
    }

    /// <summary>The write counterpart of <see cref="TryReadNoWait"/> (for filesystems that take non-blocking buffered writes).</summary>
    public virtual bool TryWriteNoWait(long offset, ReadOnlyMemory<byte> buffer, out BlockError error)
    {
        error = BlockError.None;
        return false;
    }

    public virtual ValueTask<BlockError> WriteAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags) =>
        Done(BlockError.Unsupported);

    public virtual ValueTask<BlockError> FlushAsync() => Done(BlockError.None);

    /// <summary>Discard is advisory: a driver that cannot deallocate succeeds without doing anything, as QEMU does.</summary>
    public virtual ValueTask<BlockError> DiscardAsync(long offset, long length) => Done(BlockError.None);

    /// <summary>
    /// Writes zeroes by writing a shared zero buffer; drivers that can do better override it. That is the slow
    /// way, so a request with <see cref="BlockRequestFlags.NoFallback"/> fails with Unsupported instead.
    /// </summary>
    public virtual ValueTask<BlockError> WriteZeroesAsync(long offset, long length, BlockRequestFlags flags) =>
        (flags & BlockRequestFlags.NoFallback) != 0
            ? Done(BlockError.Unsupported)
            : WriteZeroBuffersAsync(offset, length, flags & ~(BlockRequestFlags.MayUnmap | BlockRequestFlags.NoFallback));

    public virtual ValueTask<BlockError> TruncateAsync(long length) => Done(BlockError.Unsupported);

    /// <summary>
    /// Block status of the start of [<paramref name="offset"/>, +<paramref name="length"/>) (in range):
    /// how far the answer holds and what it is. By default the whole range is this node's data; drivers
    /// that know better (holes, unallocated clusters, zero clusters, where data lies) override it.
    /// <see cref="BlockStatusQuery"/> follows backing chains.
    /// </summary>
    public virtual BlockError GetBlockStatus(long offset, long length, out BlockStatus status)
    {
        status = new BlockStatus(BlockStatusFlags.Data | BlockStatusFlags.Allocated, length, 0, Filename);
        return BlockError.None;
    }

    /// <summary>Releases host resources when the node is deleted.</summary>
    public virtual void Close()
    {
    }

    protected static ValueTask<BlockError> Done(BlockError error) => new(error);

    private async ValueTask<BlockError> WriteZeroBuffersAsync(long offset, long length, BlockRequestFlags flags)
    {
        while (length > 0)
        {
            var chunk = (int)Math.Min(length, ZeroChunk);
            var error = await WriteAsync(offset, Zeroes.Memory[..chunk], flags).ConfigureAwait(false);
            if (error != BlockError.None)
            {
                return error;
            }

            offset += chunk;
            length -= chunk;
        }

        return BlockError.None;
    }
}
