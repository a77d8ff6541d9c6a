using BenchmarkDotNet.Running;
using Emulator.TestSupport;

namespace Emulator.Benchmarks;

internal static class Program
{
    private const string VirtioGuestCommand = "virtio-guest";

    /// <summary>
    /// BenchmarkDotNet's switcher, or <c>virtio-guest FILE REQUESTS CHUNKS</c>: writes the side-by-side
    /// guest's boot sector (<see cref="VirtioReadGuest"/>) for benchmarks/virtio-side-by-side.sh.
    /// </summary>
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == VirtioGuestCommand)
        {
            if (args.Length != 4 || !uint.TryParse(args[2], out var requests) || !uint.TryParse(args[3], out var chunks) || requests == 0 || chunks == 0)
            {
                Console.Error.WriteLine($"usage: {VirtioGuestCommand} FILE REQUESTS CHUNKS (REQUESTS and CHUNKS positive integers)");
                return 2;
            }

            File.WriteAllBytes(args[1], VirtioReadGuest.BootSector(requests, chunks));
            return 0;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
