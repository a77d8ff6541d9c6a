using Emulator.Block.Backend;
using Emulator.Block.Graph;
using Emulator.Block.Tracing;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>
/// Synchronous reads and writes on the image's <c>file</c> child (the file protocol completes inline;
/// anything else is waited for on this I/O thread), and the write barrier between dependent
/// metadata updates (<see cref="Barrier"/>).
/// </summary>
internal sealed class Qcow2Io
{
    private readonly int _traceName;
    private int _unflushed;

    /// <param name="file">The image's file child.</param>
    /// <param name="traceName">The qcow2 node's trace name: metadata and COW I/O show as its child slices.</param>
    public Qcow2Io(BlockDriverState file, int traceName = -1)
    {
        File = file;
        _traceName = traceName;
    }

    public BlockDriverState File { get; }

    /// <summary>The I/O of an external data file: flushed with this file's barriers and flushes, first, so data is durable before the metadata that maps it.</summary>
    public Qcow2Io? DataIo { get; set; }

    public static BlockError Wait(ValueTask<BlockError> operation) =>
        operation.IsCompleted ? operation.Result : operation.AsTask().GetAwaiter().GetResult();

    public BlockError Read(long offset, Memory<byte> buffer) => Wait(File.ReadAsync(offset, buffer));

    /// <summary>A read on behalf of the driver itself (<paramref name="purpose"/>: metadata, COW), traced as a child slice of the request.</summary>
    public BlockError Read(long offset, Memory<byte> buffer, IoTraceOp purpose)
    {
        if (!IoTrace.Enabled)
        {
            return Read(offset, buffer);
        }

        IoTrace.DriverBegin(_traceName, purpose, offset, buffer.Length);
        var error = Read(offset, buffer);
        IoTrace.DriverEnd(_traceName, purpose, (short)error);
        return error;
    }

    /// <summary>A metadata write, traced as a child slice of the request.</summary>
    public BlockError WriteMetadata(long offset, ReadOnlyMemory<byte> buffer)
    {
        if (!IoTrace.Enabled)
        {
            return Write(offset, buffer);
        }

        IoTrace.DriverBegin(_traceName, IoTraceOp.MetadataWrite, offset, buffer.Length);
        var error = Write(offset, buffer);
        IoTrace.DriverEnd(_traceName, IoTraceOp.MetadataWrite, (short)error);
        return error;
    }

    public BlockError Write(long offset, ReadOnlyMemory<byte> buffer)
    {
        Volatile.Write(ref _unflushed, 1);
        return Wait(File.WriteAsync(offset, buffer, BlockRequestFlags.None));
    }

    public BlockError Flush()
    {
        var error = DataIo?.Flush() ?? BlockError.None;
        return error == BlockError.None ? FlushFile() : error;
    }

    /// <summary>
    /// Makes every write issued so far durable before the next one is issued: a flush of the file
    /// child (and of the data file first), skipped when nothing was written since the last flush. Program order alone survives a
    /// killed process (the host page cache keeps it); only a flush keeps it across a power loss,
    /// because the disk may reorder writes it has not been told to make durable.
    /// </summary>
    public BlockError Barrier()
    {
        var error = DataIo?.Barrier() ?? BlockError.None;
        return error != BlockError.None || Volatile.Read(ref _unflushed) == 0 ? error : FlushFile();
    }

    private BlockError FlushFile()
    {
        Volatile.Write(ref _unflushed, 0);
        return Wait(File.FlushAsync());
    }

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
        var grown = Wait(File.TruncateAsync(end));

        // A protocol of fixed size (an NBD export, a host block device) cannot grow: the write that needed the
        // space fails as QEMU's fails when qcow2 allocates past the end of such a node, with EINVAL.
        return grown == BlockError.Unsupported ? BlockError.InvalidArgument : grown;
    }

    /// <summary>Cuts the file back to <paramref name="end"/> (only ever the tail <see cref="Extend"/> just added), so the cut clusters read as zeroes again.</summary>
    public BlockError Shrink(long end)
    {
        Volatile.Write(ref _unflushed, 1);
        return Wait(File.TruncateAsync(end));
    }
}
