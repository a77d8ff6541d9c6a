using Emulator.Block;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Nbd;
using Emulator.Block.Graph;
using Emulator.Cli.Tests.Img;
using Microsoft.Extensions.DependencyInjection;

namespace Emulator.Cli.Tests.Nbd;

/// <summary>Our NBD client against qemu-nbd and nbdkit, our server (emu nbd) against qemu-img, qemu-io, nbdinfo and nbdcopy.</summary>
public class NbdInteropTests : ImgTestBase
{
    private NbdPeers _peers = null!;
    private ServiceProvider _services = null!;
    private BlockLayer _layer = null!;

    [SetUp]
    public void SetUpPeers()
    {
        NbdPeers.Require("qemu-nbd", "qemu-img", "qemu-io", "nbdkit", "nbdinfo", "nbdcopy");
        _peers = new NbdPeers(Dir);
        _services = new ServiceCollection().AddBlockLayer().AddStandardBlockDrivers().BuildServiceProvider();
        _layer = _services.GetRequiredService<BlockLayer>();
    }

    [TearDown]
    public void TearDownPeers()
    {
        _services.Dispose();
        _peers.Dispose();
    }

    private string Sock(string name) => PathOf(name + ".sock");

    private BlockDriverState OpenNbd(string socket, bool readOnly = false, string export = "e") =>
        _layer.Graph.Open(new NbdNodeOptions(NbdServerAddress.Unix(socket)) { Export = export, ReadOnly = readOnly });

    private static BlockError Wait(ValueTask<BlockError> operation) => operation.AsTask().WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();

    private string Qcow2WithData()
    {
        var image = PathOf("src.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "16M");
        QemuTools.Io(image, "write -P 0xab 1M 2M", "write -z 6M 1M", "write -P 0x5c 9M 64k");
        return image;
    }

    [Test]
    public void ClientVsQemuNbd_ConvertQcow2Export_SameBytes()
    {
        var image = Qcow2WithData();
        _peers.StartQemuNbd(Sock("q"), "-r", "-f", "qcow2", image);

        EmuOk("convert", "-f", "raw", "-O", "raw", _peers.Uri(Sock("q"), "e"), PathOf("out.raw"));

        Assert.That(_peers.Run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", PathOf("out.raw"), image).ExitCode, Is.Zero);
    }

    [Test]
    public void ClientVsQemuNbd_MapJson_SameAsQemuImg()
    {
        var image = Qcow2WithData();
        _peers.StartQemuNbd(Sock("q"), "-r", "-f", "qcow2", image);
        var uri = _peers.Uri(Sock("q"), "e");

        var ours = EmuOk("map", "-f", "raw", "--output=json", uri);

        Assert.That(ours, Is.EqualTo(_peers.RunOk("qemu-img", "map", "-f", "raw", "--output=json", uri)));
    }

    [Test]
    public void ClientVsQemuNbd_WriteFuaFlush_ImageHoldsData()
    {
        var image = PathOf("w.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "4M");
        var server = _peers.StartQemuNbd(Sock("q"), "-f", "qcow2", image);
        var node = OpenNbd(Sock("q"));
        var data = Enumerable.Repeat((byte)0x3c, 65536).ToArray();

        var results = (Wait(node.WriteAsync(131072, data, BlockRequestFlags.Fua)), Wait(node.WriteZeroesAsync(0, 65536, BlockRequestFlags.None)), Wait(node.FlushAsync()));
        _layer.Graph.Unref(node);
        NbdPeers.Terminate(server);

        Assert.That(results, Is.EqualTo((BlockError.None, BlockError.None, BlockError.None)));
        Assert.That(QemuTools.Io(image, "read -P 0x3c 128k 64k"), Does.Contain("read 65536/65536"));
    }

    [Test]
    public void ClientVsNbdkitMemory_FastZeroNegotiated_AndDataRoundTrips()
    {
        _peers.StartNbdkit(Sock("k"), "memory", "8M");
        var node = OpenNbd(Sock("k"), export: string.Empty);
        var info = ((NbdDriver)node.Driver).Info;
        var data = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        var back = new byte[4096];

        var write = Wait(node.WriteAsync(8192, data, BlockRequestFlags.None));
        var read = Wait(node.ReadAsync(8192, back));
        var fastZero = Wait(node.WriteZeroesAsync(8192, 4096, BlockRequestFlags.NoFallback));
        var zeroed = new byte[4096];
        Wait(node.ReadAsync(8192, zeroed));

        Assert.That(info.Has(Block.Nbd.NbdTransmissionFlags.SendFastZero), Is.True);
        Assert.That((write, read, fastZero), Is.EqualTo((BlockError.None, BlockError.None, BlockError.None)));
        Assert.That(back, Is.EqualTo(data));
        Assert.That(zeroed, Is.All.Zero);
    }

    [Test]
    public void ClientVsNbdkitFile_Read_MatchesFile()
    {
        var file = PathOf("k.raw");
        var content = Random(1 << 20, 7);
        File.WriteAllBytes(file, content);
        _peers.StartNbdkit(Sock("k"), "file", file);
        var node = OpenNbd(Sock("k"), readOnly: true, export: string.Empty);
        var back = new byte[1 << 20];

        var error = Wait(node.ReadAsync(0, back));

        Assert.That(error, Is.EqualTo(BlockError.None));
        Assert.That(back, Is.EqualTo(content));
    }

    [Test]
    public void ClientVsNbdkitErrorFilter_ReadsFailWithEio_ConnectionStaysUp()
    {
        _peers.StartNbdkit(Sock("k"), "--filter=error", "memory", "1M", "error-pread=EIO", "error-pread-rate=1");
        var node = OpenNbd(Sock("k"), export: string.Empty);

        var read = Wait(node.ReadAsync(0, new byte[4096]));
        var write = Wait(node.WriteAsync(0, new byte[4096], BlockRequestFlags.None));

        Assert.That((read, write, ((NbdDriver)node.Driver).IsConnected), Is.EqualTo((BlockError.Io, BlockError.None, true)));
    }

    [Test]
    public void ClientVsNbdkitBlocksizePolicy_UnalignedWrites_ReadModifyWritten()
    {
        // The server refuses any request that is not whole 4 KiB blocks (EINVAL).
        _peers.StartNbdkit(Sock("k"), "--filter=blocksize-policy", "memory", "64K",
            "blocksize-minimum=4096", "blocksize-preferred=4096", "blocksize-maximum=65536", "blocksize-error-policy=error");
        var node = OpenNbd(Sock("k"), export: string.Empty);
        var expected = new byte[65536];
        expected.AsSpan().Fill(0x11);
        var first = Wait(node.WriteAsync(0, expected, BlockRequestFlags.None));
        var small = Enumerable.Repeat((byte)0x5a, 512).ToArray();
        var spanning = Enumerable.Range(0, 9000).Select(i => (byte)(i * 7)).ToArray();

        var inBlock = Wait(node.WriteAsync(1000, small, BlockRequestFlags.None));
        var acrossBlocks = Wait(node.WriteAsync(20_000, spanning, BlockRequestFlags.Fua));
        small.CopyTo(expected, 1000);
        spanning.CopyTo(expected, 20_000);
        var back = new byte[65536];
        var read = Wait(node.ReadAsync(0, back));

        Assert.Multiple(() =>
        {
            Assert.That(((NbdDriver)node.Driver).Info.MinimumBlock, Is.EqualTo(4096));
            Assert.That((first, inBlock, acrossBlocks, read), Is.EqualTo((BlockError.None, BlockError.None, BlockError.None, BlockError.None)));
            Assert.That(back, Is.EqualTo(expected));
        });
    }

    [Test]
    public void ClientVsNbdkitDelayFilter_EightReadsInFlight_OverlapInTime()
    {
        _peers.StartNbdkit(Sock("k"), "--filter=delay", "memory", "1M", "delay-read=500ms");
        var node = OpenNbd(Sock("k"), export: string.Empty);
        var started = Environment.TickCount64;

        var reads = Enumerable.Range(0, 8).Select(i => node.ReadAsync(i * 4096L, new byte[4096]).AsTask()).ToArray();
        Task.WaitAll(reads, TimeSpan.FromSeconds(60));
        var elapsed = Environment.TickCount64 - started;

        Assert.That(reads.Select(r => r.Result), Is.All.EqualTo(BlockError.None));
        Assert.That(elapsed, Is.LessThan(8 * 500), "the eight delayed reads were in flight together");
    }

    [Test]
    public void ServerVsQemuIo_WriteFlushThenSigterm_ImageHoldsData()
    {
        var image = PathOf("s.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", image, "8M");
        var server = _peers.StartEmuNbd(Sock("o"), image);

        var io = _peers.RunOk("qemu-io", "-f", "raw", "-c", "write -P 0x6d 1M 256k", "-c", "flush", "-c", "read -P 0x6d 1M 256k", "-c", "write -z 2M 64k", _peers.Uri(Sock("o"), "e"));
        var exit = NbdPeers.Terminate(server);

        Assert.That(io, Does.Contain("read 262144/262144").And.Not.Contain("Pattern verification failed"));
        Assert.That(exit, Is.Zero);
        Assert.That(QemuTools.Io(image, "read -P 0x6d 1M 256k"), Does.Contain("read 262144/262144"));
        Assert.That(QemuTools.ImgStatus("check", image).ExitCode, Is.Zero);
    }

    [TestCase("unmap", 0x00)]
    [TestCase("ignore", 0x6d)]
    public void ServerVsQemuIo_TrimUnderDiscardMode_PunchesOrKeeps(string mode, int left)
    {
        var image = PathOf("d.raw");
        File.WriteAllBytes(image, Enumerable.Repeat((byte)0x6d, 4 << 20).ToArray());
        var server = _peers.StartEmuNbd(Sock("o"), "-f", "raw", $"--discard={mode}", image);

        var io = _peers.RunOk("qemu-io", "-f", "raw", "-c", "discard 1M 1M", _peers.Uri(Sock("o"), "e"));
        NbdPeers.Terminate(server);
        var bytes = File.ReadAllBytes(image);

        Assert.That(io, Does.Contain("discard 1048576/1048576"));
        Assert.That(bytes[(1 << 20)..(2 << 20)], Is.All.EqualTo((byte)left));
        Assert.That(bytes[..(1 << 20)].Concat(bytes[(2 << 20)..]), Is.All.EqualTo((byte)0x6d));
    }

    [Test]
    public void ServerVsQemuIo_FastZeroOnQcow2_SameAnswersAsQemuNbd()
    {
        // qemu-io's write -z -n is BDRV_REQ_NO_FALLBACK, which QEMU's client sends as NBD_CMD_FLAG_FAST_ZERO:
        // whole clusters are zeroed, a part of a cluster would need zero data written and fails with ENOTSUP.
        var image = Qcow2WithData();
        var copy = PathOf("copy.qcow2");
        File.Copy(image, copy);
        _peers.StartEmuNbd(Sock("o"), image);
        _peers.StartQemuNbd(Sock("q"), "-f", "qcow2", copy);

        string[] Answers(string socket) => _peers.Run("qemu-io", "-f", "raw", "-c", "write -z -n 1M 1M", "-c", "write -z -n 2M 4k", "-c", "read -P 0 1M 1M", "-c", "read -P 0xab 2M 64k", _peers.Uri(socket, "e"))
            .Output.Split('\n').Where(line => line.StartsWith("wrote", StringComparison.Ordinal) || line.StartsWith("read", StringComparison.Ordinal) || line.Contains("failed", StringComparison.Ordinal)).ToArray();

        var ours = Answers(Sock("o"));
        Assert.That(ours, Is.EqualTo(Answers(Sock("q"))));
        Assert.That(ours, Is.EqualTo(new[] { "wrote 1048576/1048576 bytes at offset 1048576", "write failed: Operation not supported", "read 1048576/1048576 bytes at offset 1048576", "read 65536/65536 bytes at offset 2097152" }));
    }

    [Test]
    public void ServerVsNbdinfo_Json_SizeAndCapabilities()
    {
        var image = Qcow2WithData();
        _peers.StartEmuNbd(Sock("o"), "-r", image);

        var json = Json(_peers.RunOk("nbdinfo", "--json", _peers.Uri(Sock("o"), "e")));
        var export = json["exports"]![0]!;

        Assert.That(export["export-size"]!.GetValue<long>(), Is.EqualTo(16L << 20));
        Assert.That(export["is_read_only"]!.GetValue<bool>(), Is.True);
        Assert.That(export["can_flush"]!.GetValue<bool>(), Is.True);
        Assert.That(export["contexts"]!.AsArray().Select(c => c!.GetValue<string>()), Does.Contain("base:allocation"));
    }

    [TestCase("1")]
    [TestCase("2")]
    public void ServerVsNbdinfo_ReadOnlyShared_SameCacheAndMultiConnAsQemuNbd(string shared)
    {
        var image = Qcow2WithData();
        _peers.StartEmuNbd(Sock("o"), "-r", "-e", shared, image);
        _peers.StartQemuNbd(Sock("q"), "-r", "-e", shared, image);

        (bool Cache, bool MultiConn) Flags(string socket)
        {
            var export = Json(_peers.RunOk("nbdinfo", "--json", _peers.Uri(socket, "e")))["exports"]![0]!;
            return (export["can_cache"]!.GetValue<bool>(), export["can_multi_conn"]!.GetValue<bool>());
        }

        Assert.That(Flags(Sock("o")), Is.EqualTo(Flags(Sock("q"))).And.EqualTo((true, shared != "1")));
    }

    [Test]
    public void ServerVsNbdcopy_CopyExport_SameBytesAsImage()
    {
        var image = Qcow2WithData();
        _peers.StartEmuNbd(Sock("o"), "-r", "-e", "4", image);
        File.WriteAllBytes(PathOf("copy.raw"), []);

        _peers.RunOk("nbdcopy", _peers.Uri(Sock("o"), "e"), PathOf("copy.raw"));

        Assert.That(_peers.Run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", PathOf("copy.raw"), image).ExitCode, Is.Zero);
    }

    [Test]
    public void ServerVsQemuImg_MapOfQcow2WithBacking_SameAsQemuNbd()
    {
        var baseImage = Qcow2WithData();
        var top = PathOf("top.qcow2");
        QemuTools.Img("create", "-q", "-f", "qcow2", "-b", baseImage, "-F", "qcow2", top);
        QemuTools.Io(top, "write -P 0x11 2M 64k", "write -z 9M 64k");
        _peers.StartEmuNbd(Sock("o"), "-r", top);
        _peers.StartQemuNbd(Sock("q"), "-r", "-f", "qcow2", top);

        var ours = _peers.RunOk("qemu-img", "map", "-f", "raw", "--output=json", _peers.Uri(Sock("o"), "e"));
        var theirs = _peers.RunOk("qemu-img", "map", "-f", "raw", "--output=json", _peers.Uri(Sock("q"), "e"));

        Assert.That(ours.Replace(Sock("o"), "S", StringComparison.Ordinal), Is.EqualTo(theirs.Replace(Sock("q"), "S", StringComparison.Ordinal)));
        Assert.That(_peers.Run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", _peers.Uri(Sock("o"), "e"), top).ExitCode, Is.Zero);
    }

    /// <summary>
    /// QEMU's option form of an NBD drive under a format (<c>-drive file.driver=nbd,file.server.*,format=qcow2</c>):
    /// qemu-nbd exports a qcow2 file's bytes, emu-system-x86_64 opens qcow2 over that export, and the
    /// writes through the drive (a new cluster, and one into existing data) land in the file, around the data there.
    /// </summary>
    [Test]
    public void EmuSystem_DriveOptionFormQcow2OverNbd_ReadsAndWritesTheImage()
    {
        var image = Qcow2WithData();

        // Room after the image's clusters, as on a fixed-size volume: the export cannot grow, so new clusters go there.
        using (var file = File.OpenWrite(image))
        {
            file.SetLength(32 << 20);
        }

        var server = _peers.StartQemuNbd(Sock("q"), "-f", "raw", image);
        var qmpSocket = PathOf("qmp.sock");
        var drive = $"file.driver=nbd,file.server.type=unix,file.server.path={Sock("q")},file.export=e,format=qcow2,if=none,id=d0";

        using (var machine = new Emulator.TestSupport.QtestMachine(Dir, "-machine", "pc", "-accel", "qtest", "-display", "none", "-drive", drive, "-qmp", $"unix:{qmpSocket},server=on,wait=off"))
        using (var qmp = Emulator.TestSupport.QmpLineClient.Connect(qmpSocket))
        {
            qmp.Execute("qmp_capabilities");
            var block = qmp.Execute("query-block")["return"]!.AsArray().Single(b => (string?)b!["device"] == "d0")!;
            string Io(string command) => (string)qmp.Execute("human-monitor-command", new() { ["command-line"] = $"qemu-io d0 \"{command}\"" })["return"]!;

            Assert.That((string?)block["inserted"]?["drv"], Is.EqualTo("qcow2"));

            // qemu-io under HMP prints to the emulator's stdout and returns "", as QEMU's does: what it wrote is checked in the file.
            Io("write -P 0x77 12M 64k");
            Io("write -P 0x78 1M 4k");
            qmp.Execute("quit");
            Assert.That(machine.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, "the emulator did not exit after quit");
        }

        NbdPeers.Terminate(server);
        QemuTools.Io(image, "read -P 0x77 12M 64k", "read -P 0x78 1M 4k", "read -P 0xab 1052672 2093056", "read -P 0x5c 9M 64k");
    }

    [Test]
    public void EmuNbd_NoImage_UsageError()
    {
        var stderr = new StringWriter();

        var exit = EmuCommand.Run(["nbd", "-k", Sock("x")], new StringReader(string.Empty), new StringWriter(), stderr);

        Assert.That((exit, stderr.ToString()), Is.EqualTo((1, "emu nbd: Expected exactly one image file name (try 'emu nbd --help')" + Environment.NewLine)));
    }
}
