using BenchmarkDotNet.Running;
using Emulator.Benchmarks.Cpu;

namespace Emulator.Benchmarks;

internal static class Program
{
    private static void Main(string[] args)
    {
        // benchmarks/cpu-vs-qemu.sh asks for the boot sector both emulators run.
        if (args is ["--write-loop-floppy", var path, var outer])
        {
            BootSectorLoop.Write(path, int.Parse(outer, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
