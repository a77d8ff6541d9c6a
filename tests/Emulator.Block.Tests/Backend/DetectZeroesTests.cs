using System.Diagnostics;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.File;
using Emulator.Block.Drivers.Raw;
using Emulator.Block.Graph;
using Emulator.Block.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Block.Tests.Backend;

/// <summary>
/// detect-zeroes as QEMU's bdrv_aligned_pwritev applies it: an all-zero write reaches the node as a
/// write-zeroes (with MAY_UNMAP for unmap), any other write as written; the check allocates nothing.
/// </summary>
public class DetectZeroesTests
{
    private const int Sector = 512;
    private const int Chunk = 64 * 1024;

    private BlockHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new BlockHarness(s => s.AddSingleton<IBlockDriverFactory, RecordingDriverFactory>());

    [TearDown]
    public void TearDown() => _h.Dispose();

    private (BlockBackend Backend, RecordingDriver Driver) Open(DetectZeroes mode)
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { DetectZeroes = mode }, new RecordingNodeOptions { NodeName = "rec" });
        return (backend, (RecordingDriver)_h.Layer.Graph.Find("rec")!.Driver);
    }

    [TestCase(DetectZeroes.On, BlockRequestFlags.None)]
    [TestCase(DetectZeroes.Unmap, BlockRequestFlags.MayUnmap)]
    public void ZeroWrite_DetectZeroes_ReachesNodeAsWriteZeroes(DetectZeroes mode, BlockRequestFlags expected)
    {
        var (backend, driver) = Open(mode);

        backend.Write(0, new byte[Sector]);

        Assert.Multiple(() =>
        {
            Assert.That(driver.WriteZeroesFlags, Is.EqualTo(new[] { expected }));
            Assert.That(driver.WriteFlags, Is.Empty);
        });
    }

    [Test]
    public void ZeroWrite_NodeOptionOn_ReachesDriverAsWriteZeroes()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions(), new RecordingNodeOptions { NodeName = "rec", DetectZeroes = DetectZeroes.On });
        var driver = (RecordingDriver)_h.Layer.Graph.Find("rec")!.Driver;

        backend.Write(0, new byte[Sector]);

        Assert.That(driver.WriteZeroesFlags, Is.EqualTo(new[] { BlockRequestFlags.None }));
    }

    [Test]
    public void ZeroWrite_DetectZeroesOff_ReachesNodeAsWrite()
    {
        var (backend, driver) = Open(DetectZeroes.Off);

        backend.Write(0, new byte[Sector]);

        Assert.Multiple(() =>
        {
            Assert.That(driver.WriteFlags, Has.Count.EqualTo(1));
            Assert.That(driver.WriteZeroesFlags, Is.Empty);
        });
    }

    [Test]
    public void NonZeroWrite_DetectZeroesUnmap_ReachesNodeAsWrite()
    {
        var (backend, driver) = Open(DetectZeroes.Unmap);
        var data = new byte[Sector];
        data[^1] = 1;

        backend.Write(0, data);

        Assert.Multiple(() =>
        {
            Assert.That(driver.WriteFlags, Has.Count.EqualTo(1));
            Assert.That(driver.WriteZeroesFlags, Is.Empty);
        });
    }

    [Test]
    public void ZeroWrite_WriteCacheOff_KeepsFua()
    {
        var (backend, driver) = Open(DetectZeroes.On);
        backend.WriteCacheEnabled = false;

        backend.Write(0, new byte[Sector]);

        Assert.That(driver.WriteZeroesFlags, Is.EqualTo(new[] { BlockRequestFlags.Fua }));
    }

    [Test]
    public void SubmittedZeroWrite_DetectZeroesUnmap_AllocatesNothing()
    {
        var (backend, driver) = Open(DetectZeroes.Unmap);
        var device = TestDevice.HardDisk();
        backend.AttachDevice(device, "disk0");
        var request = new BlockRequest(device);
        var buffer = new byte[Chunk];
        void SubmitAndComplete()
        {
            request.PrepareWrite(0, buffer);
            backend.Submit(request);
            _h.Layer.Completions.RunPending();
        }

        SubmitAndComplete();
        SubmitAndComplete();
        var before = GC.GetAllocatedBytesForCurrentThread();
        SubmitAndComplete();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Multiple(() =>
        {
            Assert.That(allocated, Is.EqualTo(0));
            Assert.That(driver.WriteZeroesFlags, Has.Count.EqualTo(3));
        });
    }

    [TestCase(DetectZeroes.Unmap, true, TestName = "ZeroWrite_UnmapOnFileWithDiscardUnmap_FreesBlocks")]
    [TestCase(DetectZeroes.Off, false, TestName = "ZeroWrite_OffOnFileWithDiscardUnmap_KeepsBlocks")]
    public void ZeroWrite_OnRawFile_AllocationAsQemu(DetectZeroes mode, bool freed)
    {
        var image = _h.CreateImage(4 * Chunk);
        var backend = _h.Layer.CreateBackend(
            new BlockBackendOptions { DetectZeroes = mode },
            new RawNodeOptions(new FileNodeOptions(image) { DiscardUnmap = true }));
        var before = AllocatedBlocks(image);

        var error = backend.Write(Chunk, new byte[2 * Chunk]);
        var back = new byte[2 * Chunk];
        backend.Read(Chunk, back);
        var after = AllocatedBlocks(image);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(BlockError.None));
            Assert.That(back, Is.All.EqualTo(0));
            Assert.That(after < before, Is.EqualTo(freed), $"512-byte blocks allocated before {before}, after {after}");
        });
    }

    /// <summary>The file's allocated 512-byte blocks (stat's st_blocks).</summary>
    private static long AllocatedBlocks(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b", path]) { RedirectStandardOutput = true })!;
        var text = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return long.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
