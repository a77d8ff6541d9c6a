using Emulator.Block.Tracing;
using Emulator.Block.Tracing.Export;
using Emulator.Devices.Tests.Floppy;
using static Emulator.Devices.Tests.Floppy.FloppyTestBed;

namespace Emulator.Devices.Tests.Tracing;

/// <summary>The floppy controller's stamps: a READ DATA traced from the command byte to the result read, at no allocation.</summary>
[NonParallelizable]
public class FloppyTracingTests
{
    private const byte ReadData = 0x46;
    private const uint Buffer = 0x10000;

    [Test]
    public void ReadData_Traced_SpanRunsFromCommandToResultRead()
    {
        using var bed = new FloppyTestBed();
        bed.AttachImage(0, 1_474_560);
        bed.Start();
        bed.ResetController();
        var sink = new SpanCollectingSink();
        var session = IoTraceCollector.Start(sink);
        RunRead(bed);
        session.Stop();

        // The controller reads sector by sector: one backend request each, one interrupt and one result read for the command.
        Assert.That(sink.Spans.Select(s => s.Offset), Is.EqualTo(new[] { 0L, 512L }));
        Assert.Multiple(() =>
        {
            foreach (var span in sink.Spans)
            {
                Assert.That(IoTrace.NameOf(span.Track), Is.EqualTo("fdc0"));
                Assert.That(span.Op, Is.EqualTo(IoTraceOp.Read));
                Assert.That(span.Result, Is.Zero);
                foreach (var stage in Enum.GetValues<IoSpanStage>())
                {
                    Assert.That(span[stage].IsSet, Is.True, stage.ToString());
                }

                Assert.That(span.Stamps.Select(s => s.HostTicks), Is.Ordered);
            }

            Assert.That(sink.Spans[0][IoSpanStage.Acknowledged], Is.EqualTo(sink.Spans[1][IoSpanStage.Acknowledged]));
        });
    }

    [Test]
    public void ReadData_TracingOn_AllocatesNothingOnTheMachineThread()
    {
        using var bed = new FloppyTestBed();
        bed.AttachImage(0, 1_474_560);
        bed.Start();
        bed.ResetController();
        using var session = IoTraceCollector.Start(new SpanCollectingSink());

        RunRead(bed);
        RunRead(bed);
        var before = GC.GetAllocatedBytesForCurrentThread();
        RunRead(bed);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
    }

    /// <summary>One READ DATA of two sectors by DMA, result phase read out, allocating nothing itself.</summary>
    private static void RunRead(FloppyTestBed bed) => bed.RunTwoSectorDmaCommand(ReadData, DmaModeWriteCh2, Buffer);
}
