using System.Diagnostics;
using System.Net.Sockets;
using Emulator.Cli.Img;
using Emulator.Testing.Qos;

namespace Emulator.Cli.Tests.QemuSystem;

/// <summary>
/// Running out of space for real: the image lives on a small tmpfs (mounted by the test, which needs
/// root — CI runs as root; elsewhere the test is inconclusive and says why). Under <c>emu-system-x86_64</c>
/// with QMP, a qtest-driven legacy virtio-blk guest writes one sector into a fresh 64 KiB region at a
/// time; before each cycle's first write a filler file takes every free byte. With <c>werror=stop</c> or
/// <c>werror=enospc</c> that write stops the machine with BLOCK_IO_ERROR (nospace) and STOP, query-status
/// says io-error, query-block says nospace; the filler is deleted, <c>cont</c> retries the held request
/// and the guest sees it succeed. At the end the image is byte-identical to one written by the same guest
/// on a filesystem with room (and for qcow2 <c>qemu-img check</c> is clean).
/// </summary>
[NonParallelizable]
public class EnospcTests
{
    private const int Slot = 4;
    private const int Cycles = 6;
    private const int WritesPerCycle = 3;
    private const ulong SectorsApart = 128;
    private const long VirtualSize = 8 << 20;
    private const string FilesystemSize = "4m";

    /// <summary>How long a write retried after cont may take to complete on a loaded host.</summary>
    private static readonly TimeSpan RetryPatience = TimeSpan.FromSeconds(20);

    private string _dir = null!;
    private string _mount = null!;
    private bool _mounted;

    [SetUp]
    public void Mount()
    {
        _dir = Directory.CreateTempSubdirectory("emu-enospc-").FullName;
        _mount = Path.Combine(_dir, "small");
        Directory.CreateDirectory(_mount);
        var (exit, output) = Run("mount", "-t", "tmpfs", "-o", $"size={FilesystemSize}", "tmpfs", _mount);
        if (exit != 0)
        {
            Assert.Inconclusive($"cannot mount a {FilesystemSize} tmpfs to run out of space for real (needs root): {output.Trim()}");
        }

        _mounted = true;
    }

    [TearDown]
    public void Unmount()
    {
        if (_mounted)
        {
            Run("umount", _mount);
        }

        Directory.Delete(_dir, recursive: true);
    }

    [TestCase("raw", "stop")]
    [TestCase("raw", "enospc")]
    [TestCase("qcow2", "stop")]
    [TestCase("qcow2", "enospc")]
    public void GuestWrites_FilesystemFull_StopsRetriesOnContAndImageAsIfNothingHappened(string format, string werror)
    {
        var full = CreateImage(Path.Combine(_mount, $"disk.{format}"), format);
        var roomy = CreateImage(Path.Combine(_dir, $"reference.{format}"), format);

        var stops = RunGuest(full, format, werror, fillFirst: true);
        RunGuest(roomy, format, werror, fillFirst: false);

        TestContext.Out.WriteLine($"{format}, werror={werror}: {stops} ENOSPC stops, each retried after cont");
        Assert.That(stops, Is.EqualTo(Cycles), "each cycle's first write ran out of space");
        Assert.That(File.ReadAllBytes(full), Is.EqualTo(File.ReadAllBytes(roomy)), "the image differs from one written with room to spare");
        if (format == "qcow2")
        {
            var (exit, output) = QemuTools.ImgStatus("check", full);
            Assert.That(exit, Is.Zero, output);
        }
    }

    private static string CreateImage(string path, string format)
    {
        if (format == "raw")
        {
            using var file = File.Create(path);
            file.SetLength(VirtualSize);
        }
        else
        {
            var errors = new StringWriter();
            Assert.That(ImgCommand.Run(["create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", path, $"{VirtualSize}"], TextWriter.Null, errors), Is.Zero, errors.ToString());
        }

        return path;
    }

    /// <summary>Runs the guest's writes; with <paramref name="fillFirst"/> each cycle starts on a full filesystem. Returns the ENOSPC stops seen.</summary>
    private int RunGuest(string image, string format, string werror, bool fillFirst)
    {
        var qmpPath = Path.Combine(_dir, "qmp.sock");
        File.Delete(qmpPath);
        using var qmpListener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        qmpListener.Bind(new UnixDomainSocketEndPoint(qmpPath));
        qmpListener.Listen(1);
        using var machine = new QtestMachine(
            _dir, "-qmp", $"unix:{qmpPath}",
            "-drive", $"file={image},if=none,id=d0,format={format},werror={werror}", "-device", $"virtio-blk-pci,drive=d0,addr={Slot:x2}.0");
        using var qmpSocket = qmpListener.Accept();
        using var qmp = new QmpLineClient(qmpSocket);
        qmp.Execute("qmp_capabilities");
        // A write the machine stopped on must come back unanswered quickly; StoppedOnError waits for slow ones.
        var guest = new VirtioBlkLegacy(new PciBus(new SocketQtest(machine.Qtest)).At(Slot)!, GuestAllocator.ForPc(128 << 20)) { Patience = TimeSpan.Zero };
        guest.Initialize();
        var stops = 0;
        var sector = 0UL;
        for (var cycle = 0; cycle < Cycles; cycle++)
        {
            var filler = Path.Combine(_mount, $"filler{cycle}");
            if (fillFirst)
            {
                Fill(filler);
            }

            for (var i = 0; i < WritesPerCycle; i++, sector += SectorsApart)
            {
                var fill = (byte)(sector / SectorsApart + 1);
                var status = guest.WriteSector(sector, fill);
                if (status is null && !StoppedOnError(qmp, guest, out status) && status is null)
                {
                    Assert.Fail($"cycle {cycle} write {i}: neither completed nor stopped the machine");
                }

                if (status is null)
                {
                    ExpectNoSpaceStop(qmp, werror, $"cycle {cycle} write {i}");
                    File.Delete(filler);
                    qmp.Execute("cont");
                    qmp.WaitForEvent("RESUME");
                    status = guest.AwaitLastRequest(RetryPatience);
                    stops++;
                }

                Assert.That(status, Is.Zero, $"cycle {cycle} write {i}: VIRTIO_BLK_S_OK");
            }

            File.Delete(filler);
        }

        qmp.Execute("quit");
        Assert.That(machine.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, "the emulator did not exit after quit");
        return stops;
    }

    /// <summary>
    /// A write the guest saw no answer to (on a loaded machine a write can simply take longer than the
    /// guest's polling): true once the machine is stopped on an I/O error, false with the write's status once it completes.
    /// </summary>
    private static bool StoppedOnError(QmpLineClient qmp, VirtioBlkLegacy guest, out byte? status)
    {
        status = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if ((string?)qmp.Execute("query-status")["return"]!["status"] == "io-error")
            {
                return true;
            }

            status = guest.AwaitLastRequest(RetryPatience);
            if (status is not null)
            {
                return false;
            }
        }

        return false;
    }

    private static void ExpectNoSpaceStop(QmpLineClient qmp, string werror, string what)
    {
        var error = qmp.WaitForEvent("BLOCK_IO_ERROR")["data"]!;
        qmp.WaitForEvent("STOP");
        var status = qmp.Execute("query-status")["return"]!;
        var block = qmp.Execute("query-block")["return"]!.AsArray().Single(b => (string?)b!["device"] == "d0")!;
        Assert.Multiple(() =>
        {
            Assert.That((bool?)error["nospace"], Is.True, $"{what}: {error.ToJsonString()}");
            Assert.That((string?)error["action"], Is.EqualTo("stop"), $"{what}: werror={werror}");
            Assert.That((string?)error["operation"], Is.EqualTo("write"), what);
            Assert.That((string?)status["status"], Is.EqualTo("io-error"), what);
            Assert.That((string?)block["io-status"], Is.EqualTo("nospace"), what);
        });
    }

    /// <summary>Writes <paramref name="path"/> until the filesystem is full (a page at a time, so not a byte is left).</summary>
    private static void Fill(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
        var page = new byte[4096];
        Array.Fill(page, (byte)0xEE);
        for (var offset = 0L; ; offset += page.Length)
        {
            try
            {
                RandomAccess.Write(handle, page, offset);
            }
            catch (IOException)
            {
                return;
            }
        }
    }

    private static (int ExitCode, string Output) Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{tool}: {e.Message}");
        }
    }
}
