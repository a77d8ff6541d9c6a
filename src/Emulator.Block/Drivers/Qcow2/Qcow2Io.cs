using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Synchronous reads and writes on the image's <c>file</c> child (the file protocol completes inline;
/// anything else is waited for on this I/O thread), and the write barrier between dependent
/// metadata updates (<see cref="Barrier"/>).
/// </summary>
internal sealed class Qcow2Io
{
    private int _unflushed;

    public Qcow2Io(BlockDriverState file)
    {
        File = file;
    }

    public BlockDriverState File { get; }

    public static BlockError Wait(ValueTask<BlockError> operation) =>
        operation.IsCompleted ? operation.Result : operation.AsTask().GetAwaiter().GetResult();

    public BlockError Read(long offset, Memory<byte> buffer) => Wait(File.ReadAsync(offset, buffer));

    public BlockError Write(long offset, ReadOnlyMemory<byte> buffer)
    {
        Volatile.Write(ref _unflushed, 1);
        return Wait(File.WriteAsync(offset, buffer, BlockRequestFlags.None));
    }

    public BlockError Flush()
    {
        Volatile.Write(ref _unflushed, 0);
        return Wait(File.FlushAsync());
    }

    /// <summary>
    /// Makes every write issued so far durable before the next one is issued: a flush of the file
    /// child, skipped when nothing was written since the last flush. Program order alone survives a
    /// killed process (the host page cache keeps it); only a flush keeps it across a power loss,
    /// because the disk may reorder writes it has not been told to make durable.
    /// </summary>
    public BlockError Barrier() => Volatile.Read(ref _unflushed) != 0 ? Flush() : BlockError.None;

    /// <summary>
    /// Grows the file to cover clusters just allocated, before anything is written into them. Every
    /// later write then lands inside the file, so no write extends it (the file protocol's O_DIRECT
    /// bounce path trims a file back to the length it knows after a partial-block write at the end).
    /// </summary>
    public BlockError Extend(long end)
    {
        if (end <= File.Length)
        {
            return BlockError.None;
        }

        Volatile.Write(ref _unflushed, 1);
        return Wait(File.TruncateAsync(end));
    }
}
