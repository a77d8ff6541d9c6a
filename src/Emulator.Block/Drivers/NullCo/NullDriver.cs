using Emulator.Block.Backend;
using Emulator.Block.Graph;

namespace Emulator.Block.Drivers.NullCo;

/// <summary>
/// The <c>null-co</c> protocol: a medium of a fixed size whose reads return zeroes (or leave the
/// buffer) and whose writes are dropped. Everything completes inline; for benchmarks and tests.
/// </summary>
internal sealed class NullDriver : BlockDriver
{
    private readonly bool _readZeroes;

    internal NullDriver(BlockDriverState node, NullNodeOptions options)
        : base(node)
    {
        if (options.Size < 0)
        {
            throw new BlockOperationException("size cannot be negative");
        }

        Length = options.Size;
        _readZeroes = options.ReadZeroes;
    }

    public override bool IsNonBlocking => true;

    public override long Length { get; }

    public override string Filename => "null-co://";

    public override ValueTask<BlockError> ReadAsync(long offset, Memory<byte> buffer)
    {
        if (_readZeroes)
        {
            buffer.Span.Clear();
        }

        return Done(BlockError.None);
    }

    public override ValueTask<BlockError> WriteAsync(long offset, ReadOnlyMemory<byte> buffer, BlockRequestFlags flags) => Done(BlockError.None);

    public override ValueTask<BlockError> WriteZeroesAsync(long offset, long length, BlockRequestFlags flags) => Done(BlockError.None);
}
