using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Tests.Support;
using Emulator.Block.Tracing;

namespace Emulator.Block.Tests.Tracing;

/// <summary>
/// Shared clock readings (docs/io-tracing.md): stages that follow each other in one synchronous call chain
/// take one reading and say so; every stage is still recorded; a node that does work of its own never lends
/// or borrows one.
/// </summary>
[NonParallelizable]
public class IoTraceSharedReadingTests
{
    private const int Sector = 512;
    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void RawOverFile_Read_DecodeAndSubmitShareOneReadingRawBorrowsItsChildsAndQueuedTheRootEnd()
    {
        var backend = _h.Layer.OpenImage(new BlockBackendOptions { Name = "shared-raw" }, _h.CreateImage(1 << 20), "raw");
        var track = IoTrace.RegisterTrack("shared-raw/q0");
        var records = Trace(backend, track, offset: 0);
        var raw = backend.Root!.TraceName;
        var file = backend.Root.File!.Node.TraceName;

        var decoded = records.Single(r => r.Stage == IoTraceStage.Decoded);
        var submitted = records.Single(r => r.Stage == IoTraceStage.Submitted);
        var begins = records.Where(r => r.Stage == IoTraceStage.DriverBegin).ToList();
        var ends = records.Where(r => r.Stage == IoTraceStage.DriverEnd).ToList();
        var queued = records.Single(r => r.Stage == IoTraceStage.Queued);
        var delivered = records.Single(r => r.Stage == IoTraceStage.Delivered);
        var lastRawEnd = ends.Last(r => r.Name == raw);
        Assert.Multiple(() =>
        {
            // Every stage is there, in order: doorbell, decoded, submitted, (raw { file })+, queued, delivered.
            Assert.That(records[0].Stage, Is.EqualTo(IoTraceStage.Doorbell));
            Assert.That(records[0].SharesPreviousReading, Is.False);
            Assert.That(decoded.SharesPreviousReading, Is.False);
            Assert.That(submitted.SharesPreviousReading, Is.True);
            Assert.That(submitted.HostTicks, Is.EqualTo(decoded.HostTicks));
            Assert.That(decoded.HostTicks, Is.GreaterThanOrEqualTo(records[0].HostTicks));

            Assert.That(begins, Is.Not.Empty);
            Assert.That(begins.Where(r => r.Name == raw).Select(r => r.SharesPreviousReading), Is.All.False, "raw's start takes a reading");
            Assert.That(begins.Where(r => r.Name == file).Select(r => r.SharesPreviousReading), Is.All.True, "the file's start borrows raw's");
            Assert.That(ends.Where(r => r.Name == file).Select(r => r.SharesPreviousReading), Is.All.False, "the file's end takes a reading");
            Assert.That(ends.Where(r => r.Name == raw).Select(r => r.SharesPreviousReading), Is.All.True, "raw's end borrows the file's");
            for (var i = 0; i + 1 < begins.Count; i += 2)
            {
                Assert.That(begins[i + 1].HostTicks, Is.EqualTo(begins[i].HostTicks));
            }

            Assert.That(queued.SharesPreviousReading, Is.True, "the driver finished inline, the backend posted at once");
            Assert.That(queued.HostTicks, Is.EqualTo(lastRawEnd.HostTicks));
            Assert.That(delivered.SharesPreviousReading, Is.False);
            Assert.That(delivered.HostTicks, Is.GreaterThanOrEqualTo(queued.HostTicks));
        });
    }

    [Test]
    public void Qcow2_Read_FileReadsUnderQcow2TakeTheirOwnReadingsAndQueuedSharesOnlyQcow2sEnd()
    {
        var image = Path.Combine(_h.TempDir, "shared.qcow2");
        Qcow2Creator.Create(image, new Qcow2CreateOptions { Size = 1 << 20 });
        var writer = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "shared-w" }, new Qcow2NodeOptions(new FileNodeOptions(image)));
        Assert.That(writer.Write(65536, new byte[Sector]), Is.EqualTo(BlockError.None));
        writer.Unref();
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "shared-q" }, new Qcow2NodeOptions(new FileNodeOptions(image)));
        var qcow2 = backend.Root!.TraceName;

        var records = Trace(backend, IoTrace.RegisterTrack("shared-qcow2/q0"), offset: 65536);

        var driver = records.Where(r => r.Stage is IoTraceStage.DriverBegin or IoTraceStage.DriverEnd).ToList();
        var queued = records.Single(r => r.Stage == IoTraceStage.Queued);
        var lastQcow2End = driver.Last(r => r.Stage == IoTraceStage.DriverEnd && r.Name == qcow2);
        Assert.Multiple(() =>
        {
            Assert.That(driver.Count(r => r.Name != qcow2), Is.GreaterThanOrEqualTo(4), "metadata and data reads of the file");
            Assert.That(driver.Select(r => r.SharesPreviousReading), Is.All.False, "qcow2 works between its start and its file's, so nothing is shared");
            Assert.That(queued.SharesPreviousReading, Is.EqualTo(queued.HostTicks == lastQcow2End.HostTicks));
            if (queued.SharesPreviousReading)
            {
                Assert.That(queued.HostTicks, Is.EqualTo(lastQcow2End.HostTicks), "only the root node's end is lent to queued");
            }
        });
    }

    [Test]
    public void Decoded_WithoutASubmit_IsWrittenByTheNextStampWithItsOwnReading()
    {
        var track = IoTrace.RegisterTrack("shared-lonely/q0");
        var sink = new RecordingSink();
        var session = IoTraceCollector.Start(sink);

        IoTrace.Decoded(track);
        IoTrace.Doorbell(track);
        session.Stop();

        var records = sink.Entries.Select(e => e.Record).Where(r => r.Track == track).ToList();
        Assert.That(records.Select(r => (r.Stage, r.SharesPreviousReading)), Is.EqualTo(new[]
        {
            (IoTraceStage.Decoded, false),
            (IoTraceStage.Doorbell, false),
        }));
    }

    [Test]
    public void Decoded_InAnEarlierSession_IsNotWrittenIntoTheNext()
    {
        var track = IoTrace.RegisterTrack("shared-stale/q0");
        IoTraceCollector.Start(new RecordingSink()).Stop();
        var first = IoTraceCollector.Start(new RecordingSink());
        IoTrace.Decoded(track);
        first.Stop();
        var sink = new RecordingSink();
        var second = IoTraceCollector.Start(sink);

        IoTrace.Doorbell(track);
        second.Stop();

        Assert.That(sink.Entries.Where(e => e.Record.Track == track).Select(e => e.Record.Stage), Is.EqualTo(new[] { IoTraceStage.Doorbell }));
    }

    /// <summary>One read as a device makes it (doorbell, decode, submit), played to delivery; the records of this thread's track and span.</summary>
    private List<IoTraceRecord> Trace(BlockBackend backend, int track, long offset)
    {
        var handler = new CountingHandler();
        var request = new BlockRequest(handler) { TraceTrack = track };
        var sink = new RecordingSink();
        var session = IoTraceCollector.Start(sink);
        request.PrepareRead(offset, new byte[Sector]);
        IoTrace.Doorbell(track);
        IoTrace.Decoded(track);
        backend.Submit(request);
        var completions = _h.Layer.Completions;
        while (handler.Completed == 0)
        {
            if (completions.RunPending() == 0)
            {
                completions.WaitForPending(TimeSpan.FromMilliseconds(20));
            }
        }

        session.Stop();
        var span = sink.Entries.Single(e => e.Record.Stage == IoTraceStage.Submitted && e.Record.Track == track).Record.Span;
        return sink.Entries.Select(e => e.Record).Where(r => r.Track == track || r.Span == span).ToList();
    }
}
