using Emulator.Block.Backend;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Block.Tests.Support;

/// <summary>A block layer built the way the emulator builds it (DI), with its events recorded and a fake machine.</summary>
internal sealed class BlockHarness : IDisposable
{
    private readonly ServiceProvider _services;

    public BlockHarness(Action<IServiceCollection>? extra = null)
    {
        var services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers();
        extra?.Invoke(services);
        _services = services.BuildServiceProvider();
        Layer = _services.GetRequiredService<BlockLayer>();
        Layer.RunControl = Machine;
        _services.GetRequiredService<BlockEventBroadcaster>().Published += Events.Add;
        TempDir = Directory.CreateTempSubdirectory("emu-block-test-").FullName;
        LoopThreadId = Environment.CurrentManagedThreadId;
    }

    public BlockLayer Layer { get; }

    public FakeMachine Machine { get; } = new();

    public List<BlockEvent> Events { get; } = [];

    public string TempDir { get; }

    /// <summary>The test thread plays the machine loop.</summary>
    public int LoopThreadId { get; }

    public IEnumerable<T> EventsOf<T>() where T : BlockEvent => Events.OfType<T>();

    /// <summary>Creates an image file of <paramref name="length"/> bytes whose byte i is (i * 7 + i / 512) mod 251.</summary>
    public string CreateImage(long length, string name = "disk.img")
    {
        var path = Path.Combine(TempDir, name);
        var data = new byte[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = Pattern(i);
        }

        File.WriteAllBytes(path, data);
        return path;
    }

    public static byte Pattern(long i) => (byte)(((i * 7) + (i / 512)) % 251);

    /// <summary>Runs completions until <paramref name="done"/> holds, as the machine loop would.</summary>
    public void RunLoopUntil(Func<bool> done, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!done())
        {
            if (Layer.Completions.RunPending() == 0)
            {
                Layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(20));
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("The loop did not reach the expected state.");
            }
        }
    }

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(TempDir, recursive: true);
    }

    internal sealed class FakeMachine : IVmRunControl
    {
        public int StopRequests { get; private set; }

        public void RequestStopForIoError() => StopRequests++;
    }
}
