using System.Globalization;

namespace Emulator.Cli.Tests.Fuzz;

/// <summary>
/// Images from hostile sources: <see cref="Qcow2Mutator"/> mutates seeds written by qemu-img and
/// <c>emu img create</c>, and <see cref="Qcow2ImageExerciser"/> opens, reads, writes, checks and
/// inspects each one in-process. Each image must be refused with a clear error or work: no other
/// exception type, no image taking longer than <see cref="ImageLimit"/>, no image allocating more than
/// <see cref="AllocationLimit"/>, no acknowledged write reading back different. The fixed-seed run
/// mutates 2,000 images; the campaign
/// (<c>EMU_QCOW2_FUZZ_COUNT=100000 EMU_QCOW2_FUZZ_SEED=1 dotnet test --filter "Category=FuzzLong"</c>)
/// as many as asked (<c>EMU_QCOW2_FUZZ_FIRST=4865 EMU_QCOW2_FUZZ_COUNT=1</c> replays one image). A finding names the seed, the image's index and its mutations, and leaves the
/// image in the test's work folder (qcow2-fuzz-findings/) to replay.
/// </summary>
[NonParallelizable]
public class Qcow2ImageFuzzTests
{
    private const int FixedCount = 2_000;
    private const long AllocationLimit = 64L << 20;
    private static readonly TimeSpan ImageLimit = TimeSpan.FromSeconds(20);

    private string _dir = null!;
    private Qcow2FuzzSeeds _seeds = null!;

    [OneTimeSetUp]
    public void CreateSeeds()
    {
        QemuTools.Require();
        _dir = Directory.CreateTempSubdirectory("emu-qcow2-fuzz-").FullName;
        _seeds = Qcow2FuzzSeeds.Create(_dir);
    }

    [OneTimeTearDown]
    public void DeleteSeeds()
    {
        if (_dir is not null)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Test]
    public void FixedSeed_MutatedImages_RefusedOrWorkingNeverEscaping() => Campaign(first: 0, FixedCount, seed: 1);

    [Test]
    [Explicit("campaign: 100,000 images take about an hour")]
    [Category("FuzzLong")]
    public void Long_MutatedImages_RefusedOrWorkingNeverEscaping() => Campaign(
        int.Parse(Environment.GetEnvironmentVariable("EMU_QCOW2_FUZZ_FIRST") ?? "0", CultureInfo.InvariantCulture),
        int.Parse(Environment.GetEnvironmentVariable("EMU_QCOW2_FUZZ_COUNT") ?? "100000", CultureInfo.InvariantCulture),
        int.Parse(Environment.GetEnvironmentVariable("EMU_QCOW2_FUZZ_SEED") ?? "1", CultureInfo.InvariantCulture));

    private void Campaign(int first, int count, int seed)
    {
        var layouts = _seeds.Images.Select(s => Qcow2FuzzLayout.Parse(s.Bytes)).ToArray();
        var findings = new List<string>();
        var path = Path.Combine(_dir, "fuzz.qcow2");
        var maxAllocated = 0L;
        var slowest = TimeSpan.Zero;
        var started = DateTime.UtcNow;
        using var exerciser = new Qcow2ImageExerciser();
        for (var i = first; i < first + count && findings.Count < 20; i++)
        {
            // Each image has its own generator, so one index replays without the ones before it (in any
            // process: HashCode.Combine would mix in a per-process seed and make the campaign unrepeatable).
            var random = new Random(unchecked((seed * 1_000_003) + i));
            var which = random.Next(layouts.Length);
            var (image, mutations) = Qcow2Mutator.Mutate(_seeds.Images[which].Bytes, layouts[which], random);
            File.WriteAllBytes(path, image);
            var what = $"seed {seed} image {i} ({_seeds.Images[which].Name}: {mutations})";

            var lostBefore = exerciser.LostWrites.Count;
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var run = Task.Factory.StartNew(() => exerciser.Exercise(path, random), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (!((IAsyncResult)run).AsyncWaitHandle.WaitOne(ImageLimit))
            {
                Keep(image, seed, i);
                Assert.Fail($"{what}: still running after {ImageLimit.TotalSeconds} s");
            }

            var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
            maxAllocated = Math.Max(maxAllocated, allocated);
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            var finding = run.Exception?.InnerException is { } e ? $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}"
                : exerciser.LostWrites.Count > lostBefore ? exerciser.LostWrites[^1]
                : allocated > AllocationLimit ? $"allocated {allocated >> 20} MiB"
                : null;
            if (finding is not null)
            {
                Keep(image, seed, i);
                findings.Add($"{what}: {finding}");
            }
        }

        TestContext.Out.WriteLine(
            $"seed {seed}: {count} mutated images in {(DateTime.UtcNow - started).TotalSeconds:0.0} s; {exerciser.Refused} read-only opens refused, " +
            $"{exerciser.Opened} opened, {exerciser.WritesVerified} writes read back; most allocated by one image {maxAllocated >> 10} KiB, slowest {slowest.TotalMilliseconds:0} ms; {findings.Count} findings");
        Assert.That(findings, Is.Empty, string.Join("\n\n", findings));
    }

    private static void Keep(byte[] image, int seed, int index)
    {
        var folder = Path.Combine(TestContext.CurrentContext.WorkDirectory, "qcow2-fuzz-findings");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, $"seed{seed}-image{index}.qcow2"), image);
    }
}
