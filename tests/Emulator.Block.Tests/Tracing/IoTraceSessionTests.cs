using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Tests.Support;
using Emulator.Block.Tracing;
using Emulator.Block.Tracing.Export;

namespace Emulator.Block.Tests.Tracing;

/// <summary>Requests through a real backend with a session running: what is stamped, and what it costs.</summary>
[NonParallelizable]
public class IoTraceSessionTests
{
    private const int Sector = 512;
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [TestCase(false, TestName = "Requests_TracingOff_AllocateNothing")]
    [TestCase(true, TestName = "Requests_TracingOn_AllocateNothing")]
    public void Requests_AllocateNothing(bool tracing)
    {
        var backend = _h.Layer.OpenImage(new BlockBackendOptions { Name = "alloc" }, _h.CreateImage(1 << 20), "raw");
        var handler = new CountingHandler();
        var request = new BlockRequest(handler) { TraceTrack = IoTrace.RegisterTrack("alloc-test") };
        var buffer = new byte[4096];
        using var session = tracing ? IoTraceCollector.Start(new RecordingSink()) : null;

        RunReads(backend, request, handler, buffer, 32);
        var before = GC.GetAllocatedBytesForCurrentThread();
        RunReads(backend, request, handler, buffer, 256);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
        Assert.That(handler.LastError, Is.EqualTo(BlockError.None));
    }

    [Test]
    public void TracingOff_Requests_RecordNothing()
    {
        var backend = _h.Layer.OpenImage(new BlockBackendOptions { Name = "off" }, _h.CreateImage(1 << 20), "raw");
        var handler = new CountingHandler();
        var request = new BlockRequest(handler);
        RunReads(backend, request, handler, new byte[Sector], 8);
        var sink = new RecordingSink();

        IoTraceCollector.Start(sink).Stop();

        Assert.That(sink.Entries, Is.Empty);
        Assert.That(IoTrace.Enabled, Is.False);
    }

    [Test]
    public void Session_ReadThroughQcow2_SpanHasEveryBackendStageAndMetadataNestsTheFileRead()
    {
        var image = Path.Combine(_h.TempDir, "traced.qcow2");
        Qcow2Creator.Create(image, new Qcow2CreateOptions { Size = 1 << 20 });
        var writer = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "w" }, new Qcow2NodeOptions(new FileNodeOptions(image)));
        Assert.That(writer.Write(65536, new byte[Sector]), Is.EqualTo(BlockError.None));
        writer.Unref();

        // A fresh open has an empty L2 cache, so the read looks its L2 table up in the file.
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "q" }, new Qcow2NodeOptions(new FileNodeOptions(image)));
        var handler = new CountingHandler();
        var request = new BlockRequest(handler) { TraceTrack = IoTrace.RegisterTrack("qcow2-test") };
        var sink = new RecordingSink();
        var session = IoTraceCollector.Start(sink);
        RunReads(backend, request, handler, new byte[Sector], 1, offset: 65536);
        session.Stop();

        var span = sink.Spans.Single();
        // The backend first tries the read without blocking (answered "would block" on a cold cache); then the worker reads.
        var driver = sink.Entries.Where(e => e.Record.Stage is IoTraceStage.DriverBegin or IoTraceStage.DriverEnd && e.Record.Span == span.Id && e.Record.Op != IoTraceOp.ReadNoWait)
            .Select(e => (e.Record.Stage, e.Record.Op)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(span.Op, Is.EqualTo(IoTraceOp.Read));
            Assert.That(span.Offset, Is.EqualTo(65536));
            Assert.That(span.Length, Is.EqualTo(Sector));
            Assert.That(span.Result, Is.Zero);
            Assert.That(span.QueueDepth, Is.EqualTo(1));
            Assert.That(IoTrace.NameOf(span.Track), Is.EqualTo("qcow2-test"));
            Assert.That(IoTrace.NameOf(span.Drive), Is.EqualTo("q"));
            foreach (var stage in new[] { IoSpanStage.Submitted, IoSpanStage.DriverStart, IoSpanStage.DriverEnd, IoSpanStage.Queued, IoSpanStage.Delivered })
            {
                Assert.That(span[stage].IsSet, Is.True, stage.ToString());
            }

            Assert.That(span[IoSpanStage.Delivered].HostTicks, Is.GreaterThanOrEqualTo(span[IoSpanStage.Submitted].HostTicks));

            // qcow2 read { qcow2 metadata read { file read } … file read }.
            Assert.That(driver.Take(3), Is.EqualTo(new[]
            {
                (IoTraceStage.DriverBegin, IoTraceOp.Read),
                (IoTraceStage.DriverBegin, IoTraceOp.MetadataRead),
                (IoTraceStage.DriverBegin, IoTraceOp.Read),
            }));
            Assert.That(driver.Count(d => d.Stage == IoTraceStage.DriverBegin), Is.EqualTo(driver.Count(d => d.Stage == IoTraceStage.DriverEnd)));
            Assert.That(sink.Completed, Is.True);
            Assert.That(sink.Dropped, Is.Zero);
        });
    }

    [Test]
    public void Start_WhileASessionRuns_Throws()
    {
        using var session = IoTraceCollector.Start(new RecordingSink());

        Assert.That(() => IoTraceCollector.Start(new RecordingSink()), Throws.InvalidOperationException);
    }

    [Test]
    public void Stop_EndsTheSession_TracingOffAndSinkCompleted()
    {
        var sink = new RecordingSink();
        var session = IoTraceCollector.Start(sink);
        var wasOn = IoTrace.Enabled;

        session.Stop();

        Assert.Multiple(() =>
        {
            Assert.That(wasOn, Is.True);
            Assert.That(IoTrace.Enabled, Is.False);
            Assert.That(IoTraceCollector.IsActive, Is.False);
            Assert.That(sink.Completed, Is.True);
        });
    }

    /// <summary>Submits <paramref name="count"/> reads one at a time and plays the loop; allocation-free (no closures).</summary>
    private void RunReads(BlockBackend backend, BlockRequest request, CountingHandler handler, byte[] buffer, int count, long offset = 0)
    {
        var completions = _h.Layer.Completions;
        var target = handler.Completed + count;
        var memory = buffer.AsMemory();
        for (var i = 0; i < count; i++)
        {
            request.PrepareRead(offset + ((long)i * buffer.Length % (backend.Length - buffer.Length)), memory);
            backend.Submit(request);
            var expected = target - count + i + 1;
            while (handler.Completed < expected)
            {
                if (completions.RunPending() == 0)
                {
                    completions.WaitForPending(TimeSpan.FromMilliseconds(20));
                }
            }
        }
    }
}
