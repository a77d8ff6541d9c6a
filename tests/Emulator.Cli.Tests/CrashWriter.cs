using Emulator.Block;
using Emulator.Block.Backend;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Cli.Tests;

/// <summary>
/// The child process of the crash-consistency test (this test assembly's own entry point, run with
/// <c>dotnet exec Emulator.Cli.Tests.dll crash-writer image seed [format]</c>; without a format it is probed). Write i goes to slot
/// i mod slots with data derived from (seed, i); every few writes it flushes and prints
/// <c>flushed i</c>: every write up to i is acknowledged and flushed. It writes until it is killed.
/// </summary>
public static class CrashWriter
{
    public const int SlotSize = 96 * 1024;
    public const int FlushEvery = 5;

    public static int Main(string[] args)
    {
        if (args.Length is < 3 or > 4 || args[0] != "crash-writer")
        {
            Console.Error.WriteLine("usage: crash-writer image seed [format]");
            return 2;
        }

        var seed = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        using var services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers().BuildServiceProvider();
        var layer = services.GetRequiredService<BlockLayer>();
        var backend = layer.OpenImage(new BlockBackendOptions(), args[1], args.Length == 4 ? args[3] : null);
        var slots = (int)(backend.Length / SlotSize);
        Console.WriteLine("ready");
        for (var i = 0; ; i++)
        {
            var (offset, data) = Request(seed, i, slots);
            if (backend.Write(offset, data) != BlockError.None)
            {
                return 1;
            }

            if (i % FlushEvery == FlushEvery - 1)
            {
                if (backend.Flush() != BlockError.None)
                {
                    return 1;
                }

                Console.WriteLine($"flushed {i}");
            }
        }
    }

    /// <summary>Write i: somewhere inside slot i mod slots (slots never overlap), a length that spans clusters, bytes from (seed, i).</summary>
    public static (long Offset, byte[] Data) Request(int seed, int i, int slots)
    {
        var random = new Random(unchecked((seed * 100_003) + i));
        var length = random.Next(1, SlotSize / 2);
        var offset = ((long)(i % slots) * SlotSize) + random.Next(SlotSize - length);
        var data = new byte[length];
        random.NextBytes(data);
        return (offset, data);
    }
}
