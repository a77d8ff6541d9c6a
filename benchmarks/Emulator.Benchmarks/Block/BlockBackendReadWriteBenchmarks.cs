using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Emulator.Benchmarks.Block;

/// <summary>
/// BlockBackend reads and writes of 4 KiB and 64 KiB over raw-on-file (page cache) and null-co,
/// synchronous (tools) and asynchronous (the device path, queue depth 1), against a plain
/// <see cref="RandomAccess"/> loop on the same file as the baseline of each category.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class BlockBackendReadWriteBenchmarks
{
    private const int Ops = 256;

    private BlockBenchmarkRig _rig = null!;

    [Params(4096, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup() => _rig = new BlockBenchmarkRig(Size);

    [GlobalCleanup]
    public void Cleanup() => _rig.Dispose();

    [BenchmarkCategory("Read"), Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void RandomAccessRead()
    {
        var span = _rig.Buffers[0].Span;
        for (var i = 0; i < Ops; i++)
        {
            RandomAccess.Read(_rig.Handle, span, _rig.OffsetOf(i));
        }
    }

    [BenchmarkCategory("Read"), Benchmark(OperationsPerInvoke = Ops)]
    public void FileSyncRead()
    {
        var memory = _rig.Buffers[0].Memory;
        for (var i = 0; i < Ops; i++)
        {
            _rig.File.Read(_rig.OffsetOf(i), memory);
        }
    }

    [BenchmarkCategory("Read"), Benchmark(OperationsPerInvoke = Ops)]
    public void FileAsyncRead() => _rig.RunAsync(_rig.File, Ops, write: false);

    [BenchmarkCategory("Read"), Benchmark(OperationsPerInvoke = Ops)]
    public void NullSyncRead()
    {
        var memory = _rig.Buffers[0].Memory;
        for (var i = 0; i < Ops; i++)
        {
            _rig.Null.Read(_rig.OffsetOf(i), memory);
        }
    }

    [BenchmarkCategory("Read"), Benchmark(OperationsPerInvoke = Ops)]
    public void NullAsyncRead() => _rig.RunAsync(_rig.Null, Ops, write: false);

    [BenchmarkCategory("Write"), Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void RandomAccessWrite()
    {
        var span = _rig.Buffers[0].Span;
        for (var i = 0; i < Ops; i++)
        {
            RandomAccess.Write(_rig.Handle, span, _rig.OffsetOf(i));
        }
    }

    [BenchmarkCategory("Write"), Benchmark(OperationsPerInvoke = Ops)]
    public void FileSyncWrite()
    {
        var memory = _rig.Buffers[0].Memory;
        for (var i = 0; i < Ops; i++)
        {
            _rig.File.Write(_rig.OffsetOf(i), memory);
        }
    }

    [BenchmarkCategory("Write"), Benchmark(OperationsPerInvoke = Ops)]
    public void FileAsyncWrite() => _rig.RunAsync(_rig.File, Ops, write: true);

    [BenchmarkCategory("Write"), Benchmark(OperationsPerInvoke = Ops)]
    public void NullSyncWrite()
    {
        var memory = _rig.Buffers[0].Memory;
        for (var i = 0; i < Ops; i++)
        {
            _rig.Null.Write(_rig.OffsetOf(i), memory);
        }
    }

    [BenchmarkCategory("Write"), Benchmark(OperationsPerInvoke = Ops)]
    public void NullAsyncWrite() => _rig.RunAsync(_rig.Null, Ops, write: true);
}
