using Emulator.Block.Tracing;
using Emulator.Block.Tracing.Export;
using Emulator.Machine.Loop;

namespace Emulator.Benchmarks.Tracing;

/// <summary>
/// An I/O trace session for a benchmark's <see cref="IoTraceMode"/>: the machine's clocks, the collector
/// thread, and either a sink that discards (<see cref="IoTraceMode.Rings"/>) or the whole <c>--io-trace</c>
/// pipeline with its JSON going to <see cref="Stream.Null"/> (<see cref="IoTraceMode.File"/>).
/// </summary>
internal sealed class BenchmarkIoTrace : IDisposable
{
    private readonly IoTraceCollector _collector;
    private readonly TraceEventFileWriter? _writer;

    private BenchmarkIoTrace(IoTraceMode mode, PcMachine machine)
    {
        IoTrace.Clock = new Clock(machine);
        _writer = mode == IoTraceMode.File ? new TraceEventFileWriter(Stream.Null) : null;
        _collector = IoTraceCollector.Start(_writer as IIoTraceSink ?? new DiscardSink());
    }

    public static BenchmarkIoTrace? Start(IoTraceMode mode, PcMachine machine) => mode == IoTraceMode.Off ? null : new BenchmarkIoTrace(mode, machine);

    public void Dispose()
    {
        _collector.Dispose();
        _writer?.Dispose();
        IoTrace.Clock = null;
    }

    private sealed class DiscardSink : IIoTraceSink
    {
        public void OnEntries(ReadOnlySpan<IoTraceEntry> entries)
        {
        }

        public void Complete(long dropped)
        {
        }
    }

    private sealed class Clock(PcMachine machine) : IIoTraceClock
    {
        public long VirtualNanoseconds => machine.Clock.Now;

        public long GuestInstructions => machine.InstructionsExecuted;
    }
}
