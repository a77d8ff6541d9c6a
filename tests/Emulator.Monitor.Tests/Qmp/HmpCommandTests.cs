using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Block.Drivers.Blkdebug;
using Emulator.Block.Drivers.NullCo;
using Emulator.Monitor.Tests.Support;

namespace Emulator.Monitor.Tests.Qmp;

public class HmpCommandTests
{
    private MonitorHarness _h = null!;
    private QmpTestClient _client = null!;

    [SetUp]
    public void SetUp()
    {
        _h = new MonitorHarness();
        _client = _h.Connect();
    }

    [TearDown]
    public void TearDown()
    {
        _client.Dispose();
        _h.Dispose();
    }

    private string Hmp(string line) =>
        (string?)_client.Execute("human-monitor-command", new JsonObject { ["command-line"] = line })["return"] ?? "<no return>";

    [Test]
    public void InfoBlock_EmptyCdAndDisk_QemuLayout()
    {
        _h.AddCd();
        var image = _h.CreateImage(4096, "h1.img");
        var (disk, _) = _h.AddDisk(image, new BlockBackendOptions { Name = "hd" });

        var text = Hmp("info block");

        Assert.That(text, Is.EqualTo(
            "cd0: [not inserted]\r\n" +
            "    Attached to:      cdx\r\n" +
            "    Removable device: not locked, tray closed\r\n" +
            "\r\n" +
            $"hd ({disk.RootNodeName}): {image} (raw)\r\n" +
            "    Attached to:      hdx\r\n" +
            "    Cache mode:       writeback\r\n"));
    }

    [Test]
    public void InfoBlockstats_OneLinePerDrive()
    {
        _h.AddCd();

        Assert.That(Hmp("info blockstats"), Is.EqualTo(
            "cd0: rd_bytes=0 wr_bytes=0 rd_operations=0 wr_operations=0 flush_operations=0 wr_total_time_ns=0 " +
            "rd_total_time_ns=0 flush_total_time_ns=0 rd_merged=0 wr_merged=0 idle_time_ns=0\r\n"));
    }

    [Test]
    public void Eject_OpensTrayWithEvent_UnknownDeviceIsError()
    {
        _h.AddCd(_h.CreateImage(4096, "disc.iso"));

        var ejected = Hmp("eject cd0");
        var unknown = Hmp("eject nope");

        Assert.Multiple(() =>
        {
            Assert.That(ejected, Is.Empty);
            Assert.That((bool?)_client.WaitForEvent("DEVICE_TRAY_MOVED")["data"]?["tray-open"], Is.True);
            Assert.That(unknown, Is.EqualTo("Error: Device 'nope' not found\r\n"));
        });
    }

    [Test]
    public void Change_InsertsNewImage()
    {
        _h.AddCd();
        var iso = _h.CreateImage(8192, "new.iso");

        var reply = Hmp($"change cd0 {iso} raw");

        Assert.Multiple(() =>
        {
            Assert.That(reply, Is.Empty);
            Assert.That(Hmp("info block"), Does.Contain($"{iso} (raw, read-only)"));
        });
    }

    [Test]
    public void QemuIo_WritePatternThenVerify_PrintsAsQemuIo()
    {
        _h.AddDisk(_h.CreateImage(65536, "hd.img"), new BlockBackendOptions { Name = "hd" });

        Hmp("qemu-io hd \"write -P 0xab 0 4k\"");
        Hmp("qemu-io hd \"read -P 0xab 0 4k\"");
        Hmp("qemu-io hd \"read -P 0xcd 0 512\"");
        var lines = _h.QemuIoOutput.ToString().Split('\n', StringSplitOptions.TrimEntries);

        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.EqualTo("wrote 4096/4096 bytes at offset 0"));
            Assert.That(lines[1], Does.StartWith("4 KiB, 1 ops; "));
            Assert.That(lines[2], Is.EqualTo("read 4096/4096 bytes at offset 0"));
            Assert.That(lines[4], Is.EqualTo("Pattern verification failed at offset 0, 512 bytes"));
        });
    }

    [Test]
    public void QemuIo_UnknownDrive_ErrorReply()
    {
        Assert.That(Hmp("qemu-io nope \"flush\""), Is.EqualTo("Error: Cannot find device='nope' nor node-name='nope'\r\n"));
    }

    [Test]
    public void QemuIo_BreakAioWriteResume_RequestHeldThenCompletes()
    {
        var backend = _h.Layer.CreateBackend(new BlockBackendOptions { Name = "dbg" }, new BlkdebugNodeOptions(new NullNodeOptions { Size = 1 << 20 }));

        Hmp("qemu-io dbg \"break write_aio A\"");
        Hmp("qemu-io dbg \"aio_write -P 0x11 0 512\"");
        Hmp("qemu-io dbg \"wait_break A\"");
        _h.Layer.Completions.RunPending();
        var whileHeld = _h.QemuIoOutput.ToString();
        var inFlight = backend.InFlight;
        Hmp("qemu-io dbg \"resume A\"");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (backend.InFlight > 0 && DateTime.UtcNow < deadline)
        {
            _h.Layer.Completions.WaitForPending(TimeSpan.FromMilliseconds(50));
            _h.Layer.Completions.RunPending();
        }

        Assert.Multiple(() =>
        {
            Assert.That(whileHeld, Does.Not.Contain("wrote"));
            Assert.That(inFlight, Is.EqualTo(1));
            Assert.That(_h.QemuIoOutput.ToString(), Does.Contain("wrote 512/512 bytes at offset 0"));
        });
    }

    [Test]
    public void UnknownHmpCommand_ReportedInReturn()
    {
        Assert.That(Hmp("frob"), Is.EqualTo("unknown command: 'frob'\r\n"));
    }
}
