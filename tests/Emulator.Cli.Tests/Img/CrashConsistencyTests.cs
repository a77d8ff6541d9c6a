using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Emulator.Cli.Tests.Img;

/// <summary>
/// A child process (<see cref="CrashWriter"/>) writes to an image and is killed with SIGKILL at a random
/// point (fixed seed), over three kinds of image: qcow2 (cluster sizes 512 B to 64 KiB, version 2 and 3,
/// lazy refcounts), a qcow2 overlay on a backing file (raw or qcow2), and raw. Afterwards
/// <c>qemu-img check</c> finds no corruption (raw has nothing to check) and every write the child
/// reported flushed reads back through qemu-img — for each slot its latest flushed write, unless a
/// write after the last flush may have started on that slot; the backing file keeps its bytes.
/// Leaked clusters are allowed and counted: QEMU's qcow2 takes a cluster's refcount before it links the
/// cluster into an L2 table, so a kill between the two leaves a cluster that nothing uses, which
/// <c>qemu-img check</c> reports as a leak ("harmless", exit 3) and <c>-r leaks</c> reclaims. With
/// lazy refcounts the image is left dirty and refcounts may lag, as QEMU allows; our next read-write open
/// (here <c>emu img check -r all</c>) repairs it, as QEMU does on open.
/// The fixed-seed runs (50) are part of every test run; the campaign is
/// <c>EMU_CRASH_RUNS=1000 EMU_CRASH_SEED=1 dotnet test --filter "Category=FuzzLong&amp;FullyQualifiedName~CrashConsistency"</c>.
/// </summary>
[NonParallelizable]
public class CrashConsistencyTests : ImgTestBase
{
    private const long ImageBytes = 2 << 20;

    private static readonly string[] Qcow2Options =
    [
        "cluster_size=4096",
        "cluster_size=512",
        "cluster_size=65536,lazy_refcounts=on",
        "cluster_size=4096,compat=0.10",
    ];

    public enum ImageKind
    {
        Qcow2,
        Overlay,
        Raw,
    }

    [SetUp]
    public void RequireQemu() => QemuTools.Require();

    [TestCase(ImageKind.Qcow2, 17)]
    [TestCase(ImageKind.Overlay, 17)]
    [TestCase(ImageKind.Raw, 16)]
    public void Kill_DuringWrites_NoCorruptionAndFlushedWritesSurvive(ImageKind kind, int runs) =>
        Campaign(kind, runs, seed: (int)kind + 1);

    [Test]
    [Explicit("campaign: 1,000 kills take about half an hour")]
    [Category("FuzzLong")]
    public void Long_KillDuringWrites_NoCorruptionAndFlushedWritesSurvive()
    {
        var runs = int.Parse(Environment.GetEnvironmentVariable("EMU_CRASH_RUNS") ?? "1000", CultureInfo.InvariantCulture);
        var seed = int.Parse(Environment.GetEnvironmentVariable("EMU_CRASH_SEED") ?? "1", CultureInfo.InvariantCulture);
        foreach (var kind in Enum.GetValues<ImageKind>())
        {
            Campaign(kind, (runs / 3) + ((int)kind < runs % 3 ? 1 : 0), seed + (int)kind);
        }
    }

    private void Campaign(ImageKind kind, int runs, int seed)
    {
        var random = new Random(seed);
        var leaky = 0;
        var leaks = 0L;
        var verified = 0;
        var started = DateTime.UtcNow;
        for (var run = 0; run < runs; run++)
        {
            var runSeed = (seed * 100_000) + run;
            var (image, format, backing) = Prepare(kind, run);
            var backingHash = backing is null ? null : SHA256.HashData(File.ReadAllBytes(backing));
            var slots = (int)(ImageBytes / CrashWriter.SlotSize);
            var lastFlushed = RunAndKill(image, format, runSeed, 2 * slots, random.Next(0, 400));
            var what = $"{kind} run {run} (seed {runSeed})";
            Assert.That(lastFlushed, Is.GreaterThan(2 * slots), $"{what}: the writer was killed before it wrote every slot twice");

            if (format == "qcow2")
            {
                if (kind == ImageKind.Qcow2 && Qcow2Options[run % Qcow2Options.Length].Contains("lazy_refcounts=on", StringComparison.Ordinal))
                {
                    Assert.That(Emu("check", "-r", "all", image).ExitCode, Is.Zero, $"{what}: repair of the dirty image");
                }

                var (exit, output) = QemuTools.ImgStatus("check", "--output=json", image);
                Assert.That(exit, Is.AnyOf(0, 3), $"{what}: {output}");
                // The JSON report is on stdout; qemu-img's lines about each leaked cluster follow it (stderr).
                var found = Json(output[..(output.IndexOf("\n}", StringComparison.Ordinal) + 2)])["leaks"]?.GetValue<long>() ?? 0;
                leaky += found > 0 ? 1 : 0;
                leaks += found;
            }

            var view = PathOf("view.raw");
            QemuTools.Img("convert", "-f", format, "-O", "raw", image, view);
            var bytes = File.ReadAllBytes(view);
            for (var i = lastFlushed - slots + 1 + CrashWriter.FlushEvery; i <= lastFlushed; i++)
            {
                var (offset, data) = CrashWriter.Request(runSeed, i, slots);
                Assert.That(bytes.AsSpan((int)offset, data.Length).SequenceEqual(data), Is.True, $"{what}: flushed write {i} did not survive");
                verified++;
            }

            if (backing is not null)
            {
                Assert.That(SHA256.HashData(File.ReadAllBytes(backing)), Is.EqualTo(backingHash), $"{what}: the backing file changed");
            }

            foreach (var file in Directory.GetFiles(Dir))
            {
                File.Delete(file);
            }
        }

        TestContext.Out.WriteLine(
            $"{kind}: {runs} runs killed in {(DateTime.UtcNow - started).TotalSeconds:0} s, {verified} flushed writes read back, " +
            (kind == ImageKind.Raw ? "raw: no metadata to check" : $"qemu-img check without corruptions after every run, {leaky} runs left leaked clusters ({leaks} in all)"));
    }

    /// <summary>The image of one run and the format the writer opens it with; for an overlay also its backing file.</summary>
    private (string Image, string Format, string? Backing) Prepare(ImageKind kind, int run)
    {
        var image = PathOf("crash.img");
        switch (kind)
        {
            case ImageKind.Qcow2:
                EmuOk("create", "-q", "-f", "qcow2", "-o", Qcow2Options[run % Qcow2Options.Length], image, $"{ImageBytes}");
                return (image, "qcow2", null);
            case ImageKind.Overlay:
                var backingFormat = run % 2 == 0 ? "raw" : "qcow2";
                var backing = PathOf($"base.{backingFormat}");
                var pattern = PathOf("pattern.raw");
                File.WriteAllBytes(pattern, Random((int)ImageBytes, run));
                QemuTools.Img("convert", "-f", "raw", "-O", backingFormat, pattern, backing);
                EmuOk("create", "-q", "-f", "qcow2", "-o", run % 4 < 2 ? "cluster_size=4096" : "cluster_size=65536", "-b", backing, "-F", backingFormat, image);
                return (image, "qcow2", backing);
            default:
                File.WriteAllBytes(image, new byte[ImageBytes]);
                return (image, "raw", null);
        }
    }

    /// <summary>
    /// Starts the writer, lets it run until it has reported more than <paramref name="minimum"/> writes
    /// flushed (so the kill lands after every slot was rewritten, however slow this machine's flushes
    /// are) and then for <paramref name="milliseconds"/> more, kills it (SIGKILL); returns the last write it reported flushed.
    /// </summary>
    private static int RunAndKill(string image, string format, int seed, int minimum, int milliseconds)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(CrashWriter).Assembly.Location);
        start.ArgumentList.Add("crash-writer");
        start.ArgumentList.Add(image);
        start.ArgumentList.Add(seed.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(format);
        using var child = Process.Start(start)!;
        var lastFlushed = -1;
        var ready = new ManualResetEventSlim();
        var lines = new Thread(() =>
        {
            while (child.StandardOutput.ReadLine() is { } line)
            {
                if (line == "ready")
                {
                    ready.Set();
                }
                else if (line.StartsWith("flushed ", StringComparison.Ordinal))
                {
                    Volatile.Write(ref lastFlushed, int.Parse(line[8..], CultureInfo.InvariantCulture));
                }
            }
        })
        {
            IsBackground = true,
        };
        lines.Start();
        try
        {
            Assert.That(ready.Wait(TimeSpan.FromSeconds(30)), Is.True, "the writer did not start");
            var deadline = Environment.TickCount64 + 30_000;
            while (Volatile.Read(ref lastFlushed) <= minimum && Environment.TickCount64 < deadline && !child.HasExited)
            {
                Thread.Sleep(5);
            }

            Thread.Sleep(milliseconds);
        }
        finally
        {
            // Process.Kill sends SIGKILL on Unix: no finalizer, flush or close runs in the writer.
            child.Kill();
            child.WaitForExit();
        }

        lines.Join();
        return Volatile.Read(ref lastFlushed);
    }
}
