using Emulator.Block.Tracing;
using Emulator.Block.Tracing.Export;

namespace Emulator.Devices.Tests.Tracing;

/// <summary>Assembles a session's spans for device tests.</summary>
internal sealed class SpanCollectingSink : IIoTraceSink
{
    private readonly IoSpanAssembler _assembler;

    public SpanCollectingSink()
    {
        _assembler = new IoSpanAssembler(Spans.Add);
    }

    public List<IoSpan> Spans { get; } = [];

    public void OnEntries(ReadOnlySpan<IoTraceEntry> entries)
    {
        foreach (var entry in entries)
        {
            _assembler.Add(entry);
        }
    }

    public void Complete(long dropped) => _assembler.Flush();
}
