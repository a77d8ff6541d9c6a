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
}
