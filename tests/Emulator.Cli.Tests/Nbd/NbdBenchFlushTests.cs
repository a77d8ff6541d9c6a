using Emulator.Cli.Tests.Img;

namespace Emulator.Cli.Tests.Nbd;

/// <summary>
/// <c>emu img bench -w</c> sends the requests qemu-img bench sends, flushes included: with <c>--flush-interval</c> a
/// completion that leaves a multiple of the interval unsubmitted asks for a flush, which by default waits until the
/// requests in flight are done and runs alone (<c>--no-drain</c>: at once, beside them), and the image is flushed
/// once more when the run ends, outside its timed part. nbdkit's log filter records each tool's requests in order.
/// </summary>
public class NbdBenchFlushTests : ImgTestBase
{
    private NbdPeers _peers = null!;

    [SetUp]
    public void SetUpPeers()
    {
        NbdPeers.Require("qemu-img", "nbdkit");
        _peers = new NbdPeers(Dir);
    }

    [TearDown]
    public void TearDownPeers() => _peers.Dispose();

    // Flushes: one as the run ends; with an interval, one each time 96, 80, … 0 (or 96, 84, … 0) requests are left
    // unsubmitted, the first right at the first completion (100 requests, 4 submitted at once).
    [TestCase(0, 1)]
    [TestCase(16, 8)]
    [TestCase(12, 10)]
    public void Bench_Writes_SameRequestsInTheSameOrderAsQemuImg(int interval, int flushes)
    {
        string[] bench = ["bench", "-w", "-f", "raw", "-c", "100", "-d", "4", .. (interval == 0 ? [] : new[] { $"--flush-interval={interval}" })];

        var ours = RequestsSeenByNbdkit("emu", uri => EmuOk([.. bench, uri]));
        var theirs = RequestsSeenByNbdkit("qemu", uri => _peers.RunOk("qemu-img", [.. bench, uri]));

        // Draining, a flush is sent only when no write is in flight and no write follows it until it is done, so the
        // server logs the same sequence whatever the timing.
        Assert.That(ours, Is.EqualTo(theirs));
        Assert.That((ours.Count(op => op == 'W'), ours.Count(op => op == 'F')), Is.EqualTo((100, flushes)));
    }

    [Test]
    public void Bench_NoDrain_AsManyFlushesAsQemuImg()
    {
        string[] bench = ["bench", "-w", "-f", "raw", "-c", "100", "-d", "4", "--flush-interval=16", "--no-drain"];

        var ours = RequestsSeenByNbdkit("emu", uri => EmuOk([.. bench, uri]));
        var theirs = RequestsSeenByNbdkit("qemu", uri => _peers.RunOk("qemu-img", [.. bench, uri]));

        // Without draining the flushes go out beside the writes, so only the counts are fixed.
        Assert.That((ours.Count(op => op == 'W'), ours.Count(op => op == 'F')), Is.EqualTo((theirs.Count(op => op == 'W'), theirs.Count(op => op == 'F'))));
        Assert.That(ours.Count(op => op == 'W'), Is.EqualTo(100));
    }

    /// <summary>Runs <paramref name="bench"/> against a fresh nbdkit memory export: its writes and flushes in the order the server logged them, W and F.</summary>
    private string RequestsSeenByNbdkit(string name, Action<string> bench) =>
        string.Concat(_peers.LoggedByNbdkit(name, "1M", bench)
            .Select(line => line.Contains(" Write id=", StringComparison.Ordinal) ? "W" : line.Contains(" Flush id=", StringComparison.Ordinal) ? "F" : string.Empty));
}
