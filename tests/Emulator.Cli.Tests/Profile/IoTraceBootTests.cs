using System.Text.Json;

namespace Emulator.Cli.Tests.Profile;

/// <summary>
/// <c>emu boot --io-trace FILE</c> on the demo guest (which reads through the floppy, IDE disk, virtio-blk
/// and ATAPI paths), the file parsed back with System.Text.Json, and <c>emu profile</c> on it.
/// </summary>
[NonParallelizable]
public class IoTraceBootTests
{
    private string _dir = null!;
    private string _trace = null!;
    private JsonElement[] _events = [];

    [OneTimeSetUp]
    public void BootTheDemoWithATrace()
    {
        _dir = Directory.CreateTempSubdirectory("emu-io-trace-").FullName;
        _trace = Path.Combine(_dir, "demo.json");
        var status = EmuCommand.Run(["boot", "--timeout", "60", "--io-trace", _trace], new StringReader(string.Empty), new StringWriter(), new StringWriter());
        Assert.That(status, Is.Zero, "the demo powers off through ACPI");
        using var document = JsonDocument.Parse(File.ReadAllBytes(_trace));
        _events = document.RootElement.GetProperty("traceEvents").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    [OneTimeTearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Trace_DemoGuest_OneTrackPerDeviceQueueAndOneForTheBlockLayer()
    {
        var processes = _events.Where(e => Ph(e) == "M" && e.GetProperty("name").GetString() == "process_name")
            .Select(e => e.GetProperty("args").GetProperty("name").GetString()).ToList();

        Assert.That(processes, Is.SupersetOf(new[] { "block layer", "fdc0", "ide.0", "ide.1", "virtio-blk virtio0/q0" }));
    }

    [Test]
    public void Trace_EveryRequestSpan_Closes()
    {
        var begins = _events.Where(e => Ph(e) == "b" && Cat(e) == "request").Select(e => e.GetProperty("id").GetInt64()).Order().ToList();
        var ends = _events.Where(e => Ph(e) == "e" && Cat(e) == "request").Select(e => e.GetProperty("id").GetInt64()).Order().ToList();

        Assert.That(begins, Is.Not.Empty);
        Assert.That(ends, Is.EqualTo(begins));
    }

    [Test]
    public void Trace_GuestRequests_CarryGuestAndHostStages()
    {
        var spans = _events.Where(e => Ph(e) == "e" && Cat(e) == "request").Select(e => e.GetProperty("args")).ToList();

        Assert.Multiple(() =>
        {
            foreach (var args in spans)
            {
                var stages = args.GetProperty("stages");
                Assert.That(stages.TryGetProperty("doorbell", out _), Is.True, $"{args.GetProperty("device")}: doorbell");
                Assert.That(stages.TryGetProperty("submitted", out _), Is.True, "submitted");
                Assert.That(stages.TryGetProperty("delivered", out _), Is.True, "delivered");
                Assert.That(args.GetProperty("result").GetString(), Is.EqualTo("None"));
            }

            // A device's decode and the backend's submit are one reading, and the file says which stage borrowed it.
            Assert.That(spans.Where(a => a.GetProperty("stages").TryGetProperty("decoded", out _))
                .Select(a => a.GetProperty("stages").GetProperty("submitted").TryGetProperty("shared_reading", out var shared) && shared.GetBoolean()), Is.Not.Empty.And.All.True);

            // The IDE and floppy paths interrupt and the BIOS acknowledges; the guest-side instruction count is there.
            Assert.That(spans.Where(a => a.GetProperty("device").GetString() == "ide.0").All(a => a.TryGetProperty("guest_instructions", out _)), Is.True);
        });
    }

    [Test]
    public void Trace_VirtioCompletion_DeliveredWithoutWaitingForTheCpuSliceToEnd()
    {
        // A page-cached read completes inline; the notify ends the CPU slice so the loop delivers it at once.
        // Before, every virtio-blk request waited for the slice's end: 20 000 instructions, 200 µs virtual.
        const long SliceNanoseconds = 200_000;
        var stages = _events.Where(e => Ph(e) == "e" && Cat(e) == "request")
            .Select(e => e.GetProperty("args"))
            .Single(a => a.GetProperty("device").GetString()!.StartsWith("virtio-blk", StringComparison.Ordinal))
            .GetProperty("stages");

        var waited = stages.GetProperty("delivered").GetProperty("vns").GetInt64() - stages.GetProperty("doorbell").GetProperty("vns").GetInt64();

        Assert.That(waited, Is.LessThan(SliceNanoseconds));
    }

    [Test]
    public void Profile_DemoTrace_PrintsEveryDeviceWithPercentiles()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var status = EmuCommand.Run(["profile", _trace], new StringReader(string.Empty), output, error);

        var text = output.ToString();
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.Zero, error.ToString());
            Assert.That(text, Does.Contain("fdc0 read: 2 requests, 1.0 KiB"));
            Assert.That(text, Does.Contain("ide.0 read:"));
            Assert.That(text, Does.Contain("virtio-blk virtio0/q0 read:"));
            Assert.That(text, Does.Contain("wall p50 / p90 / p99 / max"));
            Assert.That(text, Does.Contain("queued → delivered (fixed point)"));

            // The devices submit the moment they have decoded: one clock reading, and the profile says so.
            Assert.That(text, Does.Contain("stamped with one clock reading"));
            Assert.That(text, Does.Match(@"decoded = submitted\s+\d+ of \d+"));
        });
    }

    [TestCase(false, new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' })]
    [TestCase(true, new byte[] { (byte)'<', (byte)'?', (byte)'x', (byte)'m' })]
    public void Profile_Plot_WritesALatencyHistogramAndATimelinePerDevice(bool svg, byte[] magic)
    {
        var plots = Path.Combine(_dir, svg ? "svg" : "png");
        string[] args = svg ? ["profile", _trace, "--plot", plots, "--svg"] : ["profile", _trace, "--plot", plots];

        var status = EmuCommand.Run(args, new StringReader(string.Empty), new StringWriter(), new StringWriter());

        var files = Directory.GetFiles(plots).Select(Path.GetFileName).ToList();
        var extension = svg ? ".svg" : ".png";
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.Zero);
            Assert.That(files, Does.Contain("ide.0-read-latency" + extension));
            Assert.That(files, Does.Contain("virtio-blk_virtio0_q0-read-timeline" + extension));
            Assert.That(File.ReadAllBytes(Path.Combine(plots, "ide.0-read-latency" + extension)).Take(4), Is.EqualTo(magic));
        });
    }

    [Test]
    public void Profile_NotATrace_ExitsOneWithAMessage()
    {
        var bogus = Path.Combine(_dir, "bogus.json");
        File.WriteAllText(bogus, "{\"hello\": 1}");
        var error = new StringWriter();

        var status = EmuCommand.Run(["profile", bogus], new StringReader(string.Empty), new StringWriter(), error);

        Assert.That(status, Is.EqualTo(1));
        Assert.That(error.ToString(), Does.Contain("not a Trace Event Format file"));
    }

    [Test]
    public void Boot_IoTraceInMissingFolder_ExitsOneBeforeTheGuestRuns()
    {
        var error = new StringWriter();

        var status = EmuCommand.Run(["boot", "--io-trace", Path.Combine(_dir, "no", "such", "t.json")], new StringReader(string.Empty), new StringWriter(), error);

        Assert.That(status, Is.EqualTo(1));
        Assert.That(error.ToString(), Does.StartWith("emu boot: --io-trace:"));
    }

    private static string? Ph(JsonElement e) => e.GetProperty("ph").GetString();

    private static string? Cat(JsonElement e) => e.TryGetProperty("cat", out var cat) ? cat.GetString() : null;
}
