using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.NullCo;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Win32.SafeHandles;

namespace Emulator.Benchmarks.Block;

/// <summary>
/// What the block benchmarks share: a 64 MiB image in the page cache, a block layer with a
/// raw-on-file and a null-co backend, a plain handle on the same file for the baselines, aligned
/// buffers, and a device stand-in that submits requests and waits on the completion queue the way
/// the machine loop drains it.
/// </summary>
internal sealed class BlockBenchmarkRig : IBlockCompletionHandler, IDisposable
{
    public const long ImageSize = 64L << 20;

    private readonly ServiceProvider _services;
    private readonly BlockRequest[] _requests;
    private int _completed;

    public BlockBenchmarkRig(int transferSize, int queueDepth = 1)
    {
        TransferSize = transferSize;
        ImagePath = Path.Combine(Path.GetTempPath(), $"emu-bench-{Environment.ProcessId}.img");
        using (var stream = new FileStream(ImagePath, FileMode.Create, FileAccess.Write))
        {
            var chunk = new byte[1 << 20];
            Random.Shared.NextBytes(chunk);
            for (long done = 0; done < ImageSize; done += chunk.Length)
            {
                stream.Write(chunk);
            }
        }

        _services = new ServiceCollection().AddBlockLayer().AddFileDriver().AddRawDriver().AddNullDriver().AddNbdDriver().BuildServiceProvider();
        Layer = _services.GetRequiredService<BlockLayer>();
        File = Layer.CreateBackend(new BlockBackendOptions(), new RawNodeOptions(new FileNodeOptions(ImagePath) { Locking = FileLockMode.Off }));
        Null = Layer.CreateBackend(new BlockBackendOptions(), new NullNodeOptions { Size = ImageSize, ReadZeroes = false });
        Handle = System.IO.File.OpenHandle(ImagePath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        Buffers = Enumerable.Range(0, queueDepth).Select(_ => new AlignedBuffer(transferSize)).ToArray();
        _requests = Enumerable.Range(0, queueDepth).Select(i => new BlockRequest(this, i)).ToArray();

        // Warm the page cache so every variant reads from memory.
        for (long offset = 0; offset < ImageSize; offset += transferSize)
        {
            RandomAccess.Read(Handle, Buffers[0].Span, offset);
        }
    }

    public int TransferSize { get; }

    public string ImagePath { get; }

    public BlockLayer Layer { get; }

    public BlockBackend File { get; }

    public BlockBackend Null { get; }

    public SafeFileHandle Handle { get; }

    public AlignedBuffer[] Buffers { get; }

    /// <summary>The offset of the i-th operation: walks the image so reads are not one cached block.</summary>
    public long OffsetOf(int i) => (long)i * TransferSize % ImageSize;

    /// <summary>Runs <paramref name="count"/> requests with up to <c>queueDepth</c> in flight; the test thread plays the machine loop.</summary>
    public void RunAsync(BlockBackend backend, int count, bool write)
    {
        _completed = 0;
        var submitted = 0;
        var depth = _requests.Length;
        for (; submitted < Math.Min(depth, count); submitted++)
        {
            Submit(backend, _requests[submitted], submitted, write);
        }

        while (_completed < count)
        {
            if (Layer.Completions.RunPending() == 0)
            {
                Layer.Completions.WaitForPending(Timeout.InfiniteTimeSpan);
                continue;
            }

            // Refill the free slots, as a device does when its completions have run.
            foreach (var request in _requests)
            {
                if (!request.IsInFlight && submitted < count)
                {
                    Submit(backend, request, submitted++, write);
                }
            }
        }
    }

    public void OnBlockRequestCompleted(BlockRequest request)
    {
        if (request.Error != BlockError.None)
        {
            throw new InvalidOperationException($"Benchmark I/O failed: {request.Error}");
        }

        _completed++;
    }

    public void Dispose()
    {
        File.Unref();
        Null.Unref();
        Handle.Dispose();
        _services.Dispose();
        foreach (var buffer in Buffers)
        {
            ((IDisposable)buffer).Dispose();
        }

        System.IO.File.Delete(ImagePath);
    }

    private void Submit(BlockBackend backend, BlockRequest request, int i, bool write)
    {
        var buffer = Buffers[(int)request.Tag!].Memory;
        if (write)
        {
            request.PrepareWrite(OffsetOf(i), buffer);
        }
        else
        {
            request.PrepareRead(OffsetOf(i), buffer);
        }

        backend.Submit(request);
    }
}
