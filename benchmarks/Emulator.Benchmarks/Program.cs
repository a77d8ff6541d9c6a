using BenchmarkDotNet.Running;
using Emulator.Benchmarks.Cpu;
using Emulator.TestSupport;

namespace Emulator.Benchmarks;

internal static class Program
{
    private const string VirtioGuestCommand = "virtio-guest";
    private const string IoTraceOverheadCommand = "io-trace-overhead";
    private const string TranslatorCpuTimeCommand = "translator-cpu-time";

    /// <summary>
    /// BenchmarkDotNet's switcher, or one of the side-by-side scripts' helpers:
    /// <c>virtio-guest FILE REQUESTS CHUNKS</c> writes the virtio guest's boot sector
    /// (<see cref="VirtioReadGuest"/>) for benchmarks/virtio-side-by-side.sh, and
    /// <c>--write-loop-floppy FILE OUTER [branchy]</c> the CPU loop both emulators run for benchmarks/cpu-vs-qemu.sh,
    /// <c>translator-cpu-time [ROUNDS] [NAME-PART]</c> times the translator loops by thread CPU time (<see cref="TranslatorCpuTime"/>),
    /// and <c>io-trace-overhead [ROUNDS] [MIB]</c> measures tracing's cost with its modes interleaved (<see cref="Tracing.IoTraceOverhead"/>).
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

        if (args.Length > 0 && args[0] == IoTraceOverheadCommand)
        {
            if (args.Length > 3 || !TryCount(args, 1, 40, out var rounds) || !TryCount(args, 2, 64, out var mebibytes))
            {
                Console.Error.WriteLine($"usage: {IoTraceOverheadCommand} [ROUNDS] [MIB] (positive integers; 40 and 64 by default)");
                return 2;
            }

            return Tracing.IoTraceOverhead.Run(rounds, mebibytes, Console.Out);
        }

        if (args.Length > 0 && args[0] == TranslatorCpuTimeCommand)
        {
            if (args.Length > 3 || !TryCount(args, 1, 21, out var rounds))
            {
                Console.Error.WriteLine($"usage: {TranslatorCpuTimeCommand} [ROUNDS] [NAME-PART] (ROUNDS a positive integer, 21 by default; NAME-PART selects loops, Translator by default)");
                return 2;
            }

            return TranslatorCpuTime.Run(rounds, args.Length > 2 ? args[2] : "Translator", Console.Out);
        }

        if (args is ["--write-loop-floppy", var path, var outer, .. var shape] && shape is [] or ["branchy"])
        {
            BootSectorLoop.Write(path, int.Parse(outer, System.Globalization.CultureInfo.InvariantCulture), branchy: shape is ["branchy"]);
            return 0;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static bool TryCount(string[] args, int index, int fallback, out int value)
    {
        if (args.Length <= index)
        {
            value = fallback;
            return true;
        }

        return int.TryParse(args[index], System.Globalization.CultureInfo.InvariantCulture, out value) && value > 0;
    }
}
