using Emulator.Block.Tracing;
using Emulator.Block.Tracing.Export;

namespace Emulator.Block.Tests.Tracing;

/// <summary>How records become spans: guest-side track events attributed by order on their track.</summary>
public class IoSpanAssemblerTests
{
    private const int TrackId = 3;
    private readonly List<IoSpan> _finished = [];
    private IoSpanAssembler _assembler = null!;
    private long _ticks;

    [SetUp]
    public void SetUp()
    {
        _finished.Clear();
        _assembler = new IoSpanAssembler(_finished.Add);
        _ticks = 1000;
    }

    [Test]
    public void FullRequest_AckedAfterInterrupt_ClosesWithEveryStage()
    {
        Track(IoTraceStage.Doorbell);
        Track(IoTraceStage.Decoded);
        Submit(1);
        Span(IoTraceStage.Queued, 1);
        Span(IoTraceStage.Delivered, 1);
        Track(IoTraceStage.Interrupt);
        var openBeforeAck = _finished.Count;
        Track(IoTraceStage.Acknowledged);

        var span = _finished.Single();
        Assert.Multiple(() =>
        {
            Assert.That(openBeforeAck, Is.Zero, "a span waits for the guest's acknowledgement");
            foreach (var stage in new[] { IoSpanStage.Doorbell, IoSpanStage.Decoded, IoSpanStage.Submitted, IoSpanStage.Queued, IoSpanStage.Delivered, IoSpanStage.Interrupt, IoSpanStage.Acknowledged })
            {
                Assert.That(span[stage].IsSet, Is.True, stage.ToString());
            }

            Assert.That(span[IoSpanStage.Acknowledged].HostTicks, Is.GreaterThan(span[IoSpanStage.Interrupt].HostTicks));
        });
    }

    [Test]
    public void OneInterrupt_TwoDeliveredSpans_BothGetIt()
    {
        Track(IoTraceStage.Doorbell);
        Submit(1);
        Submit(2);
        Span(IoTraceStage.Delivered, 1);
        Span(IoTraceStage.Delivered, 2);
        Track(IoTraceStage.Interrupt);
        Track(IoTraceStage.Acknowledged);

        Assert.That(_finished.Select(s => s[IoSpanStage.Interrupt].IsSet), Is.EqualTo(new[] { true, true }));
        Assert.That(_finished.Select(s => s[IoSpanStage.Doorbell]).Distinct().Count(), Is.EqualTo(1), "one doorbell started both");
    }

    [Test]
    public void PollingGuest_NoAck_SpanClosesAtNextDoorbell()
    {
        Track(IoTraceStage.Doorbell);
        Submit(1);
        Span(IoTraceStage.Delivered, 1);
        Track(IoTraceStage.Interrupt);
        Track(IoTraceStage.Doorbell);

        var span = _finished.Single();
        Assert.That(span[IoSpanStage.Acknowledged].IsSet, Is.False);
        Assert.That(span[IoSpanStage.Interrupt].IsSet, Is.True);
    }

    [Test]
    public void Flush_UndeliveredSpan_ClosesIncomplete()
    {
        Submit(7);

        _assembler.Flush();

        Assert.That(_finished.Single().Result, Is.EqualTo(-1));
    }

    [Test]
    public void DriverStages_NestedNodes_OutermostGivesTheHostWindow()
    {
        Submit(1);
        Driver(IoTraceStage.DriverBegin, 1);
        Driver(IoTraceStage.DriverBegin, 1);
        var innerEnd = Driver(IoTraceStage.DriverEnd, 1);
        var outerEnd = Driver(IoTraceStage.DriverEnd, 1);
        Span(IoTraceStage.Delivered, 1);
        _assembler.Flush();

        Assert.That(_finished.Single()[IoSpanStage.DriverEnd].HostTicks, Is.EqualTo(outerEnd).And.Not.EqualTo(innerEnd));
    }

    private void Track(IoTraceStage stage) => Add(new IoTraceRecord { Stage = stage, Track = TrackId, HostTicks = ++_ticks });

    private void Submit(long span) => Add(new IoTraceRecord { Stage = IoTraceStage.Submitted, Span = span, Track = TrackId, HostTicks = ++_ticks, QueueDepth = 1 });

    private void Span(IoTraceStage stage, long span) => Add(new IoTraceRecord { Stage = stage, Span = span, Track = -1, HostTicks = ++_ticks });

    private long Driver(IoTraceStage stage, long span)
    {
        Add(new IoTraceRecord { Stage = stage, Span = span, Track = -1, HostTicks = ++_ticks, Op = IoTraceOp.Read }, thread: 2);
        return _ticks;
    }

    private void Add(IoTraceRecord record, int thread = 0) => _assembler.Add(new IoTraceEntry(record, thread));
}
