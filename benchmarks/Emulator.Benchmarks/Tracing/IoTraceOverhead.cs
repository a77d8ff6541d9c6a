using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Emulator.Benchmarks.Devices.Ide;
using Emulator.Benchmarks.Devices.Virtio;

namespace Emulator.Benchmarks.Tracing;

/// <summary>
/// <c>io-trace-overhead [ROUNDS] [MIB]</c>: what tracing costs on the guest read paths, with the modes
/// interleaved. BenchmarkDotNet runs all of one <see cref="IoTraceMode"/>'s iterations before the next
/// mode's, so on a shared host a change of load between them reads as a difference between modes. Here
/// each round runs every mode once (order rotated per round), MIB MiB each through the same machine as
/// <see cref="VirtioGuestReadBenchmarks.GuestRead"/> and <see cref="IdeGuestReadBenchmarks.DmaRead"/>, and
/// reports per mode, in µs per MiB (min / p25 / median): wall time, the machine thread's CPU time (what
/// the stamps cost the guest) and the process's CPU time (the collector and exporter included).
/// </summary>
internal static partial class IoTraceOverhead
{
    private const int ClockProcessCpuTime = 2;
    private const int ClockThreadCpuTime = 3;

    public static int Run(int rounds, int mebibytes, TextWriter output)
    {
        var virtio = new VirtioGuestReadBenchmarks { IoTrace = IoTraceMode.Off };
        var ide = new IdeGuestReadBenchmarks { IoTrace = IoTraceMode.Off };
        virtio.Setup();
        ide.Setup();
        try
        {
            Measure("virtio-blk guest read (VirtioGuestReadBenchmarks.GuestRead)", virtio.SwitchTrace, () => virtio.GuestRead(), rounds, mebibytes, output);
            Measure("ATA DMA guest read (IdeGuestReadBenchmarks.DmaRead)", ide.SwitchTrace, () => ide.DmaRead(), rounds, mebibytes, output);
        }
        finally
        {
            virtio.Cleanup();
            ide.Cleanup();
        }

        return 0;
    }

    private static void Measure(string name, Action<IoTraceMode> switchTrace, Action readOneMebibyte, int rounds, int mebibytes, TextWriter output)
    {
        var modes = Enum.GetValues<IoTraceMode>();
        var samples = modes.Select(_ => new List<(double Wall, double Thread, double Process)>()).ToArray();
        foreach (var mode in modes)
        {
            switchTrace(mode);
            for (var i = 0; i < 2 * mebibytes; i++)
            {
                readOneMebibyte();
            }
        }

        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < modes.Length; k++)
            {
                var mode = (round + k) % modes.Length;
                switchTrace(modes[mode]);
                readOneMebibyte();
                var wall = Stopwatch.GetTimestamp();
                var thread = CpuNanoseconds(ClockThreadCpuTime);
                var process = CpuNanoseconds(ClockProcessCpuTime);
                for (var i = 0; i < mebibytes; i++)
                {
                    readOneMebibyte();
                }

                samples[mode].Add((
                    Stopwatch.GetElapsedTime(wall).TotalMicroseconds / mebibytes,
                    (CpuNanoseconds(ClockThreadCpuTime) - thread) / 1000.0 / mebibytes,
                    (CpuNanoseconds(ClockProcessCpuTime) - process) / 1000.0 / mebibytes));
            }
        }

        switchTrace(IoTraceMode.Off);
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Format(c, "{0}: {1} rounds x {2} MiB per mode, interleaved; µs per MiB, min / p25 / median (median vs Off)", name, rounds, mebibytes));
        var off = samples[(int)IoTraceMode.Off];
        for (var m = 0; m < modes.Length; m++)
        {
            var s = samples[m];
            output.WriteLine(string.Format(c, "  {0,-6} wall {1}   machine-thread CPU {2}   process CPU {3}", modes[m],
                Figures(s.Select(x => x.Wall), off.Select(x => x.Wall)),
                Figures(s.Select(x => x.Thread), off.Select(x => x.Thread)),
                Figures(s.Select(x => x.Process), off.Select(x => x.Process))));
        }
    }

    private static string Figures(IEnumerable<double> values, IEnumerable<double> offValues)
    {
        var sorted = values.Order().ToArray();
        var median = Quantile(sorted, 0.5);
        var offMedian = Quantile(offValues.Order().ToArray(), 0.5);
        return string.Format(CultureInfo.InvariantCulture, "{0:0} / {1:0} / {2:0} ({3:+0.0;-0.0;0.0} %)",
            sorted[0], Quantile(sorted, 0.25), median, (median / offMedian - 1) * 100);
    }

    private static double Quantile(double[] sorted, double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];

    private static long CpuNanoseconds(int clock)
    {
        if (ClockGetTime(clock, out var time) != 0)
        {
            throw new InvalidOperationException($"clock_gettime({clock}) failed");
        }

        return (time.Seconds * 1_000_000_000) + time.Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
