using BenchmarkDotNet.Attributes;

namespace Emulator.Benchmarks.Block;

/// <summary>
/// The asynchronous device path over raw-on-file at several queue depths (requests in flight),
/// 4 KiB reads from the page cache, against the synchronous <see cref="RandomAccess"/> loop.
/// </summary>
[MemoryDiagnoser]
public class BlockAsyncQueueDepthBenchmarks
{
    private const int Ops = 512;
    private const int Size = 4096;

    private BlockBenchmarkRig _rig = null!;

    [Params(1, 4, 16)]
    public int QueueDepth { get; set; }

    [GlobalSetup]
    public void Setup() => _rig = new BlockBenchmarkRig(Size, QueueDepth);

    [GlobalCleanup]
    public void Cleanup() => _rig.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void RandomAccessRead()
    {
        var span = _rig.Buffers[0].Span;
        for (var i = 0; i < Ops; i++)
        {
            RandomAccess.Read(_rig.Handle, span, _rig.OffsetOf(i));
        }
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public void FileAsyncRead() => _rig.RunAsync(_rig.File, Ops, write: false);
}
