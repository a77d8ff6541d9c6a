using System.Reflection;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace Emulator.Benchmarks.Cpu;

/// <summary>
/// <see cref="TranslatorBenchmarks"/>' loops timed by the machine thread's own CPU time
/// (CLOCK_THREAD_CPUTIME_ID) instead of wall time: on a shared, loaded host the time the thread spends
/// descheduled drops out, so two builds run one after the other compare far better than BenchmarkDotNet's
/// wall-clock medians do. Each round runs every loop once (<see cref="TranslatorBenchmarks.InstructionsPerInvoke"/>
/// guest instructions), loops interleaved; prints the median ns per guest instruction of each loop.
/// </summary>
internal static partial class TranslatorCpuTime
{
    private const int ThreadCpuClock = 3;
    private const double NanosecondsPerSecond = 1e9;

    public static int Run(int rounds, string filter, TextWriter output)
    {
        var benchmarks = new TranslatorBenchmarks();
        benchmarks.Setup();
        var loops = typeof(TranslatorBenchmarks).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null && m.Name.Contains(filter, StringComparison.Ordinal))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToArray();
        var samples = loops.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < loops.Length; i++)
            {
                var start = ThreadCpuNanoseconds();
                loops[i].Invoke(benchmarks, null);
                samples[i].Add((ThreadCpuNanoseconds() - start) / TranslatorBenchmarks.InstructionsPerInvoke);
            }
        }

        for (var i = 0; i < loops.Length; i++)
        {
            samples[i].Sort();
            output.WriteLine($"{loops[i].Name,-28} {samples[i][samples[i].Count / 2],8:F3} ns/instruction (thread CPU, median of {rounds})");
        }

        return 0;
    }

    private static double ThreadCpuNanoseconds()
    {
        if (ClockGetTime(ThreadCpuClock, out var time) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        }

        return (time.Seconds * NanosecondsPerSecond) + time.Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
