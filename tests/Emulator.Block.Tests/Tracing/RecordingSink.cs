using Emulator.Block.Tracing;
using Emulator.Block.Tracing.Export;

namespace Emulator.Block.Tests.Tracing;

/// <summary>A sink that keeps every entry and assembles spans, for tests.</summary>
internal sealed class RecordingSink : IIoTraceSink
{
    private readonly IoSpanAssembler _assembler;

    public RecordingSink()
    {
        _assembler = new IoSpanAssembler(Spans.Add);
    }

    public List<IoTraceEntry> Entries { get; } = [];

    public List<IoSpan> Spans { get; } = [];

    public bool Completed { get; private set; }

    public long Dropped { get; private set; }

    public void OnEntries(ReadOnlySpan<IoTraceEntry> entries)
    {
        foreach (var entry in entries)
        {
            Entries.Add(entry);
            _assembler.Add(entry);
        }
    }

    public void Complete(long dropped)
    {
        _assembler.Flush();
        Dropped = dropped;
        Completed = true;
    }
}
