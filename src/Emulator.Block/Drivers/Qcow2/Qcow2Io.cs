using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.Qcow2;

/// <summary>Synchronous reads and writes on the image's <c>file</c> child (the file protocol completes inline; anything else is waited for on this I/O thread).</summary>
internal sealed class Qcow2Io
{
    public Qcow2Io(BlockDriverState file)
    {
        File = file;
    }

    public BlockDriverState File { get; }

    public static BlockError Wait(ValueTask<BlockError> operation) =>
        operation.IsCompleted ? operation.Result : operation.AsTask().GetAwaiter().GetResult();

    public BlockError Read(long offset, Memory<byte> buffer) => Wait(File.ReadAsync(offset, buffer));

    public BlockError Write(long offset, ReadOnlyMemory<byte> buffer) => Wait(File.WriteAsync(offset, buffer, BlockRequestFlags.None));

    public BlockError Flush() => Wait(File.FlushAsync());

    /// <summary>
    /// Grows the file to cover clusters just allocated, before anything is written into them. Every
    /// later write then lands inside the file, so no write extends it (the file protocol's O_DIRECT
    /// bounce path trims a file back to the length it knows after a partial-block write at the end).
    /// </summary>
    public BlockError Extend(long end) => end > File.Length ? Wait(File.TruncateAsync(end)) : BlockError.None;
}
