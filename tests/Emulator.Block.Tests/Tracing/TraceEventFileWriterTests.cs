using System.Text.Json;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Qcow2;
using Emulator.Block.Tests.Support;
using Emulator.Block.Tracing;
using Emulator.Block.Tracing.Export;

namespace Emulator.Block.Tests.Tracing;

/// <summary>The Trace Event Format file: parsed back with System.Text.Json, every slice closes and the flows connect.</summary>
[NonParallelizable]
public class TraceEventFileWriterTests
{
    private const int Requests = 12;
    private BlockHarness _h = null!;
    private JsonElement[] _events = [];
    private JsonElement _root;

    [OneTimeSetUp]
    public void TraceSomeRequests()
    {
        _h = new BlockHarness();
        var image = Path.Combine(_h.TempDir, "t.qcow2");
        Qcow2Creator.Create(image, new Qcow2CreateOptions { Size = 4 << 20, ClusterSize = 4096 });
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "disk0" }, new Qcow2NodeOptions(new FileNodeOptions(image)));
        var handler = new CountingHandler();
        var request = new BlockRequest(handler) { TraceTrack = IoTrace.RegisterTrack("writer-test/q0") };
        var buffer = new byte[8192];
        using var stream = new MemoryStream();
        var writer = new TraceEventFileWriter(stream);
        var session = IoTraceCollector.Start(writer);
        for (var i = 0; i < Requests; i++)
        {
            // Writes allocate clusters (metadata, COW of the partial cluster); reads look them up.
            if (i % 2 == 0)
            {
                request.PrepareWrite(i * 6000L, buffer);
            }
            else
            {
                request.PrepareRead(i * 6000L, buffer);
            }

            IoTrace.Doorbell(request.TraceTrack);
            backend.Submit(request);
            while (handler.Completed <= i)
            {
                if (_h.Layer.Completions.RunPending() == 0)
                {
                    _h.Layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(20));
                }
            }
        }

        session.Stop();
        using var document = JsonDocument.Parse(stream.ToArray());
        _root = document.RootElement.Clone();
        _events = _root.GetProperty("traceEvents").EnumerateArray().ToArray();
    }

    [OneTimeTearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void File_ObjectForm_HasEventsAndRequestCount()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_root.GetProperty("displayTimeUnit").GetString(), Is.EqualTo("ns"));
            Assert.That(_events, Is.Not.Empty);
            Assert.That(_events.All(e => e.TryGetProperty("ph", out _) && e.TryGetProperty("pid", out _)), Is.True, "every event has ph and pid");
            Assert.That(_root.GetProperty("otherData").GetProperty("requests").GetInt64(), Is.EqualTo(Requests));
            Assert.That(_root.GetProperty("otherData").GetProperty("dropped_records").GetInt64(), Is.Zero);
        });
    }

    [Test]
    public void AsyncSlices_EveryBeginHasItsEnd()
    {
        var opened = new Dictionary<(long, string, string), int>();
        foreach (var e in _events.Where(e => Ph(e) is "b" or "e"))
        {
            var key = (e.GetProperty("id").GetInt64(), e.GetProperty("cat").GetString()!, e.GetProperty("name").GetString()!);
            opened[key] = opened.GetValueOrDefault(key) + (Ph(e) == "b" ? 1 : -1);
        }

        Assert.That(opened.Values, Is.All.Zero);
        Assert.That(opened.Keys.Count(k => k.Item2 == TraceEventFileWriter.RequestCategory), Is.EqualTo(Requests));
    }

    [Test]
    public void DriverSlices_NestPerThread_AndAllClose()
    {
        var stacks = new Dictionary<(int, int), Stack<string>>();
        var nestedUnderMetadata = 0;
        foreach (var e in _events.Where(e => Ph(e) is "B" or "E").OrderBy(e => e.GetProperty("ts").GetDouble()))
        {
            var key = (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32());
            var stack = stacks.TryGetValue(key, out var s) ? s : stacks[key] = new Stack<string>();
            var name = e.GetProperty("name").GetString()!;
            if (Ph(e) == "B")
            {
                nestedUnderMetadata += stack.TryPeek(out var parent) && parent.EndsWith("metadata read", StringComparison.Ordinal) ? 1 : 0;
                stack.Push(name);
            }
            else
            {
                Assert.That(stack.Pop(), Is.EqualTo(name));
            }
        }

        Assert.That(stacks.Values.Select(s => s.Count), Is.All.Zero);
        Assert.That(nestedUnderMetadata, Is.GreaterThan(0), "a file read ran inside a qcow2 metadata read");
    }

    [Test]
    public void Flows_EachStartHasAStepAndAnEnd()
    {
        var ids = _events.Where(e => e.TryGetProperty("cat", out var cat) && cat.GetString() == TraceEventFileWriter.FlowCategory)
            .GroupBy(e => e.GetProperty("id").GetInt64())
            .Select(g => string.Concat(g.Select(Ph).Order(StringComparer.Ordinal)))
            .ToList();

        Assert.That(ids, Has.Count.EqualTo(Requests));
        Assert.That(ids, Is.All.EqualTo("fst"));
    }

    [Test]
    public void RequestEnd_CarriesTheSpanWithStagesInOrder()
    {
        var ends = _events.Where(e => Ph(e) == "e" && e.GetProperty("cat").GetString() == TraceEventFileWriter.RequestCategory).ToList();
        Assume.That(ends, Has.Count.EqualTo(Requests));
        var first = ends.Select(e => e.GetProperty("args")).First(a => a.GetProperty("op").GetString() == "write");
        var stages = first.GetProperty("stages").EnumerateObject().Select(p => (p.Name, p.Value.GetProperty("us").GetDouble())).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(first.GetProperty("device").GetString(), Is.EqualTo("writer-test/q0"));
            Assert.That(first.GetProperty("drive").GetString(), Is.EqualTo("disk0"));
            Assert.That(first.GetProperty("length").GetInt64(), Is.EqualTo(8192));
            Assert.That(first.GetProperty("result").GetString(), Is.EqualTo("None"));
            Assert.That(stages.Select(s => s.Name), Is.EqualTo(new[] { "doorbell", "submitted", "driver_start", "driver_end", "queued", "delivered" }));
            Assert.That(stages.Select(s => s.Item2), Is.Ordered);
        });
    }

    private static string Ph(JsonElement e) => e.GetProperty("ph").GetString()!;
}
