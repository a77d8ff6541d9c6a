using System.Diagnostics;

namespace Emulator.Cli.Tests.Img;

/// <summary>
/// A child process writes to a qcow2 image and is killed (SIGKILL) at random points (fixed seed).
/// Afterwards <c>qemu-img check</c> finds no corruption (leaks are allowed; with lazy refcounts after
/// our repair of the dirty image, as QEMU repairs on open) and every write the
/// child reported as flushed reads back through qemu-img (for each slot, its latest flushed write,
/// unless a write after the last flush may have started on that slot).
/// </summary>
public class CrashConsistencyTests : ImgTestBase
{
    [SetUp]
    public void RequireQemu() => QemuTools.Require();

    [TestCase("cluster_size=4096", 1)]
    [TestCase("cluster_size=512", 2)]
    [TestCase("cluster_size=65536,lazy_refcounts=on", 3)]
    [TestCase("cluster_size=4096,compat=0.10", 4)]
    public void Kill_DuringWrites_NoCorruptionAndFlushedWritesSurvive(string options, int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 3; round++)
        {
            var image = PathOf($"crash-{round}.qcow2");
            EmuOk("create", "-q", "-f", "qcow2", "-o", options, image, "6M");
            var slots = (6 << 20) / CrashWriter.SlotSize;
            var lastFlushed = RunAndKill(image, seed * 10 + round, 2 * slots, random.Next(300, 1200));
            Assert.That(lastFlushed, Is.GreaterThan(2 * slots), "the writer was killed before it wrote every slot twice");

            if (options.Contains("lazy_refcounts=on", StringComparison.Ordinal))
            {
                // Refcounts may be stale behind the dirty bit; our next read-write open rebuilds them.
                Assert.That(Emu("check", "-r", "all", image).ExitCode, Is.Zero);
            }

            var (exit, output) = QemuTools.ImgStatus("check", image);
            Assert.That(exit, Is.AnyOf(0, 3), output);
            var view = PathOf("view.raw");
            QemuTools.Img("convert", "-O", "raw", image, view);
            var bytes = File.ReadAllBytes(view);
            for (var i = lastFlushed - slots + 1 + CrashWriter.FlushEvery; i <= lastFlushed; i++)
            {
                var (offset, data) = CrashWriter.Request(seed * 10 + round, i, slots);
                Assert.That(bytes.AsSpan((int)offset, data.Length).SequenceEqual(data), Is.True, $"flushed write {i} of round {round} did not survive");
            }

            File.Delete(view);
        }
    }

    /// <summary>
    /// Starts the writer, lets it run until it has reported more than <paramref name="minimum"/> writes
    /// flushed (so the kill lands after every slot was rewritten, however slow this machine's flushes
    /// are) and then for <paramref name="milliseconds"/> more, kills it; returns the last write it reported flushed.
    /// </summary>
    private static int RunAndKill(string image, int seed, int minimum, int milliseconds)
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
        start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
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
                    Volatile.Write(ref lastFlushed, int.Parse(line[8..], System.Globalization.CultureInfo.InvariantCulture));
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
                Thread.Sleep(10);
            }

            Thread.Sleep(milliseconds);
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }

        lines.Join();
        return Volatile.Read(ref lastFlushed);
    }
}
